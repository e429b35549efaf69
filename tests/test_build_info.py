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
    assert info["abi_version"] == raptors._ffi.ABI_VERSION == 10
    assert info["simd"] in info["simd_available"] and "scalar" in info["simd_available"]
    assert info["num_threads"] == raptors.get_num_threads() >= 1
    assert info["spin_us"] == raptors.get_spin_us()
    pool = raptors.get_pool()
    assert (info["pool_max_bytes"], info["pool_idle_ms"]) == (pool["max_bytes"], pool["idle_ms"])
    assert re.search(r"\d+\.\d+", info["compiler"])


# Any option that touches floating-point semantics: every -f...math... option (fast,
# unsafe, finite, reciprocal, associative, errno), signed zeros, trapping, and the one
# -O level spelled as a word. The build passes none; -ffp-contract=off is the exception
# it needs (no fused multiply-add).
FP_SEMANTICS_OPTION = re.compile(r"^-f\S*(math|signed-zeros|trapping)|^-O[a-z]{2,}$")


def test_flags_are_ieee_safe():
    flags = raptors.build_info()["cflags"].split()
    assert "-O3" in flags and "-flto" in flags and "-ffp-contract=off" in flags
    assert not [f for f in flags if FP_SEMANTICS_OPTION.search(f)], flags


def test_fp_semantics_pattern_catches_what_it_must():
    """The pattern above has teeth: each -f option that gives up IEEE semantics is caught,
    the build's own flags are not."""
    words = [
        "fast-math",
        "unsafe-math-optimizations",
        "finite-math-only",
        "no-signed-zeros",
        "reciprocal-math",
        "associative-math",
        "no-math-errno",
        "no-trapping-math",
    ]
    assert all(FP_SEMANTICS_OPTION.search("-f" + w) for w in words)
    safe = ["-O3", "-Os", "-flto", "-ffp-contract=off", "-fPIC", "-fvisibility=hidden"]
    assert not [f for f in safe if FP_SEMANTICS_OPTION.search(f)]


def test_every_variant_selectable():
    for name in raptors.build_info()["simd_available"]:
        raptors.set_simd(name)
        assert raptors.get_simd() == name == raptors.build_info()["simd"]
        x = np.ones(100, np.float32)
        assert (raptors.scale(x, 2) == 2).all()
