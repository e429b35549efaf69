"""NumPy's wider reduction surface beside NumPy: nansum and nanmean (2 % NaN), integer and bool
sums and means, a float32 sum added in float64 (dtype=) -- where NumPy runs far below memory
speed. One parameterized class per kind of measurement, in the shape of NumPy's
bench_reduce.py: operands allocated in setup, one thing timed or tracked per method.

- WideReduction.time_raptors / .time_numpy   one call each, case x shape (2048², 8192²)
- WideReductionSpeedup.track_speedup         NumPy time / Raptors time, interleaved in one
                                             process (median of rounds), case x threads (1, all)

A case is "<function>-<dtype>[-<variant>]": variant axis0/axis1, or as-f64 (dtype=float64);
float inputs of nan* hold NaN at every 50th element. A commit that lacks the function or
refuses the dtype (an older one of bench-history) skips.
"""

import numpy as np

import raptors

from .common import THREADS, measure, require, set_threads, speedup

CASES = [
    "nansum-float32",
    "nanmean-float32",
    "nanmean-float32-axis0",
    "nansum-float64",
    "sum-int32",
    "mean-int32",
    "sum-uint8",
    "sum-bool",
    "mean-int16",
    "sum-float32-as-f64",
]
SHAPES = {"2048x2048": (2048, 2048), "8192x8192": (8192, 8192)}


def _case(name, shape):
    parts = name.split("-")
    op, dtype = parts[0], parts[1]
    variant = {"axis0": "axis0", "axis1": "axis1", "as": "all-f64"}.get(
        parts[2] if len(parts) > 2 else "", "all"
    )
    require(op)
    c = measure.make_case(op, shape, dtype, raptors, variant, "new")
    if dtype == "bool":  # make_array gives all True: a mask of about half True instead
        c.arrays["x"][...] = np.random.default_rng(0).random(shape) < 0.5
    try:
        c.raptors()  # first touch, thread-pool start: not timed
    except TypeError as e:  # a commit from before this dtype
        raise NotImplementedError(str(e)) from None
    c.numpy()
    return c


def _only_nanmean_from_dram(case, shape):
    if shape == "8192x8192" and case != "nanmean-float32":
        raise NotImplementedError("8192² (from DRAM): nanmean only, for the suite's time")


class WideReduction:
    params = [CASES, list(SHAPES)]
    param_names = ["case", "shape"]
    repeat = (3, 7, 0.5)
    warmup_time = 0.02
    timeout = 240
    version = "1"

    def setup(self, case, shape):
        _only_nanmean_from_dram(case, shape)
        c = _case(case, SHAPES[shape])
        self.raptors_fn, self.numpy_fn = c.raptors, c.numpy

    def time_raptors(self, case, shape):
        self.raptors_fn()

    def time_numpy(self, case, shape):
        self.numpy_fn()


class WideReductionSpeedup:
    params = [CASES, list(SHAPES), THREADS]
    param_names = ["case", "shape", "threads"]
    rounds = 1  # the rounds are inside each measurement
    timeout = 240
    version = "1"

    def setup(self, case, shape, threads):
        _only_nanmean_from_dram(case, shape)
        self.prev_threads = set_threads(threads)
        self.c = _case(case, SHAPES[shape])

    def teardown(self, *params):
        if hasattr(self, "prev_threads"):
            raptors.set_num_threads(self.prev_threads)

    def track_speedup(self, case, shape, threads):
        """NumPy time / Raptors time, interleaved in one process, median of the rounds."""
        return speedup(self.c.numpy, self.c.raptors, budget=0.5)

    track_speedup.unit = "ratio"
