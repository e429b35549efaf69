"""The build records what it was built with; the library reports it."""

import re

import numpy as np

import raptors


def test_build_info_fields():
    info = raptors.build_info()
    for key in [
        "version",
        "abi_version",
        "compiler",
        "cflags",
        "target",
        "git_commit",
        "simd",
        "simd_available",
        "num_threads",
        "l1d_bytes",
        "l2_bytes",
        "l3_bytes",
        "library",
        "platform",
    ]:
        assert key in info, key
    assert info["version"] == raptors.__version__
    assert info["abi_version"] == raptors._ffi.ABI_VERSION == 2
    assert info["simd"] in info["simd_available"] and "scalar" in info["simd_available"]
    assert info["num_threads"] == raptors.get_num_threads() >= 1
    assert re.search(r"\d+\.\d+", info["compiler"])


def test_flags_are_ieee_safe():
    flags = raptors.build_info()["cflags"].split()
    assert "-O3" in flags and "-flto" in flags
    for bad in [
        "-ffast-math",
        "-Ofast",
        "-funsafe-math-optimizations",
        "-ffinite-math-only",
        "-fno-signed-zeros",
    ]:
        assert bad not in flags


def test_every_variant_selectable():
    for name in raptors.build_info()["simd_available"]:
        raptors.set_simd(name)
        assert raptors.get_simd() == name == raptors.build_info()["simd"]
        x = np.ones(100, np.float32)
        assert (raptors.scale(x, 2) == 2).all()
