"""Peak memory of the allocating path (raptors.scale(x, a) vs x * a): the process's maximum
resident size while it runs, which includes x (allocated in setup). Equal numbers mean Raptors
allocates no more than NumPy does."""

import numpy as np

import raptors

from .common import DTYPES, SHAPES, factor, make_array, pin_versions


class ScaleNewPeakMem:
    params = [DTYPES, ["2048x2048", "4096x4096"]]
    param_names = ["dtype", "shape"]

    def setup(self, dtype, shape):
        self.x = make_array(SHAPES[shape], dtype)
        self.a = factor(dtype)

    def peakmem_raptors(self, dtype, shape):
        raptors.scale(self.x, self.a)

    def peakmem_numpy(self, dtype, shape):
        np.multiply(self.x, self.a)


pin_versions(globals())  # each benchmark's version: see common.pin_versions
