"""Time of y = 2.5 * x, Raptors beside NumPy, over dtype x shape x mode.

One class per question, NumPy's asv style: arrays are allocated in setup, each method times one
call. The `impl` parameter puts NumPy and Raptors (one thread, every usable CPU) on the same
graph: bench_scale.Scale.time_scale.

modes: new      y = raptors.scale(x, a)          vs  y = x * a          (allocates y)
       out      raptors.scale(x, a, out=y)      vs  np.multiply(x, a, out=y)
       inplace  raptors.scale(x, a, out=x)      vs  x *= a
"""

import numpy as np

import raptors

from .common import (
    DTYPES,
    MODES,
    SHAPES,
    factor,
    make_array,
    numpy_op,
    pin_versions,
    raptors_op,
    set_threads,
)

IMPLS = ["numpy", "raptors-1t", "raptors-all"]


def _setup(bench, dtype, shape, mode, impl):
    bench.prev_threads = raptors.get_num_threads()
    if impl != "numpy":
        set_threads("1" if impl == "raptors-1t" else "all")
    bench.x = make_array(SHAPES[shape], dtype)
    bench.out = np.empty_like(bench.x) if mode != "inplace" else bench.x.copy()
    bench.a = factor(dtype, mode)
    make = numpy_op if impl == "numpy" else raptors_op
    bench.fn = make(mode, bench.x, bench.out, bench.a)
    bench.fn()  # first touch, page faults, thread pool start: not timed


class Scale:
    """Every size and mode; the headline case is dtype='float32', shape='2048x2048',
    mode='out' (also bench_headline.ScaleF32At2048)."""

    params = [DTYPES, list(SHAPES), MODES, IMPLS]
    param_names = ["dtype", "shape", "mode", "impl"]
    repeat = (3, 7, 1.0)
    warmup_time = 0.02

    def setup(self, dtype, shape, mode, impl):
        _setup(self, dtype, shape, mode, impl)

    def teardown(self, *params):
        raptors.set_num_threads(self.prev_threads)

    def time_scale(self, dtype, shape, mode, impl):
        self.fn()


pin_versions(globals())  # each benchmark's version: see common.pin_versions
