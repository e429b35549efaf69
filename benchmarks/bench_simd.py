"""What SIMD buys: the same scale (float32 and float64, 2048x2048, out=, one thread) with each
kernel variant forced (raptors.set_simd). Variants this build or CPU lacks are skipped."""

import numpy as np

import raptors

from .common import DTYPES, factor, make_array, pin_versions

VARIANTS = ["scalar", "avx2", "avx512", "neon"]


class ScaleSimd:
    params = [DTYPES, VARIANTS]
    param_names = ["dtype", "simd"]
    repeat = (3, 7, 1.0)
    warmup_time = 0.02
    shape = (2048, 2048)

    def setup(self, dtype, simd):
        if simd not in raptors.build_info()["simd_available"]:
            raise NotImplementedError("%s is not available on this machine/build" % simd)
        self.prev = (raptors.get_num_threads(), raptors.get_simd())
        raptors.set_num_threads(1)
        raptors.set_simd(simd)
        self.x = make_array(self.shape, dtype)
        self.out = np.empty_like(self.x)
        self.a = factor(dtype)

    def teardown(self, dtype, simd):
        if hasattr(self, "prev"):  # asv calls teardown after a skipping setup too
            raptors.set_num_threads(self.prev[0])
            raptors.set_simd("auto")

    def time_scale(self, dtype, simd):
        raptors.scale(self.x, self.a, out=self.out)


pin_versions(globals())  # each benchmark's version: see common.pin_versions
