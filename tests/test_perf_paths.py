"""The paths that exist for speed give the same answers as the plain ones: the
contiguous fast path (ndarray data pointer read by the library), the pooled
buffers of the new-array path, streaming stores, the split across threads."""

import ctypes
import os
import pickle
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
from conftest import DTYPES, assert_bitwise_equal, reference

import raptors
from raptors import _ffi, api

POOL_MIN = api.POOL_MIN_BYTES


def pooled(a):
    """a's memory is a block of libraptors' pool: NumPy's own kind of array through the
    NumPy memory handler, else (other interpreters) an array over a _Block."""
    if _ffi.NUMPY_HANDLER:
        return (
            a.flags.owndata
            and a.base is None
            and np._core.multiarray.get_handler_name(a) == _ffi.HANDLER_NAME
        )
    return isinstance(a.base, _ffi._Block)


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_fast_path_is_on_here():
    # CPython + NumPy: the data-pointer offset was verified at import.
    if sys.implementation.name == "cpython":
        assert object.__basicsize__ == _ffi.DATA_OFFSET


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 5, 16, 100, 4099, 70000])
def test_fast_path_matches_general_path(monkeypatch, dtype, n):
    x = (np.random.default_rng(n).standard_normal(n) * 1e3).astype(dtype)
    for factor in [2.5, -0.0, np.inf, np.nan, 3e38, 1e-310, 0.1]:
        fast = raptors.scale(x, factor)
        out = np.empty_like(x)
        assert raptors.scale(x, factor, out=out) is out
        assert_bitwise_equal(fast, reference(x, factor))
        assert_bitwise_equal(out, reference(x, factor))
    monkeypatch.setattr(api, "_ARRAYS", 0)
    assert_bitwise_equal(raptors.scale(x, 0.1), reference(x, 0.1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fname", ["add", "subtract", "multiply"])
def test_an_array_and_a_python_float_on_the_fast_path_and_off_it(fname, dtype):
    """x op float: the fast path (the float packed into the block as its value, the layout
    checked by the library) for a new result, out= and in place; the general path for the
    layouts it refuses; NumPy's bits, result types, warnings and errors either way."""
    f, npf = getattr(raptors, fname), getattr(np, fname)
    x = (np.random.default_rng(3).standard_normal(1003) * 1e3).astype(dtype)
    for y in [1.5, -0.0, 1e-310, 3.4e38, float("inf"), float("nan"), 0.1]:
        want = npf(x, y)
        assert_bitwise_equal(f(x, y), want)
        out = np.empty_like(x)
        assert f(x, y, out=out) is out
        assert_bitwise_equal(out, want)
        xi = x.copy()
        assert f(xi, y, out=xi) is xi
        assert_bitwise_equal(xi, want)
        m = x[:1000].reshape(40, 25)
        for view in (np.asfortranarray(m), m[:, ::2], m[::-1]):
            assert_bitwise_equal(f(view, y), npf(view, y))
            o = np.zeros(view.shape, dtype, order="F")
            assert f(view, y, out=o) is o
            assert_bitwise_equal(o, npf(view, y))
    zero_d = f(np.array(2.0, dtype), 1.5)
    assert type(zero_d) is type(npf(np.array(2.0, dtype), 1.5)) and zero_d == npf(dtype(2), 1.5)
    ro = np.zeros_like(x)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        f(x, 1.5, out=ro)
    with pytest.raises(ValueError):
        f(x, 1.5, out=np.empty(x.size - 1, dtype))
    assert not ro.any()
    if dtype == np.float32:  # beyond float32: NumPy's one cast warning, then x op inf
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            r = f(x[:16], 1e39)
        with warnings.catch_warnings(record=True) as numpys:
            warnings.simplefilter("always")
            w = npf(x[:16], 1e39)
        assert [str(m.message) for m in got] == [str(m.message) for m in numpys]
        assert_bitwise_equal(r, w)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fast_path_partial_overlap_is_numpys(dtype):
    # Both views contiguous, overlapping by all but one element: the library
    # refuses (EOVERLAP) and the general path reads from a snapshot.
    base = np.arange(1000, dtype=dtype)
    expected = reference(base[:-1].copy(), 3.0)
    got = raptors.scale(base[:-1], 3.0, out=base[1:])
    assert_bitwise_equal(got, expected)
    base = np.arange(1000, dtype=dtype)
    expected = reference(base[1:].copy(), 3.0)
    raptors.scale(base[1:], 3.0, out=base[:-1])
    assert_bitwise_equal(base[:-1], expected)


def test_fast_path_in_place_and_bad_out():
    x = np.arange(100, dtype=np.float32)
    expected = reference(x, 1.5)
    assert raptors.scale(x, 1.5, out=x) is x
    assert_bitwise_equal(x, expected)
    with pytest.raises(ValueError):
        raptors.scale(x, 1.5, out=np.empty(99, np.float32))
    ro = np.empty_like(x)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        raptors.scale(x, 1.5, out=ro)
    with pytest.raises(TypeError):
        raptors.scale(x, 1.5, out=np.empty(100, np.float64))
    with pytest.raises(TypeError):
        raptors.scale(np.arange(4, dtype=np.uint8), 1.5)


def test_calls_through_references_refuse_null():
    code = _ffi.OPS["scale"] | _ffi.CALL_REFS | _ffi.CALL_CONTIG | _ffi.CALL_SCALAR_Y
    for dtype_code in _ffi.DTYPE_CODES.values():
        block = (ctypes.c_int64 * 5)(code | dtype_code, 4, 0, 0, 0)
        assert _ffi.call(ctypes.addressof(block)) == _ffi.EINVAL


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooled_result_is_an_ordinary_array(dtype):
    n = POOL_MIN // np.dtype(dtype).itemsize + 3
    x = np.random.default_rng(1).standard_normal(n).astype(dtype)
    y = raptors.scale(x, 1.25)
    assert pooled(y)
    assert y.flags.c_contiguous and y.flags.writeable and y.flags.aligned
    assert y.ctypes.data % (2 << 20) == 0
    assert_bitwise_equal(y, reference(x, 1.25))
    assert_bitwise_equal(pickle.loads(pickle.dumps(y)), y)
    y[0] = 7  # writable, like NumPy's result
    assert y[0] == 7


def test_pooled_buffers_return_and_are_reused_correctly():
    _ffi.pool_trim()
    n = 2 * POOL_MIN // 4
    x = np.arange(n, dtype=np.float32)
    y = raptors.scale(x, 2.0)
    addr = y.ctypes.data
    assert _ffi.pool_cached() == 0
    del y  # the array was the block's only owner: back to the pool
    assert _ffi.pool_cached() >= 2 * POOL_MIN
    z = raptors.scale(x, -3.0)  # same size class: the same block, fully rewritten
    assert z.ctypes.data == addr
    assert _ffi.pool_cached() == 0
    assert_bitwise_equal(z, reference(x, -3.0))
    del z
    assert _ffi.pool_trim() >= 2 * POOL_MIN
    assert _ffi.pool_cached() == 0


def test_views_keep_pooled_buffer_alive():
    _ffi.pool_trim()
    n = 2 * POOL_MIN // 8
    x = np.linspace(-1, 1, n)
    y = raptors.scale(x, 3.0)
    views = [y[5:], y.reshape(-1, 2).T, y[::-3], np.asarray(y)]
    expected = reference(x, 3.0)
    del y
    assert _ffi.pool_cached() == 0  # still owned through the views
    others = [raptors.scale(x, -1.0) for _ in range(3)]  # must not get the viewed block
    assert_bitwise_equal(views[0], expected[5:])
    assert_bitwise_equal(views[1], expected.reshape(-1, 2).T)
    assert_bitwise_equal(views[2], expected[::-3])
    for o in others:
        assert_bitwise_equal(o, reference(x, -1.0))
    del views
    assert _ffi.pool_cached() > 0


def test_fortran_order_result_is_pooled_and_fortran():
    x = np.asfortranarray(np.random.default_rng(2).standard_normal((1000, 700)))  # > POOL_MIN
    y = raptors.scale(x, 0.5)
    assert y.flags.f_contiguous and pooled(y)
    assert_bitwise_equal(y, reference(x, 0.5))


def test_resident_memory_flat_over_many_allocating_calls():
    x = np.ones(4 * POOL_MIN // 4, dtype=np.float32)  # 4 MiB results
    for _ in range(5):
        raptors.scale(x, 2.0)
    before = _rss_bytes()
    for i in range(300):
        y = raptors.scale(x, float(i))
        assert y[-1] == i
    del y
    grown = _rss_bytes() - before
    assert grown < 16 * POOL_MIN, f"resident memory grew by {grown} bytes"


def test_pool_under_concurrent_python_threads():
    x = np.random.default_rng(3).standard_normal(3 * POOL_MIN // 8)
    errors = []

    def work(k):
        for i in range(20):
            f = float(k * 100 + i)
            y = raptors.scale(x, f)
            if not np.array_equal(y, reference(x, f)):
                errors.append((k, i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# The thresholds are read from the caches; a child process with tiny overrides
# drives streaming stores, alignment peeling and the thread split through sizes
# and offsets a quick test can afford.
_CHILD = r"""
import numpy as np, raptors, sys
sys.path.insert(0, "tests")
from conftest import reference, assert_bitwise_equal
raptors.set_num_threads(2)
for variant in raptors.build_info()["simd_available"]:
    raptors.set_simd(variant)
    for dtype in (np.float32, np.float64):
        es = np.dtype(dtype).itemsize
        for n in (1, 7, 63, 64, 65, 1000, 4099, 20001):
            for off in (0, es, 3 * es, 60):
                raw = np.zeros(n * es + 128, np.uint8)
                out = raw[off:off + n * es].view(dtype)
                x = np.random.default_rng(n).standard_normal(n).astype(dtype)
                raptors.scale(x, -1.75, out=out)
                assert_bitwise_equal(out, reference(x, -1.75))
                assert not raw[:off].any() and not raw[off + n * es:].any()
                xi = x.copy()
                raptors.scale(xi, 0.3, out=xi)
                assert_bitwise_equal(xi, reference(x, 0.3))
print("ok")
"""


@pytest.mark.parametrize(
    "thresholds",
    [
        # streaming stores and the second thread forced on small sizes
        {"RAPTORS_STREAM_MIN_BYTES": "64", "RAPTORS_MIN_BYTES_PER_THREAD": "256"},
        # never streaming, default thread threshold
        {"RAPTORS_STREAM_MIN_BYTES": "0"},
    ],
    ids=["stream-and-threads-forced", "never-stream"],
)
def test_every_path_exact_under_thresholds(thresholds):
    r = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=dict(os.environ, **thresholds),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("factor_type", [float, np.float32, np.float64])
def test_fast_path_numpy_scalar_factors_round_like_numpy(dtype, factor_type):
    """The fast path also takes NumPy float scalars that do not promote x: the factor must
    still be rounded to x's dtype exactly once, as x.dtype.type(factor) does; np.float64 with
    float32 x promotes (NEP 50) and gives NumPy's float64 result."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(1000).astype(dtype)
    for raw in list(rng.standard_normal(50) * 10.0 ** rng.integers(-40, 40, 50)) + [
        1 + 2.0**-24 + 2.0**-50,
        3e38,
        1e-45,
        float("inf"),
        float("nan"),
    ]:
        with np.errstate(all="ignore"):
            factor = factor_type(raw)
            got = raptors.scale(x, factor)
        assert_bitwise_equal(got, reference(x, factor))
