"""Non-contiguous input: a transposed 2048x2048 view (x.T), as the original Raptors suite had.
Raptors walks the strides itself; NumPy's ufunc loop does the same."""

import numpy as np

import raptors

from .common import (
    DTYPES,
    factor,
    make_array,
    numpy_op,
    pin_versions,
    raptors_op,
    set_threads,
    speedup,
)


class ScaleTransposed:
    params = [DTYPES, ["new", "out"]]
    param_names = ["dtype", "mode"]
    repeat = (3, 7, 1.0)
    warmup_time = 0.02
    n = 2048

    def setup(self, dtype, mode):
        self.prev_threads = set_threads("all")
        self.x = make_array((self.n, self.n), dtype).T  # a view, F-ordered
        self.out = np.empty((self.n, self.n), dtype=dtype)  # C-ordered: a real transpose
        self.a = factor(dtype)
        self.raptors = raptors_op(mode, self.x, self.out, self.a)
        self.numpy = numpy_op(mode, self.x, self.out, self.a)

    def teardown(self, *params):
        raptors.set_num_threads(self.prev_threads)

    def time_raptors(self, dtype, mode):
        self.raptors()

    def time_numpy(self, dtype, mode):
        self.numpy()

    def track_speedup(self, dtype, mode):
        return speedup(self.numpy, self.raptors, budget=0.6)

    track_speedup.unit = "ratio"
    track_speedup.rounds = 1


pin_versions(globals())  # each benchmark's version: see common.pin_versions
