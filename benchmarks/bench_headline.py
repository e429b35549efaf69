"""The headline: scale of a float32 2048x2048 array (y = 2.5 * x into an existing array,
`out=`), Raptors with its default threads (every usable CPU) beside NumPy's np.multiply.

asv names: bench_headline.ScaleF32At2048.{time_raptors, time_numpy, track_speedup,
track_gbps, track_roofline_fraction}.
"""

import numpy as np

import raptors

from .common import (
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


class ScaleF32At2048:
    """float32, 2048x2048, out=, all CPUs: the number the project is judged by."""

    shape = (2048, 2048)
    dtype = "float32"
    mode = "out"
    repeat = (5, 20, 4.0)
    warmup_time = 0.05

    def setup(self):
        self.prev_threads = set_threads("all")
        self.x = make_array(self.shape, self.dtype)
        self.out = np.empty_like(self.x)
        self.a = factor(self.dtype)
        self.raptors = raptors_op(self.mode, self.x, self.out, self.a)
        self.numpy = numpy_op(self.mode, self.x, self.out, self.a)

    def teardown(self):
        raptors.set_num_threads(self.prev_threads)

    def time_raptors(self):
        raptors.scale(self.x, self.a, out=self.out)

    def time_numpy(self):
        np.multiply(self.x, self.a, out=self.out)

    def track_speedup(self):
        """NumPy time / Raptors time, median of interleaved rounds in one process."""
        return speedup(self.numpy, self.raptors, budget=1.5)

    track_speedup.unit = "ratio"

    def track_gbps(self):
        """Raptors' bandwidth, STREAM-counted: (bytes read + bytes written) / median time."""
        return stream_bytes(self.x) / median_time(self.raptors, budget=0.8) / 1e9

    track_gbps.unit = "GB/s"

    def track_roofline_fraction(self):
        """Raptors' bandwidth / the fastest plain copy of the same bytes, same process."""
        return roofline_fraction(self.raptors, self.x, self.out, budget=1.5)[0]

    track_roofline_fraction.unit = "fraction"


pin_versions(globals())  # each benchmark's version: see common.pin_versions
