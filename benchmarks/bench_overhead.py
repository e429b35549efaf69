"""Call overhead: a 16-element scale, where the call itself (argument checks, ctypes) is all the
cost. time_ per call for both, and the in-process ratio Raptors time / NumPy time (lower is
better; issue 4's target is at most 3)."""

import statistics

import numpy as np

import raptors

from .common import DTYPES, factor, interleaved, make_array, pin_versions


class CallOverhead:
    params = [DTYPES, ["new", "out"]]
    param_names = ["dtype", "mode"]
    repeat = (3, 7, 0.5)
    warmup_time = 0.02

    def setup(self, dtype, mode):
        self.x = make_array((16,), dtype)
        self.out = np.empty_like(self.x)
        self.a = factor(dtype)

    def time_raptors(self, dtype, mode):
        if mode == "new":
            raptors.scale(self.x, self.a)
        else:
            raptors.scale(self.x, self.a, out=self.out)

    def time_numpy(self, dtype, mode):
        if mode == "new":
            self.x * self.a
        else:
            np.multiply(self.x, self.a, out=self.out)

    def track_overhead_ratio(self, dtype, mode):
        """Raptors time / NumPy time per 16-element call, interleaved, median (lower is better)."""
        x, a, out = self.x, self.a, self.out
        if mode == "new":
            fr, fn = (lambda: raptors.scale(x, a)), (lambda: x * a)
        else:
            fr, fn = (lambda: raptors.scale(x, a, out=out)), (lambda: np.multiply(x, a, out=out))
        tr, tn = interleaved([fr, fn], budget=0.4)
        return statistics.median(r / n for r, n in zip(tr, tn))

    track_overhead_ratio.unit = "ratio"
    track_overhead_ratio.rounds = 1


pin_versions(globals())  # each benchmark's version: see common.pin_versions
