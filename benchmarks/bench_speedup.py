"""In-process, noise-robust numbers: Raptors vs NumPy speedup, GB/s and copy-roofline fraction.

A timing on a shared machine swings a lot from run to run; a ratio measured in one process,
NumPy and Raptors alternating call after call, does not: whatever slows the machine slows both.
Each track_ here is the median over many interleaved rounds (see common.interleaved).

- track_speedup            NumPy time / Raptors time (> 1: Raptors faster). Unit "ratio".
- track_gbps               (bytes read + bytes written) / median time, as STREAM counts.
- track_roofline_fraction  Raptors' time for the copy-equivalent work vs the fastest plain copy
                           (numpy.copyto, memmove, memmove on every CPU) of the same bytes.
"""

import numpy as np

import raptors

from .common import (
    DTYPES,
    MODES,
    SHAPES,
    THREADS,
    factor,
    make_array,
    median_time,
    numpy_op,
    pin_versions,
    raptors_op,
    roofline_fraction,
    set_threads,
    speedup,
    stream_bytes,
)

TRACK_SHAPES = ["256x256", "2048x2048", "4096x4096"]


class _Tracked:
    params = [DTYPES, TRACK_SHAPES, MODES, THREADS]
    param_names = ["dtype", "shape", "mode", "threads"]
    rounds = 1  # the rounds are inside each measurement
    timeout = 120

    def setup(self, dtype, shape, mode, threads):
        self.prev_threads = set_threads(threads)
        self.x = make_array(SHAPES[shape], dtype)
        self.out = np.empty_like(self.x) if mode != "inplace" else self.x.copy()
        self.a = factor(dtype, mode)
        self.raptors = raptors_op(mode, self.x, self.out, self.a)
        self.numpy = numpy_op(mode, self.x, self.out, self.a)
        # Where the plain copy of the roofline writes (in place: to another array).
        self.copy_dst = self.out if mode != "inplace" else np.empty_like(self.x)

    def teardown(self, *params):
        raptors.set_num_threads(self.prev_threads)


class ScaleSpeedup(_Tracked):
    """NumPy time / Raptors time, interleaved in one process, median of the rounds."""

    def track_speedup(self, dtype, shape, mode, threads):
        return speedup(self.numpy, self.raptors, budget=0.6)

    track_speedup.unit = "ratio"


class ScaleBandwidth(_Tracked):
    """Raptors' bandwidth in GB/s (STREAM counting) and as a fraction of the copy roofline."""

    def track_gbps(self, dtype, shape, mode, threads):
        return stream_bytes(self.x) / median_time(self.raptors, budget=0.3) / 1e9

    track_gbps.unit = "GB/s"

    def track_roofline_fraction(self, dtype, shape, mode, threads):
        return roofline_fraction(self.raptors, self.x, self.copy_dst, budget=0.5)[0]

    track_roofline_fraction.unit = "fraction"


pin_versions(globals())  # each benchmark's version: see common.pin_versions
