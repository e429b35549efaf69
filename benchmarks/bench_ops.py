"""Every operation beside NumPy: add, subtract, multiply, sum, mean (scale has its own modules).

In the shape of NumPy's own benchmarks/benchmarks/bench_ufunc.py and bench_reduce.py: small
parameterized classes, operands allocated in setup, one thing timed or tracked per method. Per
operation <Op> (Add, Subtract, Multiply, Sum, Mean):

- <Op>.time_raptors / .time_numpy    one call each, dtype x shape (1024², 2048²), every CPU
- <Op>Speedup.track_speedup          NumPy time / Raptors time, interleaved in one process
                                     (median of rounds), dtype x shape x threads (1, all)
- <Op>Bandwidth.track_gbps           Raptors' STREAM-counted bandwidth at the large sizes
- <Op>Bandwidth.track_roofline_fraction   that bandwidth / the fastest plain copy's
- <Op>Overhead.time_raptors/.time_numpy/.track_overhead_ratio   a 16-element call (the call
                                     path is the whole cost); ratio = Raptors / NumPy time
- <Op>PeakMem.peakmem_raptors/.peakmem_numpy   where the operation allocates: a new 2048²
                                     result (binary), the axis-0 result and scratch (reductions)

The binary operations are timed as np.add(x, y, out=o) (same-shape operands, no allocation:
the kernel and the call path); the reductions as np.sum(x) / np.mean(x) (all axes). Broadcast
rows and the axis reductions are in bench_matrix.Matrix. Instructions per call are in
bench_instructions. A commit without the operation (an older commit of bench-history) skips.
"""

import numpy as np

import raptors

from .common import (
    DTYPES,
    THREADS,
    case,
    case_roofline,
    gbps,
    overhead_ratio,
    pin_versions,
    require,
    set_threads,
    speedup,
)

SHAPES_LARGE = ["1024x1024", "2048x2048"]
_VARIANT = {"add": "same", "subtract": "same", "multiply": "same", "sum": "all", "mean": "all"}
_MODE = {"add": "out", "subtract": "out", "multiply": "out", "sum": "new", "mean": "new"}


class _Base:
    op = "add"

    def _case(self, dtype, shape, variant=None, mode=None):
        c = case(self.op, shape, dtype, variant or _VARIANT[self.op], mode or _MODE[self.op])
        c.raptors()  # first touch, page faults, thread-pool start: not timed
        c.numpy()
        return c


class _Time(_Base):
    params = [DTYPES, SHAPES_LARGE]
    param_names = ["dtype", "shape"]
    repeat = (3, 7, 0.5)
    warmup_time = 0.02

    def setup(self, dtype, shape):
        c = self._case(dtype, shape)
        self.raptors_fn, self.numpy_fn = c.raptors, c.numpy

    def time_raptors(self, dtype, shape):
        self.raptors_fn()

    def time_numpy(self, dtype, shape):
        self.numpy_fn()


class _Speedup(_Base):
    params = [DTYPES, SHAPES_LARGE, THREADS]
    param_names = ["dtype", "shape", "threads"]
    rounds = 1  # the rounds are inside each measurement
    timeout = 120

    def setup(self, dtype, shape, threads):
        require(self.op)
        self.prev_threads = set_threads(threads)
        self.c = self._case(dtype, shape)

    def teardown(self, *params):
        if hasattr(self, "prev_threads"):
            raptors.set_num_threads(self.prev_threads)

    def track_speedup(self, dtype, shape, threads):
        """NumPy time / Raptors time, interleaved in one process, median of the rounds."""
        return speedup(self.c.numpy, self.c.raptors, budget=0.5)

    track_speedup.unit = "ratio"


class _Bandwidth(_Base):
    params = [DTYPES, SHAPES_LARGE]
    param_names = ["dtype", "shape"]
    rounds = 1
    timeout = 120

    def setup(self, dtype, shape):
        self.c = self._case(dtype, shape)

    def track_gbps(self, dtype, shape):
        """Bytes read + bytes written per call (STREAM's count) / median time."""
        return gbps(self.c.raptors, self.c.nbytes, budget=0.3)

    track_gbps.unit = "GB/s"

    def track_roofline_fraction(self, dtype, shape):
        """Raptors' GB/s / the GB/s of the fastest plain copy of x, same rounds."""
        return case_roofline(self.c, budget=0.4)

    track_roofline_fraction.unit = "fraction"


class _Overhead(_Base):
    """A 16-element call, new result: what the call path costs, Raptors beside NumPy."""

    params = [DTYPES]
    param_names = ["dtype"]
    repeat = (3, 7, 0.5)
    warmup_time = 0.02

    def setup(self, dtype):
        c = self._case(dtype, (16,), mode="new")
        self.raptors_fn, self.numpy_fn = c.raptors, c.numpy
        self.x = c.arrays["x"]
        self.y = c.arrays.get("y")
        self.r = getattr(raptors, self.op)
        self.n = getattr(np, self.op)

    def time_raptors(self, dtype):
        if self.y is None:
            self.r(self.x)
        else:
            self.r(self.x, self.y)

    def time_numpy(self, dtype):
        if self.y is None:
            self.n(self.x)
        else:
            self.n(self.x, self.y)

    def track_overhead_ratio(self, dtype):
        """Raptors time / NumPy time per 16-element call, interleaved, median (lower is
        better)."""
        return overhead_ratio(self.raptors_fn, self.numpy_fn, budget=0.4)

    track_overhead_ratio.unit = "ratio"
    track_overhead_ratio.rounds = 1


class _PeakMem(_Base):
    """Peak resident memory of one call that allocates (includes x, made in setup)."""

    params = [DTYPES]
    param_names = ["dtype"]
    shape = "2048x2048"

    def setup(self, dtype):
        variant, mode = ("same", "new") if self.op not in ("sum", "mean") else ("axis0", "new")
        c = case(self.op, self.shape, dtype, variant, mode)
        self.raptors_fn, self.numpy_fn = c.raptors, c.numpy

    def peakmem_raptors(self, dtype):
        self.raptors_fn()

    def peakmem_numpy(self, dtype):
        self.numpy_fn()


# ---- add ----
class Add(_Time):
    op = "add"


class AddSpeedup(_Speedup):
    op = "add"


class AddBandwidth(_Bandwidth):
    op = "add"


class AddOverhead(_Overhead):
    op = "add"


class AddPeakMem(_PeakMem):
    op = "add"


# ---- subtract ----
class Subtract(_Time):
    op = "subtract"


class SubtractSpeedup(_Speedup):
    op = "subtract"


class SubtractBandwidth(_Bandwidth):
    op = "subtract"


class SubtractOverhead(_Overhead):
    op = "subtract"


class SubtractPeakMem(_PeakMem):
    op = "subtract"


# ---- multiply ----
class Multiply(_Time):
    op = "multiply"


class MultiplySpeedup(_Speedup):
    op = "multiply"


class MultiplyBandwidth(_Bandwidth):
    op = "multiply"


class MultiplyOverhead(_Overhead):
    op = "multiply"


class MultiplyPeakMem(_PeakMem):
    op = "multiply"


# ---- sum ----
class Sum(_Time):
    op = "sum"


class SumSpeedup(_Speedup):
    op = "sum"


class SumBandwidth(_Bandwidth):
    op = "sum"


class SumOverhead(_Overhead):
    op = "sum"


class SumPeakMem(_PeakMem):
    op = "sum"


# ---- mean ----
class Mean(_Time):
    op = "mean"


class MeanSpeedup(_Speedup):
    op = "mean"


class MeanBandwidth(_Bandwidth):
    op = "mean"


class MeanOverhead(_Overhead):
    op = "mean"


class MeanPeakMem(_PeakMem):
    op = "mean"


pin_versions(globals())  # each benchmark's version: see common.pin_versions
