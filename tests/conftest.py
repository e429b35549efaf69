"""Shared helpers for the Raptors tests."""

import os
import shutil
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import raptors

DTYPES = [np.float32, np.float64]
# Other dtypes: scale raises TypeError for these (int32 and int64 are computed: see
# test_int_elementwise.py).
UNSUPPORTED_DTYPES = [
    np.int8,
    np.int16,
    np.uint8,
    np.uint32,
    np.uint64,
    np.bool_,
    np.float16,
    np.longdouble,
    np.complex64,
    np.complex128,
    "U2",
    "S2",
    object,
    "datetime64[s]",
    "timedelta64[ms]",
    "f4,f4",
    "V8",
]


def reference(x, factor):
    """NumPy's answer, the contract: np.multiply(x, factor) under NEP 50 -- a Python scalar
    takes x's dtype (np.multiply(x, x.dtype.type(factor))), a NumPy scalar or 0-d array keeps
    its own and promotes."""
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        if isinstance(factor, (np.generic, np.ndarray)):
            return np.multiply(x, factor)
        return np.multiply(x, x.dtype.type(factor))


def assert_bitwise_equal(actual, expected):
    """Equal bit for bit, except that any NaN matches any NaN."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    actual, expected = np.atleast_1d(actual), np.atleast_1d(expected)  # 0-d: index as 1-d
    uint = np.uint32 if actual.dtype == np.float32 else np.uint64
    a_bits = np.ascontiguousarray(actual).view(uint)
    e_bits = np.ascontiguousarray(expected).view(uint)
    both_nan = np.isnan(actual) & np.isnan(expected)
    bad = (a_bits != e_bits) & ~both_nan
    if bad.any():
        idx = np.argwhere(bad)[:5]
        details = [(tuple(i), actual[tuple(i)], expected[tuple(i)]) for i in idx]
        raise AssertionError(f"{int(bad.sum())} elements differ, e.g. {details}")


# The columns of a result in asv's results file (asv 0.6, "result_columns"), for tests that
# write result sets of their own.
ASV_RESULT_COLUMNS = [
    "result",
    "params",
    "version",
    "started_at",
    "duration",
    "stats_ci_99_a",
    "stats_ci_99_b",
    "stats_q_25",
    "stats_q_75",
    "stats_number",
    "stats_repeat",
    "samples",
    "profile",
]


def special_values(dtype):
    """±0, ±inf, NaNs, subnormals, the extremes of the dtype, and ordinary numbers."""
    info = np.finfo(dtype)
    vals = [
        0.0,
        -0.0,
        np.inf,
        -np.inf,
        np.nan,
        -np.nan,
        1.0,
        -1.0,
        0.5,
        2.0,
        3.0,
        65504.0,  # float16's largest
        info.max,
        -info.max,
        info.tiny,
        -info.tiny,
        info.smallest_subnormal,
        -info.smallest_subnormal,
        info.tiny / 2,
        info.eps,
        1 / 3,
        1e-30,
        1e30,
    ]
    out = np.array(vals, dtype=dtype)
    # A NaN with a payload, to see payloads survive as NumPy's do.
    uint = np.uint32 if dtype == np.float32 else np.uint64
    payload = np.array([0x7FC00001 if dtype == np.float32 else 0x7FF8000000000001], dtype=uint)
    return np.concatenate([out, payload.view(dtype)])


ROOT = Path(__file__).resolve().parents[1]


def compile_c_library(directory, name, source, *flags):
    """directory/name.so built from C source with $CC (under `make test-arm64`, the cross
    compiler: the library is loaded by the emulated interpreter)."""
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        pytest.fail(f"a C compiler ({cc}) is needed to build {name}.so for a test")
    src = Path(directory) / f"{name}.c"
    src.write_text(textwrap.dedent(source))
    lib = Path(directory) / f"{name}.so"
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", str(lib), str(src), *flags], check=True)
    return lib


def run_python(args, env=None, timeout=600):
    """sys.executable with args in the source tree's root, output captured; a child that
    did not exit with 0 fails the test with its stderr."""
    r = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert r.returncode == 0, f"the child exited with {r.returncode}: {r.stderr[-4000:]}"
    return r


def under_asan() -> bool:
    """True when this process runs with AddressSanitizer preloaded (`make sanitize`)."""
    try:
        with open("/proc/self/maps") as f:
            return "libasan" in f.read()
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _restore_runtime_state():
    """Each test starts and ends with the default threads and SIMD variant."""
    threads = raptors.get_num_threads()
    yield
    raptors.set_num_threads(threads)
    raptors.set_simd("auto")


@contextmanager
def bufsize(n):
    """np.setbufsize(n) for the block (NumPy's order of additions follows it), then the old."""
    old = np.getbufsize()
    np.setbufsize(n)
    try:
        yield
    finally:
        np.setbufsize(old)
