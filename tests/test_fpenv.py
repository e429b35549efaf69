"""Raptors never changes the floating-point environment (no FTZ/DAZ, same
rounding): NumPy still makes and reads subnormals after every kind of call."""
import numpy as np

import raptors


def numpy_still_handles_subnormals():
    for dtype in (np.float32, np.float64):
        tiny = np.finfo(dtype).tiny
        x = np.full(64, tiny, dtype=dtype)
        half = x * dtype(0.5)                    # FTZ would give 0
        assert (half > 0).all(), dtype
        sub = np.full(64, np.finfo(dtype).smallest_subnormal, dtype=dtype)
        assert ((sub * dtype(2)) > 0).all(), dtype  # DAZ would read 0
    # Round to nearest, ties to even: 1 + eps/2 rounds down to 1.
    eps = np.finfo(np.float64).eps
    assert np.float64(1.0) + np.float64(eps / 2) == 1.0
    assert np.float64(1.0) + np.float64(eps * 0.75) > 1.0


def test_environment_unchanged_after_use():
    numpy_still_handles_subnormals()
    for variant in raptors.build_info()["simd_available"]:
        raptors.set_simd(variant)
        for n in (10, 100_000, 5_000_000):
            x = np.full(n, np.finfo(np.float32).tiny, np.float32)
            raptors.scale(x, 0.5)
            raptors.scale(x, 0.5, out=x)
            raptors.scale(x[::2], 0.5)
        numpy_still_handles_subnormals()
