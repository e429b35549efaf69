"""sum and mean equal NumPy 2.4's np.sum / np.mean bit for bit: every size around the
pairwise leaves and splits, every layout (C, Fortran, transposed, sliced, negative
strides, views NumPy buffers), every axis with and without keepdims, every
np.getbufsize(), special values, thread counts and SIMD variants -- and follow NumPy's
order of additions exactly, checked against this suite's own slow model of that order
(numpy_order_model.py, itself checked against NumPy here) and against wrong orders that
must differ. Any NaN matches any NaN (NumPy's NaN payloads follow no rule)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import numpy_order_model as order
import pytest
from conftest import DTYPES, assert_bitwise_equal, bufsize, special_values
from hypothesis import given, settings
from hypothesis import strategies as st

import raptors

# What NumPy sums and Raptors does not (every integer width and bool it does).
UNSUPPORTED_DTYPES = [np.float16, np.longdouble, np.complex64, np.complex128, "U2", object]

VARIANTS = raptors.build_info()["simd_available"]
QEMU_USER = bool(os.environ.get("QEMU_LD_PREFIX"))  # `make test-arm64`: ~30x slower
EXAMPLES = 40 if QEMU_USER else 250
THREADS = [1, 2, 3, 7]
# Under qemu the big-array thread tests take fewer thread counts, views and buffer sizes.
THREAD_COUNTS = [1, 3] if QEMU_USER else THREADS
# np.setbufsize accepts multiples of 16 only; 16 is its minimum, 8192 the default.
BUFSIZES = [16, 32, 48, 1024, 4000, 8192, 1 << 16]
LAYOUT_BUFSIZES = [16, 1024, 8192] if QEMU_USER else BUFSIZES
# Around the 8 accumulators, the 128-element leaves and the splits (n/2 rounded down
# to a multiple of 8), 2^k +- 1, primes, and beyond one default buffer (8192).
SIZES = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 136, 255, 256]
SIZES += [257, 383, 384, 385, 511, 512, 513, 520, 1000, 1024, 1025, 4095, 4099, 8191, 8193]
SIZES += [10007, 65537]


@pytest.fixture(autouse=True)
def _restore_bufsize():
    old = np.getbufsize()
    yield
    np.setbufsize(old)


def values(n, dtype, seed, spread=3):
    """n numbers of mixed signs and magnitudes (10^-spread .. 10^spread)."""
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        return (rng.standard_normal(n) * 10.0 ** rng.uniform(-spread, spread, n)).astype(dtype)


def check(got, want):
    """Same type (NumPy scalar or ndarray), dtype, shape and bits (any NaN matches any NaN)."""
    assert type(got) is type(want), (type(got), type(want))
    assert np.shape(got) == np.shape(want), (np.shape(got), np.shape(want))
    # atleast_1d: conftest's message indexing needs a dimension.
    assert_bitwise_equal(np.atleast_1d(got), np.atleast_1d(want))


def numpy_answer(fname, x, axis=None, keepdims=False):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return getattr(np, fname)(x, axis=axis, keepdims=keepdims)


def raptors_answer(fname, x, axis=None, keepdims=False):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return getattr(raptors, fname)(x, axis=axis, keepdims=keepdims)


def check_all_axes(x, fnames=("sum", "mean")):
    """Every axis (None, each one, negative too) with and without keepdims. For a
    byte-swapped x NumPy's result may keep x's byte order, Raptors' is native: the
    values must be the same bits."""
    for fname in fnames:
        for axis in [None, *range(-x.ndim, x.ndim)]:
            for keepdims in (False, True):
                want = numpy_answer(fname, x, axis, keepdims)
                if isinstance(want, np.ndarray):
                    want = want.astype(want.dtype.newbyteorder("="))
                try:
                    check(raptors_answer(fname, x, axis, keepdims), want)
                except AssertionError as e:
                    raise AssertionError(
                        f"{fname}(shape={x.shape}, strides={x.strides}, axis={axis}, "
                        f"keepdims={keepdims}, bufsize={np.getbufsize()}): {e}"
                    ) from None


# ---- sizes, variants ----------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_contiguous_sizes_every_variant(variant, dtype, n):
    raptors.set_simd(variant)
    x = values(n, dtype, seed=n)
    for fname in ("sum", "mean"):
        check(raptors_answer(fname, x), numpy_answer(fname, x))
        # The same run as a row (reduced along the contiguous axis) and as a column.
        check(raptors_answer(fname, x[None], axis=1), numpy_answer(fname, x[None], axis=1))
        check(raptors_answer(fname, x[:, None], axis=0), numpy_answer(fname, x[:, None], axis=0))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 7, 8, 9, 17, 129, 130, 257, 513, 1000])
def test_rows_and_columns_every_variant(variant, dtype, n):
    """Many rows of every length (ROWS: pairwise per row, up to four leaves side by side)
    and many columns (COLUMNS: row after row); both layouts of each."""
    raptors.set_simd(variant)
    x = values(11 * n, dtype, seed=n).reshape(11, n)
    for v in (x, x.T, np.asfortranarray(x), x[::-1, ::-1]):
        for fname in ("sum", "mean"):
            for axis in (0, 1):
                check(raptors_answer(fname, v, axis), numpy_answer(fname, v, axis))


# ---- layouts, bufsize -----------------------------------------------------------------


def layout_views(dtype):
    """Views of every kind, most of them bigger than one default buffer (8192)."""
    b2 = values(37 * 300, dtype, seed=1).reshape(37, 300)
    b3 = values(6 * 40 * 50, dtype, seed=2).reshape(6, 40, 50)
    b4 = values(3 * 4 * 5 * 130, dtype, seed=3).reshape(3, 4, 5, 130)
    long = values(3 * 10001, dtype, seed=4).reshape(3, 10001)
    return {
        "C": b2,
        "F": np.asfortranarray(b2),
        "T": b2.T,
        "trimmed": b2[:, :-1],
        "rows-step": b2[::2],
        "cols-step": b2[:, ::2],
        "neg": b2[::-1],
        "neg-both": b2[::-1, ::-2],
        "neg-T": b2[::-3, ::-1].T,
        "column": b2[:, 7],
        "row-view": b2[5, 3:],
        "1x": b2[:1],
        "size-1 axes": b2[:, None, :, None][3:4],
        "3d": b3,
        "3d-F": np.asfortranarray(b3),
        "3d-perm": b3.transpose(2, 0, 1),
        "3d-sliced": b3[:, ::2, 1:],
        "3d-neg": b3[::-1, :, ::-3],
        "4d": b4,
        "4d-perm": b4.transpose(3, 1, 0, 2),
        "4d-sliced": b4[:, 1:, ::2, :-1],
        "long-lines": long[:, 1:],
        "long-lines-T": long[:, :-1].T,
        "empty": b2[:0],
        "empty-T": b3[:, :0].T,
    }


@pytest.mark.parametrize("buf", LAYOUT_BUFSIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts_all_axes_every_bufsize(dtype, buf):
    views = layout_views(dtype)
    with bufsize(buf):
        for v in views.values():
            check_all_axes(v)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts_every_variant(variant, dtype):
    raptors.set_simd(variant)
    for v in layout_views(dtype).values():
        if v.ndim <= 2:
            check_all_axes(v)


@pytest.mark.parametrize("buf", [16, 1024, 8192, 1 << 16])
@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_views(dtype, buf):
    """Zero strides (np.broadcast_to): NumPy's iterator does not order a zero-stride axis
    by its stride (nditer treats it as ambiguous and keeps the C order), so a row
    broadcast to (5, 1000) is still summed row by row, each row pairwise."""
    row = values(1000, dtype, seed=9)
    x = np.broadcast_to(row, (5, 1000))
    with bufsize(buf):
        check(raptors.sum(x, axis=1), np.full(5, np.sum(row), dtype))
        for v in (
            x,
            np.broadcast_to(row[:300], (30, 300)),
            np.broadcast_to(row[:300, None], (300, 30)),
            np.broadcast_to(row[:8], (2000, 8)),
            np.broadcast_to(row[:600].reshape(3, 200), (4, 3, 200)),
            np.broadcast_to(row[:3, None], (4, 3, 200)),
        ):
            check_all_axes(v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [0, 1, 2, 3, 4, 8, 12])
def test_offset_buffers(dtype, offset):
    """Data at every byte offset of a buffer (np.frombuffer): aligned and not."""
    itemsize = np.dtype(dtype).itemsize
    for n, buf, shape in [
        (100, 16, (10, 10)),
        (129, 8192, (3, 43)),
        (4099, 1024, (4099, 1)),
        (20001, 8192, (3, 6667)),
    ]:
        raw = bytearray(n * itemsize + 16)
        x = np.frombuffer(raw, dtype=dtype, count=n, offset=offset)
        np.frombuffer(raw, np.uint8)[offset : offset + n * itemsize] = values(n, dtype, n).view(
            np.uint8
        )
        assert x.flags.aligned == (offset % itemsize == 0)
        with bufsize(buf):
            check_all_axes(x)
            check_all_axes(x.reshape(shape))


@pytest.mark.parametrize("dtype", DTYPES)
def test_byteswapped_input(dtype):
    """NumPy copies (byte-swaps) such an array into its buffer, chunk by chunk."""
    swapped = np.dtype(dtype).newbyteorder()
    for n, buf in [(33, 8192), (100, 16), (20001, 8192)]:
        x = values(n, dtype, n).astype(swapped)
        with bufsize(buf):
            for fname in ("sum", "mean"):
                got = raptors_answer(fname, x)
                assert got.dtype == np.dtype(dtype)
                check(got, np.asarray(numpy_answer(fname, x), dtype)[()])
            check_all_axes(x.reshape(-1, 1) if n % 2 else x.reshape(2, -1))


@pytest.mark.parametrize("buf", [16, 1024, 8192, 1 << 16])
@pytest.mark.parametrize("dtype", DTYPES)
def test_byteswapped_views(dtype, buf):
    """Byte-swapped views of every layout, broadcast ones included."""
    swapped = np.dtype(dtype).newbyteorder()
    views = layout_views(swapped)
    row = values(300, swapped, 9)
    views["broadcast"] = np.broadcast_to(row, (8, 300))
    views["broadcast-column"] = np.broadcast_to(row[:35, None], (35, 8))
    with bufsize(buf):
        for v in views.values():
            assert v.dtype == swapped
            check_all_axes(v)


@pytest.mark.parametrize("order", ["=", "S"], ids=["native", "byteswapped"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_overlapping_and_zero_strides(dtype, order):
    """Elements that overlap in memory (strides smaller than the itemsize, as_strided):
    each element is read as NumPy reads it (found by tests/fuzz_ops.py)."""
    dt = np.dtype(dtype).newbyteorder(order)
    base = values(64, dt, seed=3)  # the views reach 24 bytes before base[8], 128 after
    for shape, strides in [
        ((20,), (1,)),
        ((20,), (2,)),
        ((4, 6), (8, 1)),
        ((3, 5), (2, 16)),
        ((5, 7), (0, 4)),
        ((6, 1, 9), (24, 0, -3)),
    ]:
        x = np.lib.stride_tricks.as_strided(base[8:], shape, strides, writeable=False)
        for buf in (32, 8192):
            with bufsize(buf):
                check_all_axes(x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [9, 100, 129, 4099, 20001])
def test_unaligned_input_is_summed_in_buffer_chunks(dtype, n):
    """NumPy copies an unaligned array into its buffer, np.getbufsize() elements at a
    time, and sums chunk after chunk: ((+0.0 + pw(chunk0)) + pw(chunk1)) + ...
    (measured against NumPy 2.4 here; the research note does not state it)."""
    itemsize = np.dtype(dtype).itemsize
    v = values(n, dtype, n)
    raw = bytearray(n * itemsize + 8)
    x = np.frombuffer(raw, dtype=dtype, count=n, offset=1)
    np.frombuffer(raw, np.uint8)[1 : 1 + n * itemsize] = v.view(np.uint8)
    for buf in (16, 1024, 8192):
        chunks = [order.pairwise(v[None, s : s + buf])[0] for s in range(0, n, buf)]
        want = order.fold(np.array(chunks, dtype))
        with bufsize(buf):
            assert np.sum(x).tobytes() == want.tobytes()  # the chunks are NumPy's order
            check(order.sum_all(x), want)
            check(raptors.sum(x), want)


# ---- special values -----------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_every_variant(variant, dtype):
    raptors.set_simd(variant)
    s = special_values(dtype)
    rng = np.random.default_rng(7)
    finite = s[np.isfinite(s)]
    for x in (
        np.tile(s, 9),  # through the vector body, not only the tail
        rng.permutation(np.tile(s, 20)),
        np.tile(finite, 13),
        rng.permutation(np.tile(finite, 40)).reshape(8, -1),
        np.tile(finite, (24, 1)),
        np.full(1000, np.finfo(dtype).max, dtype),  # overflow to inf
        np.tile(np.array([np.finfo(dtype).max, -np.finfo(dtype).max], dtype), 300),
        np.full(300, np.finfo(dtype).smallest_subnormal, dtype),  # not flushed
    ):
        check_all_axes(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_negative_zeros_sum_to_positive_zero(dtype):
    """NumPy writes the identity +0.0 first: a sum of -0.0s is +0.0 (the pairwise leaf
    alone would give -0.0), in every path: tree, segments, rows, columns."""
    for shape in [(1,), (5,), (8,), (129,), (20001,), (3, 5), (300, 4), (4, 300)]:
        x = np.full(shape, -0.0, dtype)
        views = [x, x.T, x[..., ::2]] + ([x[:, :-1], np.asfortranarray(x)] if x.ndim > 1 else [])
        for v in views:
            for axis in [None, *range(v.ndim)]:
                got = np.atleast_1d(raptors.sum(v, axis=axis))
                assert not np.signbit(got).any(), (shape, v.strides, axis)
                check(raptors.sum(v, axis=axis), np.sum(v, axis=axis))


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_results_where_numpy_has_nan(dtype):
    nan_payload = special_values(dtype)[-1]
    for x in (
        np.array([np.inf, -np.inf] * 70, dtype),
        np.array([1.0] * 200 + [np.nan] + [2.0] * 9, dtype),
        np.full((7, 130), nan_payload, dtype),
        np.array([-np.nan] * 17, dtype),
    ):
        for axis in [None, *range(x.ndim)]:
            got, want = raptors.sum(x, axis=axis), numpy_answer("sum", x, axis)
            assert np.array_equal(np.isnan(got), np.isnan(want))
            check(got, want)


# ---- NumPy's order, checked without NumPy -------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_1d_follows_the_order_model(dtype):
    for n in SIZES[1:] + [2**20 + 7]:
        x = values(n, dtype, seed=n, spread=6)
        check(raptors.sum(x), order.tree_sum(x))
        check(raptors.mean(x), order.mean_of(order.tree_sum(x), n, dtype)[()])
        # Strided (a view with a stride, unbuffered when it is one run) and reversed.
        check(raptors.sum(x[::-1]), order.tree_sum(x[::-1]))
        check(raptors.sum(x[::3]), order.tree_sum(x[::3]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, cols", [(5, 7), (13, 129), (6, 513), (3, 4099), (200, 17)])
def test_axes_follow_the_order_model(dtype, rows, cols):
    x = values(rows * cols, dtype, seed=rows + cols, spread=6).reshape(rows, cols)
    # ROWS along the contiguous axis: +0.0 + pairwise(row), written out here.
    rows_sum = np.zeros(rows, dtype) + order.pairwise(x)
    # COLUMNS along the strided one: row after row, element-wise.
    cols_sum = np.zeros(cols, dtype)
    for row in x:
        cols_sum = cols_sum + row
    check(order.sum_axis(x, 1), rows_sum)
    check(order.sum_axis(x, 0), cols_sum)
    check(raptors.sum(x, axis=1), rows_sum)
    check(raptors.sum(x, axis=-1), rows_sum)
    check(raptors.mean(x, axis=1), order.mean_of(rows_sum, cols, dtype))
    check(raptors.sum(x, axis=0), cols_sum)
    check(raptors.mean(x, axis=0), order.mean_of(cols_sum, rows, dtype))
    # Fortran order: the reduced axis' role swaps with the memory layout.
    f = np.asfortranarray(x)
    check(raptors.sum(f, axis=0), order.sum_axis(np.ascontiguousarray(x.T), 1))
    check(raptors.sum(f, axis=1), order.sum_axis(np.ascontiguousarray(x.T), 0))
    check(raptors.sum(x), order.tree_sum(x.ravel()))
    check(raptors.sum(f), order.tree_sum(x.ravel(order="F")))  # memory order


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("buf", [16, 1024, 8192, 1 << 16])
def test_views_numpy_buffers_follow_the_order_model(dtype, buf):
    """axis=None of 2-D views that do not coalesce: buffered chunks of whole lines
    (as many as np.getbufsize() holds), or line by line."""
    base = values(40 * 9000, dtype, seed=buf, spread=6).reshape(40, 9000)
    with bufsize(buf):
        for v in (
            base[:, :-1],
            base[:, 1:300],
            base[::2, :129],
            base[:7, ::2],
            base[:3, :5000],
            base[:, :-1].T,
            base[5:9, ::-3],
        ):
            check(raptors.sum(v), order.sum_all(v))
            assert np.sum(v).tobytes() == order.sum_all(v).tobytes()


@pytest.mark.parametrize("buf", [16, 1024, 8192, 1 << 16])
@pytest.mark.parametrize("byteorder", ["=", "S"], ids=["native", "byteswapped"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_order_model_is_numpys_and_raptors_follows_it(dtype, byteorder, buf):
    """Every layout view, every axis: the model gives NumPy's bits (so it is a model of
    NumPy, not of Raptors), and Raptors gives the model's."""
    dt = np.dtype(dtype).newbyteorder(byteorder)
    views = layout_views(dt)
    views["broadcast"] = np.broadcast_to(values(300, dt, 9), (8, 300))
    views["broadcast-column"] = np.broadcast_to(values(35, dt, 9)[:, None], (35, 8))
    with bufsize(buf):
        for name, v in views.items():
            for axis in [None, *range(v.ndim)]:
                # [()]: a NumPy scalar where the result has no dimension, as np.sum's.
                want = (order.sum_all(v) if axis is None else order.sum_axis(v, axis))[()]
                try:
                    check(want, np.asarray(numpy_answer("sum", v, axis), dtype)[()])
                    check(raptors_answer("sum", v, axis), want)
                    count = v.size if axis is None else v.shape[axis]
                    check(raptors_answer("mean", v, axis), order.mean_of(want, count, dtype)[()])
                except AssertionError as e:
                    raise AssertionError(f"{name} {v.strides} axis={axis}: {e}") from None


# ---- the order discriminates -----------------------------------------------------------


def model_sum(a, **wrong):
    """This suite's model of np.sum of one run, or a wrong order (keywords of
    order.pairwise: another accumulator count, leaf size, an unrounded split)."""
    return order.fold(order.pairwise(a[None], **wrong))


def sequential_sum(a):
    acc = a.dtype.type(0.0)
    for v in a:
        acc = a.dtype.type(acc + v)
    return acc


def blocked_sum(a, block=8192):
    acc = np.zeros(1, a.dtype)
    for s in range(0, a.shape[0], block):
        acc = acc + model_sum(a[s : s + block])
    return acc[0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_order_is_numpys_and_wrong_orders_differ(dtype):
    """The bit-exact tests can fail: on these inputs a sequential sum, 16 accumulators,
    a split at n // 2, blocks of 8192 and a multiply by 1/n for the mean all give other
    bits than NumPy and Raptors -- while this file's own model of NumPy's order agrees."""
    wrong = {
        "sequential": sequential_sum,
        "16 accumulators": lambda a: model_sum(a, accumulators=16),
        "split at n // 2": lambda a: model_sum(a, rounded_split=False),
        "leaves of 64": lambda a: model_sum(a, leaf=64),
        "blocks of 8192": blocked_sum,
    }
    differs = dict.fromkeys(wrong, 0)
    trials = 4 if QEMU_USER else 12
    for seed in range(trials):
        for n in (1000, 20001):
            x = values(n, dtype, seed, spread=8)
            got = raptors.sum(x)
            check(got, np.sum(x))
            check(got, model_sum(x))
            for name, fn in wrong.items():
                differs[name] += fn(x).tobytes() != got.tobytes()
    # Every wrong order is caught on most inputs (blocks only matter past 8192).
    assert differs["sequential"] >= trials, differs
    assert differs["16 accumulators"] >= trials, differs
    assert differs["split at n // 2"] >= trials, differs
    assert differs["leaves of 64"] >= trials // 2, differs  # float64: 3 of 8 under qemu
    assert differs["blocks of 8192"] >= trials // 2, differs
    # Without the +0.0 identity a sum of -0.0 is -0.0.
    z = np.array([-0.0], dtype)
    assert np.signbit(order.pairwise(z[None])[0]) and not np.signbit(raptors.sum(z))
    # The mean divides the sum by the count in float64; multiplying by 1/n differs.
    recip = 0
    for seed in range(40):  # 12 of these 40 differ for float32, 8 for float64
        x = values(1000 + seed, dtype, seed)
        m = raptors.mean(x)
        check(m, np.mean(x))
        check(m, dtype(np.float64(raptors.sum(x)) / x.size))
        recip += (raptors.sum(x) * dtype(1.0 / x.size)).tobytes() != m.tobytes()
    assert recip >= 4, recip


# ---- threads and SIMD variants ----------------------------------------------------------


def big_views():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((1024, 1024)) * 100).astype(np.float32)
    v = (rng.standard_normal(2**20 + 7) * 100).astype(np.float32)
    if QEMU_USER:
        return {"C": x, "trimmed": x[:, :-1], "1d": v, "1d-neg": v[::-1]}
    return {
        "C": x,
        "F": np.asfortranarray(x),
        "trimmed": x[:, :-1],
        "rows-step": x[::2],
        "neg": x[::-1, ::-1],
        "f64": x.astype(np.float64)[:, 1:],
        "1d": v,
        "1d-f64-odd": v[: 3 * 2**19 + 1].astype(np.float64),
        "1d-step": v[::3],
        "1d-neg": v[::-1],
    }


@pytest.mark.parametrize("buf", [8192] if QEMU_USER else [8192, 1024])
def test_same_bits_every_thread_count_and_variant(buf):
    with bufsize(buf):
        for name, x in big_views().items():
            axes = [None, *range(x.ndim)]
            want = {(f, a): numpy_answer(f, x, a) for f in ("sum", "mean") for a in axes}
            for variant in VARIANTS:
                raptors.set_simd(variant)
                for n in THREAD_COUNTS:
                    raptors.set_num_threads(n)
                    for (fname, axis), w in want.items():
                        try:
                            check(raptors_answer(fname, x, axis), w)
                        except AssertionError as e:
                            raise AssertionError(
                                f"{name} {variant} {n} threads {axis}: {e}"
                            ) from None


# ---- results: types, keepdims, array-likes -------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_result_types(dtype):
    x = np.arange(12, dtype=dtype).reshape(3, 4)
    for fname in ("sum", "mean"):
        f = getattr(raptors, fname)
        assert type(f(x)) is dtype
        assert type(f(x[0], axis=0)) is dtype  # a 0-d result from a 1-d input
        assert type(f(x[0], axis=-1)) is dtype
        r = f(x, axis=1)
        assert type(r) is np.ndarray and r.shape == (3,) and r.dtype == dtype
        r = f(x, keepdims=True)
        assert type(r) is np.ndarray and r.shape == (1, 1) and r.dtype == dtype
        r = f(x[0], axis=0, keepdims=True)
        assert type(r) is np.ndarray and r.shape == (1,)
        r = f(x, axis=0, keepdims=True)
        assert type(r) is np.ndarray and r.shape == (1, 4)


def test_array_likes_and_scalars():
    for x in ([1.5, 2.25, -3.0], [[1.0, 2.0], [3.0, 4.5]], (0.1, 0.2, 0.3), 2.5, -0.0):
        for fname in ("sum", "mean"):
            check(raptors_answer(fname, x), numpy_answer(fname, x))
            check(
                raptors_answer(fname, x, keepdims=np.ndim(x) > 0),
                numpy_answer(fname, x, None, np.ndim(x) > 0),
            )
    for s in (np.float32(2.5), np.float64(-0.0)):
        check(raptors.sum(s), np.sum(s))
        check(raptors.mean(s), np.mean(s))


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_dim_input(dtype):
    """A 0-d input gives a NumPy scalar, keepdims or not, as NumPy's does."""
    x = np.array(-0.0, dtype)
    for fname in ("sum", "mean"):
        check(raptors_answer(fname, x), numpy_answer(fname, x))
        check(raptors_answer(fname, x, None, True), numpy_answer(fname, x, None, True))


@pytest.mark.parametrize("dtype", DTYPES)
def test_input_untouched(dtype):
    x = values(3000, dtype, 0).reshape(30, 100)[:, ::-1]
    before = x.copy()
    for fname in ("sum", "mean"):
        for axis in (None, 0, 1):
            raptors_answer(fname, x, axis)
    assert x.tobytes() == before.tobytes()


# ---- errors, warnings ---------------------------------------------------------------------


@pytest.mark.parametrize("fname", ["sum", "mean"])
@pytest.mark.parametrize("dtype", UNSUPPORTED_DTYPES, ids=str)
def test_other_dtypes_raise_type_error(fname, dtype):
    x = np.zeros((3, 4), dtype)
    for axis in (None, 0):
        with pytest.raises(TypeError, match="float32") as e:
            getattr(raptors, fname)(x, axis=axis)
        assert "float64" in str(e.value) and "uint64" in str(e.value) and "bool" in str(e.value)


@pytest.mark.parametrize("fname", ["sum", "mean"])
def test_other_array_likes_raise_type_error(fname):
    for x in ([1j], ["a"], [None], np.float16(1)):
        with pytest.raises(TypeError, match=r"float32.*float64"):
            getattr(raptors, fname)(x)
    for x in ([1, 2, 3], 3, True, [True, False]):  # ints and bools are NumPy's answer
        check(raptors_answer(fname, x), numpy_answer(fname, x))


@pytest.mark.parametrize("fname", ["sum", "mean"])
def test_axis_out_of_range(fname):
    f = getattr(raptors, fname)
    for shape in [(5,), (3, 4), (2, 3, 4)]:
        x = np.ones(shape, np.float32)
        nd = len(shape)
        for axis in (nd, nd + 1, -nd - 1, 100, -100):
            with pytest.raises(np.exceptions.AxisError):
                f(x, axis=axis)
            with pytest.raises(np.exceptions.AxisError):
                f(x, axis=axis, keepdims=True)
    with pytest.raises(np.exceptions.AxisError):
        f(np.float64(1.0), axis=1)
    with pytest.raises(np.exceptions.AxisError):
        f(np.float64(1.0), axis=(0,))
    with pytest.raises(np.exceptions.AxisError):
        raptors.mean(np.array(1.0), axis=0)  # np.mean too
    for axis in (0, -1):  # np.sum takes an int axis 0 or -1 of a 0-d
        check(raptors.sum(np.array(1.5), axis=axis), np.sum(np.array(1.5), axis=axis))


@pytest.mark.parametrize("fname", ["sum", "mean"])
@pytest.mark.parametrize("axis", [True, False, np.True_, 1.0, "0", [0], (0, 1.0)], ids=repr)
def test_axis_of_another_kind_raises_type_error(fname, axis):
    with pytest.raises(TypeError):
        getattr(raptors, fname)(np.ones((3, 4), np.float64), axis=axis)


def test_positional_arguments_are_numpys():
    """a, axis, dtype, out, keepdims: in NumPy's order (a third positional is dtype)."""
    x = np.arange(6.0).reshape(2, 3)
    for fname in ("sum", "mean", "nansum", "nanmean"):
        f = getattr(raptors, fname)
        with pytest.raises(TypeError):
            f(np.ones(3), 0, True)  # dtype=True, as NumPy's: not a dtype
        check(f(x, 1, np.float32), getattr(np, fname)(x, 1, np.float32))
        out = np.empty((1, 3))
        assert f(x, 0, None, out, True) is out
        assert_bitwise_equal(out, getattr(np, fname)(x, 0, None, None, True))


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        result = fn()
    return result, sorted((x.category.__name__, str(x.message)) for x in w)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mean_of_empty_warns_and_is_nan(dtype):
    for shape, axis in [((0,), None), ((0, 3), None), ((0, 3), 0), ((2, 0, 3), 1), ((0,), 0)]:
        x = np.empty(shape, dtype)
        with pytest.warns(RuntimeWarning) as record:
            got = raptors.mean(x, axis=axis)
        messages = sorted(str(w.message) for w in record)
        want = [m for _, m in _warnings_of(lambda x=x, axis=axis: np.mean(x, axis=axis))[1]]
        assert messages == want  # NumPy's messages, word for word
        assert np.isnan(got).all()
        check(got, numpy_answer("mean", x, axis))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, axis",
    [((0,), None), ((0, 3), 0), ((3, 0), 0), ((0, 3), 1), ((0, 0), 0), ((2, 0, 0), 1), ((4, 0), 1)],
)
def test_empty_warnings_as_numpys(dtype, shape, axis):
    """The same RuntimeWarnings as NumPy's, and none from sum."""
    x = np.empty(shape, dtype)
    got, got_w = _warnings_of(lambda: raptors.mean(x, axis=axis))
    want, want_w = _warnings_of(lambda: np.mean(x, axis=axis))
    check(got, want)
    assert got_w == want_w
    got, got_w = _warnings_of(lambda: raptors.sum(x, axis=axis))
    check(got, np.sum(x, axis=axis))
    assert got_w == []


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_axis_gives_the_identity(dtype):
    """Reducing an axis of length 0: every output is written, +0.0 for a sum and NaN
    for a mean (the output array is new and uninitialized, so repeat the call)."""
    for shape, axis in [((0, 3), 0), ((3, 0), 1), ((2, 0, 3), 1), ((0, 1), 0), ((1, 0), -1)]:
        for x in (np.empty(shape, dtype), np.asfortranarray(np.empty(shape, dtype))):
            for _ in range(3):
                for keepdims in (False, True):
                    s = raptors.sum(x, axis=axis, keepdims=keepdims)
                    check(s, np.sum(x, axis=axis, keepdims=keepdims))
                    assert s.size and (s == 0).all() and not np.signbit(s).any()
                    m = raptors_answer("mean", x, axis, keepdims)
                    check(m, numpy_answer("mean", x, axis, keepdims))
                    assert np.isnan(m).all()


def test_sum_of_empty_is_positive_zero():
    for dtype in DTYPES:
        for shape in [(0,), (0, 5), (5, 0, 2)]:
            x = np.empty(shape, dtype)
            check(raptors.sum(x), np.sum(x))
            check(raptors.sum(x, axis=0), np.sum(x, axis=0))
            check(raptors.sum(x, axis=-1, keepdims=True), np.sum(x, axis=-1, keepdims=True))


# ---- property: any shape, layout, axis, bufsize, thread count, variant -----------------

BIG_SIDES = [8, 9, 16, 17, 128, 129, 257, 513, 1000, 4099]


@st.composite
def reduction_cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    ndim = draw(st.integers(0, 4))
    side = st.one_of(st.integers(0, 6), st.sampled_from(BIG_SIDES))
    shape = tuple(draw(side) for _ in range(ndim))
    while np.prod([max(n, 1) for n in shape], dtype=np.int64) > 40_000:
        shape = tuple(max(1, n // 4) if n else 0 for n in shape)
    # A parent big enough for the steps, then a view: steps, reversals, offsets.
    steps = [draw(st.sampled_from([1, 1, 2, -1, -2, 3])) for _ in shape]
    parent_shape = tuple(max(n, 1) * abs(s) + 1 for n, s in zip(shape, steps))
    seed = draw(st.integers(0, 2**32 - 1))
    special = draw(st.sampled_from([0.0, 0.0, 0.02, 0.5]))
    rng = np.random.default_rng(seed)
    size = int(np.prod(parent_shape, dtype=np.int64))
    parent = values(size, dtype, seed, spread=draw(st.sampled_from([1, 6, 30])))
    if special:
        spec = special_values(dtype)
        pick = rng.random(size) < special
        parent[pick] = spec[rng.integers(0, len(spec), int(pick.sum()))]
    parent = parent.reshape(parent_shape)
    if ndim > 1 and draw(st.booleans()):
        parent = np.asfortranarray(parent)
    index = tuple(
        slice(0, n * s, s) if s > 0 else slice(p - 1, p - 1 + n * s, s)
        for n, s, p in zip(shape, steps, parent_shape)
    )
    x = parent[index + (Ellipsis,)]
    if ndim > 1 and draw(st.booleans()):
        x = x.transpose(draw(st.permutations(range(ndim))))
    axis = draw(st.none() | st.integers(-ndim, ndim - 1)) if ndim else None
    return x, axis


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    reduction_cases(),
    st.sampled_from(["sum", "mean"]),
    st.booleans(),
    st.sampled_from(BUFSIZES),
    st.sampled_from(VARIANTS),
    st.sampled_from(THREADS),
)
def test_property_matches_numpy(case, fname, keepdims, buf, variant, threads):
    x, axis = case
    keepdims = keepdims and x.ndim > 0  # a 0-d input with keepdims: test_zero_dim_input
    raptors.set_simd(variant)
    raptors.set_num_threads(threads)
    before = x.copy()
    with bufsize(buf):
        want = numpy_answer(fname, x, axis, keepdims)
        got = raptors_answer(fname, x, axis, keepdims)
    check(got, want)
    assert x.tobytes() == before.tobytes()
