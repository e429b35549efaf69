"""NumPy's whole add-reduction surface, bit for bit: sum, mean, nansum and nanmean of every
integer width, bool, float32 and float64, over tuple axes, with dtype=, out= and keepdims --
against NumPy and against this suite's own model of NumPy's order (numpy_surface_model.py,
itself checked against NumPy here), on every layout, np.getbufsize(), thread count and SIMD
variant; NumPy's result types, wrap-around, warnings and errors, raised before anything is
written. Any NaN matches any NaN except where NumPy's bits are the platform's (nanmean)."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import numpy_surface_model as model
import pytest
from conftest import assert_bitwise_equal, bufsize
from hypothesis import given, settings
from hypothesis import strategies as st

import raptors

FUNCS = ("sum", "mean", "nansum", "nanmean")
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
ALL = [np.float32, np.float64, *INTS, np.bool_]
VARIANTS = raptors.build_info()["simd_available"]


@contextmanager
def threads(n):
    old = raptors.get_num_threads()
    raptors.set_num_threads(n)
    try:
        yield
    finally:
        raptors.set_num_threads(old)


def data(shape, dtype, rng, nan=0.05):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
    x = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(dt)
    x[rng.random(shape) < nan] = np.nan
    return x


def views(base):
    """C, reversed, transposed, Fortran, strided, every-other and swapped views of base."""
    out = [base, base[::-1], base.T, np.asfortranarray(base)]
    if base.ndim > 1:
        out += [base[:, ::2], base.swapaxes(0, 1)[::-2], base[1:, ::-3]]
    if base.ndim > 2:
        out += [np.moveaxis(base, 0, -1)[:, ::2], base[:, :, ::2]]
    return out


def axes_of(ndim):
    out = [None, 0, -1, ()]
    if ndim > 1:
        out += [(0, ndim - 1), (-1, 0), (1,)]
    if ndim > 2:
        out += [(0, 1), (1, 2), (0, 2)]
    return out


def quiet(fn, *args, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def same(got, want):
    """Same type (NumPy scalar or ndarray), dtype, shape and bits (NaNs: any NaN)."""
    assert type(got) is type(want), (type(got), type(want))
    assert np.asarray(got).dtype == np.asarray(want).dtype, (got, want)
    assert np.shape(got) == np.shape(want)
    bits_equal(got, want)


def bits_equal(got, want):
    if np.asarray(want).dtype.kind == "f":
        assert_bitwise_equal(np.atleast_1d(got), np.atleast_1d(want))
    else:
        assert np.asarray(got).tobytes() == np.ascontiguousarray(want).tobytes(), (got, want)


def dtypes_for(fname, x):
    """dtype= values NumPy accepts here and Raptors supports."""
    out = [None, np.float64, np.float32]
    if x.dtype.kind in "biu" and fname in ("sum", "nansum"):
        out += [np.int64, np.int32, np.uint64, np.int8]
    return out


SHAPES = [(37,), (6, 11), (130, 5), (4, 9, 10), (3, 2, 5, 7)]


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("buf", [16, 112, 8192])
def test_numpy_model_and_raptors_agree(dtype, buf):
    """Every function x layout x axes x dtype=: the model is NumPy's, Raptors is both."""
    rng = np.random.default_rng(1)
    with bufsize(buf):
        for shape in SHAPES:
            for x in views(data(shape, dtype, rng)):
                for fname in FUNCS:
                    for axis in axes_of(x.ndim):
                        for dt in dtypes_for(fname, x):
                            want = quiet(getattr(np, fname), x, axis=axis, dtype=dt)
                            ctx = f"{fname}{x.shape}{x.strides} axis={axis} dtype={dt} buf={buf}"
                            try:
                                same(quiet(model.reduce, fname, x, axis, dt), want)
                            except AssertionError as e:
                                raise AssertionError(f"model: {ctx}: {e}") from None
                            try:
                                same(quiet(getattr(raptors, fname), x, axis=axis, dtype=dt), want)
                            except AssertionError as e:
                                raise AssertionError(f"raptors: {ctx}: {e}") from None


BIG = [
    ((3, 200_003), (1,)),  # few long lines: pieces threaded, added in order
    ((200_003, 3), (0,)),  # D0 kept: columns
    ((700, 700), None),  # one tree, threaded subtrees
    ((700, 700), (0, 1)),
    ((70, 80, 90), (0, 2)),  # blocks with an outer reduced axis
    ((90, 80, 70), (1, 2)),
]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8])
def test_big_arrays_every_thread_count_and_variant(variant, dtype):
    rng = np.random.default_rng(2)
    old = raptors.get_simd()
    try:
        raptors.set_simd(variant)
        for shape, axis in BIG:
            base = data(shape, dtype, rng, nan=0.02)
            for x in (base, base.T, base[::-1, ::2]):
                for fname in FUNCS:
                    for dt in (None, np.float64):
                        want = quiet(getattr(np, fname), x, axis=axis, dtype=dt)
                        for n in (1, 2, 3, 7):
                            with threads(n):
                                got = quiet(getattr(raptors, fname), x, axis=axis, dtype=dt)
                            try:
                                same(got, want)
                            except AssertionError as e:
                                raise AssertionError(
                                    f"{fname}{x.shape}{x.strides} axis={axis} dtype={dt} "
                                    f"{variant} threads={n}: {e}"
                                ) from None
    finally:
        raptors.set_simd(old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cast_pieces_follow_bufsize(dtype):
    """dtype= casts through NumPy's buffer: long lines in pieces of bufsize (the result
    changes with np.setbufsize), each a pairwise sum over the converted values."""
    x = data((100_003,), dtype, np.random.default_rng(3), nan=0)
    other = np.float64 if dtype == np.float32 else np.float32
    seen = set()
    for buf in (112, 1024, 8192, 65536):
        with bufsize(buf):
            want = np.sum(x, dtype=other)
            same(raptors.sum(x, dtype=other), want)
            same(raptors.nansum(x, dtype=other), np.nansum(x, dtype=other))
            same(raptors.mean(x, dtype=other), np.mean(x, dtype=other))
            seen.add(want.tobytes())
    assert len(seen) > 1  # the bufsize matters here, so the test can tell


def test_nan_functions_add_in_the_copys_order():
    """nansum sums NumPy's 'K'-order copy: on a view that does not coalesce, one pairwise
    sum over all of it -- unlike np.sum, which buffers it in pieces."""
    rng = np.random.default_rng(4)
    differ = 0
    for _ in range(20):
        x = data((300, 301), np.float32, rng, nan=0)[:, ::2]
        got, want = raptors.nansum(x), np.nansum(x)
        same(got, want)
        differ += np.sum(x).tobytes() != want.tobytes()
    assert differ  # np.sum's order is another here, so an order mix-up shows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nanmean_of_all_nan_slices(dtype):
    x = np.full((3, 4), np.nan, dtype)
    x[1, 2] = 5.0
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = raptors.nanmean(x, axis=0)
    assert [str(m.message) for m in w] == ["Mean of empty slice"]  # once per call
    assert w[0].filename == __file__  # at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.nanmean(x, axis=0)
    assert got.tobytes() == want.tobytes()  # the platform's default NaN, bit for bit
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raptors.nanmean(x, axis=0)  # NumPy divides under errstate(ignore): no error
    same(raptors.nansum(x, axis=0), np.nansum(x, axis=0))  # all-NaN sums are +0.0
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert np.isnan(raptors.nanmean(np.array([], dtype)))
    assert [str(m.message) for m in w] == ["Mean of empty slice"]


def test_integer_sums_wrap_and_means_round_each_element():
    big = np.array([2**63 - 1, 1], np.int64)
    same(raptors.sum(big), np.sum(big))  # -2**63, no warning
    same(raptors.mean(big), np.mean(big))
    x = np.array([100] * 3, np.int8)
    out = np.empty((), np.int8)
    assert raptors.sum(x, out=out) is out and out == np.sum(x, out=np.empty((), np.int8)) == 44
    y = np.array([2**53 + 1, 2**53 + 1, 1], np.int64)
    same(raptors.mean(y), np.mean(y))  # each element rounded to float64 first
    for dt in INTS + [np.bool_]:
        v = data((1000, 7), dt, np.random.default_rng(5))
        for axis in (None, 0, 1, (0, 1)):
            same(raptors.sum(v, axis=axis), np.sum(v, axis=axis))
            for t in (np.int8, np.uint16, np.int32, np.uint64):
                same(raptors.sum(v, axis=axis, dtype=t), np.sum(v, axis=axis, dtype=t))


@pytest.mark.parametrize("fname", FUNCS)
def test_result_dtypes_are_numpys(fname):
    for dt in ALL:
        x = data((4, 5), dt, np.random.default_rng(6), nan=0)
        for kw in ({}, {"axis": 1}, {"keepdims": True}, {"axis": (0, 1), "keepdims": True}):
            same(quiet(getattr(raptors, fname), x, **kw), quiet(getattr(np, fname), x, **kw))


@pytest.mark.parametrize("fname", FUNCS)
def test_out_of_every_layout(fname):
    """out= of the additions' dtype, C, F or reversed: its strides vote in NumPy's order."""
    rng = np.random.default_rng(7)
    for dt in (np.float32, np.float64, np.int32, np.bool_):
        for x in views(data((6, 7, 8), dt, rng)):
            for axis, kd in ((0, False), (2, False), ((0, 2), True), (1, True), (None, False)):
                shape = np.shape(quiet(np.sum, x, axis=axis, keepdims=kd))
                want_dt = np.result_type(quiet(getattr(np, fname), x, axis=axis))
                outs = [np.zeros(shape, want_dt), np.zeros(shape, want_dt, order="F")]
                if len(shape) > 1:
                    outs.append(np.zeros(shape[::-1], want_dt).T)
                for out in outs:
                    mine, theirs = out.copy(order="K"), out.copy(order="K")
                    if out.ndim > 1 and not out.flags.c_contiguous:
                        mine, theirs = np.asfortranarray(out), np.asfortranarray(out)
                    got = quiet(getattr(raptors, fname), x, axis=axis, out=mine, keepdims=kd)
                    want = quiet(getattr(np, fname), x, axis=axis, out=theirs, keepdims=kd)
                    assert got is mine
                    bits_equal(np.ascontiguousarray(mine), want)


def test_out_overlapping_the_input():
    x = np.arange(12.0).reshape(3, 4)
    want = np.sum(x.copy(), axis=0)
    assert raptors.sum(x, axis=0, out=x[0]) is not None
    bits_equal(x[0], want)


def test_errors_are_numpys_and_nothing_is_written():
    x = np.ones((3, 4), np.float32)
    out = np.full(4, 7.0, np.float32)
    for fname in FUNCS:
        f = getattr(raptors, fname)
        with pytest.raises(ValueError, match="duplicate value in 'axis'"):
            f(x, axis=(0, 0), out=out)
        with pytest.raises(ValueError, match="duplicate value in 'axis'"):
            f(x, axis=(1, -1))
        with pytest.raises(np.exceptions.AxisError):
            f(x, axis=(0, 2), out=out)
        with pytest.raises(ValueError, match="shape"):
            f(x, axis=1, out=out)  # out of the wrong shape
        with pytest.raises(TypeError, match="out"):
            f(x, axis=0, out=np.full(4, 7.0, np.float16))
        with pytest.raises(TypeError, match=r"out must be a numpy\.ndarray"):
            f(x, axis=0, out=[0.0] * 4)
        with pytest.raises(ValueError, match="read-only"):
            ro = np.zeros(4, np.float32)
            ro.flags.writeable = False
            f(x, axis=0, out=ro)
        with pytest.raises(TypeError, match="not supported"):
            f(x, dtype=np.float16)
        raw = np.full(4 * 4 + 1, 7, np.uint8)
        unaligned = np.ndarray((4,), np.float32, buffer=raw, offset=1)
        with pytest.raises(TypeError, match="not aligned"):
            f(x, axis=0, out=unaligned)  # NumPy buffers it, which changes its order
        assert (out == 7).all() and (raw == 7).all()
    with pytest.raises(TypeError, match="If a is inexact, then dtype must be inexact"):
        raptors.nanmean(x, dtype=np.int64)
    with pytest.raises(TypeError, match="not supported"):
        raptors.sum(x, dtype=np.int32)  # a float summed as integers: refused
    with pytest.raises(TypeError, match="not supported"):
        raptors.mean(np.arange(3), dtype=np.int64)


def test_floating_point_warnings_are_numpys():
    x = np.full(1000, 3e38, np.float32)
    x[::7] = np.nan
    for fname in ("nansum", "nanmean"):
        with pytest.warns(RuntimeWarning, match="overflow encountered in reduce"):
            getattr(raptors, fname)(x)
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            getattr(raptors, fname)(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raptors.sum(np.full(10, 2**62, np.int64))  # integers wrap silently


def test_byteswapped_and_misaligned_inputs():
    rng = np.random.default_rng(8)
    for dt in (np.float32, np.float64, np.int32, np.uint16):
        x = data((50, 300), dt, rng)
        swapped = x.astype(x.dtype.newbyteorder(">"))
        buf = np.empty(x.nbytes + 1, np.uint8)
        misaligned = np.ndarray(x.shape, x.dtype, buffer=buf, offset=1)
        misaligned[...] = x
        for v in (swapped, swapped[:, ::-2], misaligned, misaligned.T):
            for fname in FUNCS:
                for axis in (None, 0, 1):
                    with bufsize(112):
                        same(
                            quiet(getattr(raptors, fname), v, axis=axis),
                            quiet(getattr(np, fname), v, axis=axis),
                        )


@st.composite
def cases(draw):
    dt = draw(st.sampled_from(ALL))
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.integers(0, 9)) for _ in range(ndim))
    x = data(shape, dt, np.random.default_rng(draw(st.integers(0, 2**31))))
    for _ in range(draw(st.integers(0, 2))):
        if x.ndim:
            x = x.transpose(draw(st.permutations(range(x.ndim))))
            k = draw(st.integers(0, x.ndim - 1))
            step = draw(st.sampled_from([1, -1, 2, -2, 3]))
            x = x[(slice(None),) * k + (slice(None, None, step),)]
    axis = draw(
        st.one_of(
            st.none(),
            st.lists(
                st.integers(-max(ndim, 1), max(ndim, 1) - 1),
                unique_by=lambda a: a % max(ndim, 1),
                max_size=ndim,
            ).map(tuple),
        )
    )
    if ndim == 0:
        axis = draw(st.sampled_from([None, ()]))
    return x, axis


@settings(max_examples=200, deadline=None)
@given(
    case=cases(),
    fname=st.sampled_from(FUNCS),
    keepdims=st.booleans(),
    buf=st.sampled_from([16, 48, 8192]),
    threads_n=st.sampled_from([1, 2, 3]),
    f64=st.booleans(),
)
def test_property_matches_numpy(case, fname, keepdims, buf, threads_n, f64):
    x, axis = case
    dt = np.float64 if f64 else None
    with bufsize(buf), threads(threads_n):
        got = quiet(getattr(raptors, fname), x, axis=axis, dtype=dt, keepdims=keepdims)
        want = quiet(getattr(np, fname), x, axis=axis, dtype=dt, keepdims=keepdims)
    same(got, want)


# ---- nancount: the numbers raptors.dask's nanmean chunks divide by ------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("src", [np.float32, np.float64])
def test_nancount_is_numpys_sum_of_the_mask(variant, n_threads, src):
    """_nancount equals NumPy's sum of ~isnan in the count dtype, for every layout and axes;
    with no NaN, with all NaN, and large enough to thread. _nansum_count (the sum and the
    count from one read) equals (np.nansum, that sum of the mask)."""
    from raptors.reductions import _nancount, _nansum_count

    rng = np.random.default_rng(7)
    base = rng.random((96, 70, 3)).astype(src)
    base[rng.random(base.shape) < 0.3] = np.nan
    base[5] = np.nan
    big = rng.random((1100, 300)).astype(src)
    big[rng.random(big.shape) < 0.02] = np.nan
    views = [base, base[::-2, 3:, :], base.transpose(2, 0, 1), np.asfortranarray(base), big]
    old = raptors.get_simd()
    raptors.set_simd(variant)
    try:
        with threads(n_threads):
            for x in views:
                for axis in [None, 0, -1, (0, x.ndim - 1)]:
                    for t in (np.float32, np.float64):
                        for keepdims in (False, True):
                            want = np.sum(~np.isnan(x), axis=axis, dtype=t, keepdims=keepdims)
                            got = _nancount(x, axis=axis, dtype=t, keepdims=keepdims)
                            assert_bitwise_equal(got, want)
                            total, n = _nansum_count(x, axis=axis, dtype=t, keepdims=keepdims)
                            assert_bitwise_equal(n, want)
                            assert_bitwise_equal(
                                total, np.nansum(x, axis=axis, dtype=t, keepdims=keepdims)
                            )
    finally:
        raptors.set_simd(old)


def test_nancount_declines_what_it_would_not_count_as_numpy():
    """None (the caller takes NumPy's mask) past 2**24 numbers per float32 result, where
    NumPy's sum of ones rounds, and for inputs or dtypes it does not count."""
    from raptors.reductions import _nancount, _nansum_count

    many = np.broadcast_to(np.float32(1), (2**24 + 1,))  # no memory
    assert _nancount(many, dtype=np.float32) is None
    assert _nancount(many[:-1], dtype=np.float32) == 2**24
    assert _nancount(np.ones(4, np.int32), dtype=np.float32) is None
    assert _nancount(np.ones(4), dtype=np.int64) is None
    assert _nancount([1.0, np.nan], dtype=np.float64) is None
    assert _nansum_count(many, dtype=np.float32) is None
    assert _nansum_count(many[:-1], dtype=np.float32) == (2**24, 2**24)
    assert _nansum_count(np.ones(4, np.int32), dtype=np.float32) is None
    assert _nansum_count(np.ones(4), dtype=np.int64) is None
    assert _nansum_count([1.0, np.nan], dtype=np.float64) is None


def check_narrow_sums(raw, dtypes, means):
    """raptors.sum of raw viewed as each dtype equals np.sum's value and type: every start
    offset 0-8 and length around the vocabularies' steps, one and two threads; along each
    axis of a 600 x 500 view, with raptors.mean too where `means`."""
    for view in dtypes:
        x = raw.view(view)
        for start in range(0, 9):
            for n in (*range(0, 70), 127, 128, 129, 1000, 4099, 300_000):
                y = x[start : start + n]
                for t in (1, 2):
                    with threads(t):
                        got = raptors.sum(y)
                    want = np.sum(y)
                    assert got == want and type(got) is type(want), (view, start, n, t)
        for axis in (0, 1):
            m = x[:300_000].reshape(600, 500)
            same(raptors.sum(m, axis=axis), np.sum(m, axis=axis))
            if means:
                same(raptors.mean(m, axis=axis), np.mean(m, axis=axis))


@pytest.mark.parametrize("variant", VARIANTS)
def test_byte_sums_of_every_variant(variant):
    """8-bit sums (the vocabulary's byte sums): uint8 and int8 over their whole range, bool
    arrays holding any nonzero byte as True (a uint8 view), every length around the steps
    and every start offset, on one and two threads."""
    rng = np.random.default_rng(11)
    raw = rng.integers(0, 256, 300_011, dtype=np.uint8)
    raw[:5000] = 255  # long runs of the extremes
    raw[5000:10000] = 128
    old = raptors.get_simd()
    try:
        raptors.set_simd(variant)
        check_narrow_sums(raw, (np.uint8, np.int8, np.bool_), means=False)
    finally:
        raptors.set_simd(old)


@pytest.mark.parametrize("variant", VARIANTS)
def test_word_sums_of_every_variant(variant):
    """16-bit sums (the vocabulary's word sums): int16 and uint16 over their whole range, every
    length around the steps and every start offset; and runs of the extremes longer than the
    32-bit lanes hold (2**20 + 37 elements of -32768, of 32767, of 65535), where a lane not
    totalled in time would wrap. One and two threads."""
    rng = np.random.default_rng(12)
    raw = rng.integers(0, 2**16, 300_011, dtype=np.uint16)
    raw[:5000] = 0xFFFF  # long runs of the extremes
    raw[5000:10000] = 0x8000
    old = raptors.get_simd()
    try:
        raptors.set_simd(variant)
        check_narrow_sums(raw, (np.uint16, np.int16), means=True)
        for value, dt in ((-32768, np.int16), (32767, np.int16), (65535, np.uint16)):
            y = np.full(2**20 + 37, value, dtype=dt)
            for t in (1, 2):
                with threads(t):
                    assert raptors.sum(y) == np.sum(y) == value * y.size, (value, t)
    finally:
        raptors.set_simd(old)


@pytest.mark.parametrize(
    "src, dtype, bound",
    [
        (np.int8, np.float32, 2**17),  # 2^7 * 2^17 = 2^24
        (np.uint16, np.float32, 2**8),
        (np.int32, np.float64, 2**22),  # 2^31 * 2^22 = 2^53
        (np.bool_, np.float32, 2**24),
    ],
)
def test_integer_sums_in_floats_at_the_exactness_bound(src, dtype, bound):
    """Integers summed in a float (dtype=, and the means) are added as integers while every
    partial sum is exact in the float; past that bound NumPy's sums round, and Raptors must
    round as they do. Values near the top of the range (biased, so the sums grow), at and
    past the bound, whole and along an axis, mean included."""
    rng = np.random.default_rng(5)
    info = np.iinfo(src) if src is not np.bool_ else None
    for n in (bound, bound + 1, 8 * bound + 3):
        if src is np.bool_:
            if n > bound + 1:
                n = 2**24 + 5  # a count of ones past 2^24
            x = np.ones(n, np.bool_)
            x[::7] = False
        else:
            hi = int(info.max)
            x = rng.integers(hi - hi // 4, hi, n, dtype=src) if hi > 1 else None
        for f in ("sum", "mean"):
            same(getattr(raptors, f)(x, dtype=dtype), getattr(np, f)(x, dtype=dtype))
        m = x[: n // 2 * 2].reshape(2, -1)
        same(raptors.sum(m, axis=1, dtype=dtype), np.sum(m, axis=1, dtype=dtype))
        same(raptors.mean(m.T, axis=0, dtype=dtype), np.mean(m.T, axis=0, dtype=dtype))
