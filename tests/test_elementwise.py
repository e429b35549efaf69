"""add, subtract and multiply equal NumPy 2.4's np.add / np.subtract / np.multiply bit
for bit: NumPy's broadcasting (same shape, row, column, scalar, N-d), result dtype (NEP
50: a Python int or float takes the other operand's dtype), every layout and alignment,
out= (in place, strided, partially overlapping an input), special values, thread counts
and SIMD variants; and NumPy's kind of error, with nothing written, for bad input."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from conftest import DTYPES, assert_bitwise_equal, special_values
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import raptors

VARIANTS = raptors.build_info()["simd_available"]
QEMU_USER = bool(os.environ.get("QEMU_LD_PREFIX"))  # `make test-arm64`: ~30x slower
EXAMPLES = 40 if QEMU_USER else 250
THREADS = [1, 2, 3, 7]
# Under qemu the big-array tests take fewer thread counts, operands and sizes.
THREAD_COUNTS = [1, 3] if QEMU_USER else THREADS
BIG = 1 << 18 if QEMU_USER else 1 << 20
OPS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply}
# Around every SIMD width and unroll (4 vectors of up to 16 lanes) and beyond.
SIZES = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256]
SIZES += [257, 512, 513, 1000, 4099]


def values(shape, dtype, seed, spread=3):
    """Numbers of mixed signs and magnitudes (10^-spread .. 10^spread)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    with np.errstate(all="ignore"):
        v = rng.standard_normal(n) * 10.0 ** rng.uniform(-spread, spread, n)
        return v.astype(dtype).reshape(shape)


def check(got, want):
    """Same type (NumPy scalar or ndarray), dtype, shape and bits (any NaN matches any NaN)."""
    assert type(got) is type(want), (type(got), type(want))
    assert np.shape(got) == np.shape(want), (np.shape(got), np.shape(want))
    # atleast_1d: conftest's message indexing needs a dimension.
    assert_bitwise_equal(np.atleast_1d(got), np.atleast_1d(want))


def numpy_op(op, x, y, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return OPS[op](x, y, **kw)


def raptors_op(op, x, y, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a Python float out of float32's range
        return getattr(raptors, op)(x, y, **kw)


def check_modes(op, x, y):
    """A new array, out= in C and Fortran order, and an out= strided in a bigger buffer."""
    want = numpy_op(op, x, y)
    check(raptors_op(op, x, y), want)
    want = np.asarray(want)
    for order in ("C", "F"):
        out = np.full(want.shape, 7, want.dtype, order=order)
        assert raptors_op(op, x, y, out=out) is out
        check(out, want)
    if want.ndim:
        big = np.full(tuple(2 * n for n in want.shape), 7, want.dtype)
        out = big[(slice(None, None, -2),) * want.ndim]
        assert raptors_op(op, x, y, out=out) is out
        check(out, want)
        mask = np.ones(big.shape, bool)
        mask[(slice(None, None, -2),) * want.ndim] = False
        assert (big[mask] == 7).all(), "wrote outside out's elements"


# ---- sizes, variants, special values ----------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_contiguous_sizes_every_variant(variant, dtype, n):
    raptors.set_simd(variant)
    x = values(n, dtype, seed=n, spread=20)
    y = values(n, dtype, seed=n + 1, spread=20)
    for op in OPS:
        want = numpy_op(op, x, y)
        check(raptors_op(op, x, y), want)
        out = np.empty_like(x)
        assert raptors_op(op, x, y, out=out) is out
        check(out, want)
        x2, y2 = x.copy(), y.copy()
        assert raptors_op(op, x2, y, out=x2) is x2
        check(x2, want)
        assert raptors_op(op, x, y2, out=y2) is y2
        check(y2, want)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", OPS)
def test_special_values_every_variant(variant, dtype, op):
    raptors.set_simd(variant)
    s = special_values(dtype)
    # Every pair, as an outer broadcast and as long contiguous runs (the vector body).
    check_modes(op, s[:, None], s[None, :])
    a, b = np.meshgrid(s, s)
    check_modes(op, np.tile(a.ravel(), 3), np.tile(b.ravel(), 3))
    for scalar in s:
        check(raptors_op(op, s, scalar), numpy_op(op, s, scalar))  # a NumPy scalar: strong
        check(raptors_op(op, float(scalar), s), numpy_op(op, float(scalar), s))


@pytest.mark.parametrize("dtype", DTYPES)
def test_subnormals_are_not_flushed(dtype):
    tiny = np.finfo(dtype).tiny
    x = np.full(100, tiny, dtype)
    got = raptors.multiply(x, dtype(0.25))
    assert (got > 0).all() and (got < tiny).all()
    check(got, np.multiply(x, dtype(0.25)))
    got = raptors.subtract(x, np.full(100, tiny * 0.75, dtype))
    assert (got > 0).all() and (got < tiny).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_payload_kept_with_one_nan_operand(dtype):
    """With one NaN operand the result is that NaN, payload and sign included (NumPy's
    too); which NaN two NaNs give is not NumPy's to promise (the research note)."""
    nan = special_values(dtype)[-1:]
    uint = np.uint32 if dtype == np.float32 else np.uint64
    x = np.tile(nan, 70)
    for op in OPS:
        got = raptors_op(op, x, np.linspace(1, 2, 70).astype(dtype))
        assert np.array_equal(got.view(uint), numpy_op(op, x, np.ones(70, dtype)).view(uint))


# ---- broadcasting, result dtype ----------------------------------------------------------


def broadcast_pairs(dtype):
    a = values((7, 9), dtype, 1)
    b = values((7, 9), dtype, 2)
    c4 = values((2, 3, 4, 5), dtype, 3)
    return {
        "same": (a, b),
        "row": (a, b[0]),
        "row-first": (b[0], a),
        "row-2d": (a, b[:1]),
        "column": (a, b[:, :1]),
        "column-first": (b[:, :1], a),
        "outer": (b[:, :1], a[0]),
        "python float": (a, 2.5),
        "python float first": (-1.25, a),
        "python int": (a, 3),
        "big python int": (a, 2**60 + 2**36 + 1),
        "python bool": (a, True),
        "numpy scalar": (a, dtype(0.1)),
        "0-d": (a, np.array(0.1, dtype)),
        "0-d both": (np.array(1.5, dtype), np.array(0.1, dtype)),
        "numpy scalars": (dtype(1.5), dtype(0.1)),
        "list": (a, [float(v) for v in b[0]]),
        "3d x 2d": (c4[0], b[:4, :5]),
        "3d x column": (c4[0], values((3, 1, 5), dtype, 4)),
        "4d x 1d": (c4, values(5, dtype, 5)),
        "4d x 4d": (values((2, 1, 4, 1), dtype, 6), values((1, 3, 1, 5), dtype, 7)),
        "4d x 0-d": (c4, np.array(-3.0, dtype)),
        "empty x row": (np.empty((0, 9), dtype), b[0]),
        "empty x size-1": (values((1, 9), dtype, 8), np.empty((0, 1), dtype)),
        "size-1 axes": (values((1, 9, 1), dtype, 9), values((7, 1, 1), dtype, 10)),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", OPS)
def test_broadcast_patterns(dtype, op):
    for name, (x, y) in broadcast_pairs(dtype).items():
        try:
            check_modes(op, x, y)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


F32, F64 = np.float32, np.float64


@pytest.mark.parametrize(
    "x, y, dtype, scalar",
    [
        (np.ones(3, F32), np.ones(3, F32), F32, False),
        (np.ones(3, F32), np.ones(3, F64), F64, False),
        (np.ones(3, F64), np.ones(3, F32), F64, False),
        (np.ones(3, F32), 0.1, F32, False),  # a Python float is weak
        (0.1, np.ones(3, F32), F32, False),
        (np.ones(3, F32), 7, F32, False),
        (np.ones(3, F32), 1e300, F32, False),  # inf, as NumPy
        (np.ones(3, F32), np.float64(0.1), F64, False),  # a NumPy scalar is strong
        (np.ones(3, F32), np.array(0.1), F64, False),  # a 0-d array too
        (np.ones(3, F64), np.float32(0.1), F64, False),
        (np.float32(1.5), 0.1, F32, True),
        (np.float32(1.5), np.float64(0.1), F64, True),
        (np.float32(1.5), np.float32(0.1), F32, True),
        (np.array(1.5, F32), np.array(0.1, F32), F32, True),
        (1.5, 0.1, F64, True),
        ([1.5, 2.0], 0.1, F64, False),  # a list of floats is float64
        (np.float64(2.0), np.ones((2, 2), F32), F64, False),
    ],
)
def test_result_dtype_as_numpy(x, y, dtype, scalar):
    for op in OPS:
        want = numpy_op(op, x, y)
        got = raptors_op(op, x, y)
        check(got, want)
        assert got.dtype == dtype
        assert isinstance(got, np.generic) == scalar


# ---- layouts, alignment, out= ----------------------------------------------------------------


def layout_views(dtype, seed):
    base = values((41, 41), dtype, seed)
    return {
        "C": base[:36, :40],
        "F": np.asfortranarray(base[:36, :40]),
        "T": base[:40, :36].T,
        "sliced": base[1:37, ::-1][:, :40],
        "steps": values((72, 120), dtype, seed)[::2, ::3],
        "neg": base[::-1, ::-1][:36, :40],
        "neg-T": base[::-1][:40, :36].T[::-1],
        "broadcast": np.broadcast_to(base[0, :40], (36, 40)),
        "3d-as-2d": values((6, 6, 40), dtype, seed).reshape(36, 40),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", OPS)
def test_layouts(dtype, op):
    xs = layout_views(dtype, 1)
    ys = layout_views(dtype, 2)
    for xn, x in xs.items():
        for yn, y in ys.items():
            try:
                check_modes(op, x, y)
            except AssertionError as e:
                raise AssertionError(f"x {xn}, y {yn}: {e}") from None


def at_offset(x, offset):
    """A copy of x in a fresh byte buffer at `offset` bytes (np.frombuffer): unaligned
    when the offset is not a multiple of the itemsize. Returns (view, buffer)."""
    raw = bytearray(x.nbytes + 64)
    v = np.frombuffer(raw, dtype=x.dtype, count=x.size, offset=offset).reshape(x.shape)
    v[...] = x
    return v, np.frombuffer(raw, np.uint8)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [0, 1, 2, 4, 8, 12, 36])
def test_misaligned_buffers(variant, dtype, offset):
    raptors.set_simd(variant)
    itemsize = np.dtype(dtype).itemsize
    for shape in [(300,), (17, 33)]:
        x, _ = at_offset(values(shape, dtype, 1), offset)
        y, _ = at_offset(values(shape, dtype, 2), (offset * 3) % 16)
        assert x.flags.aligned == (offset % itemsize == 0)
        for op in OPS:
            want = numpy_op(op, x, y)
            check(raptors_op(op, x, y), want)
            check(raptors_op(op, x, y[-1]), numpy_op(op, x, y[-1]))
            out, raw = at_offset(np.zeros(shape, dtype), offset)
            raw[:] = 0xAB
            assert raptors_op(op, x, y, out=out) is out
            check(out, want)
            # Nothing outside out's bytes was written.
            assert (raw[:offset] == 0xAB).all() and (raw[offset + out.nbytes :] == 0xAB).all()
            inplace, _ = at_offset(x, offset)
            raptors_op(op, inplace, y, out=inplace)
            check(inplace, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_byteswapped_inputs(dtype):
    swapped = np.dtype(dtype).newbyteorder()
    x = values(33, dtype, 1)
    y = values(33, dtype, 2)
    for op in OPS:
        want = numpy_op(op, x, y)
        check(raptors_op(op, x.astype(swapped), y), want)
        check(raptors_op(op, x, y.astype(swapped)), want)
        check(raptors_op(op, x.astype(swapped), 2.5), numpy_op(op, x, 2.5))


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_of_a_bigger_broadcast_shape(dtype):
    """out may be bigger than the inputs' broadcast shape (NumPy broadcasts the inputs
    to out's shape)."""
    x = values((3, 4), dtype, 1)
    for op in OPS:
        out = np.empty((2, 3, 4), dtype)
        assert raptors_op(op, x, 1.5, out=out) is out
        check(out, numpy_op(op, x, 1.5, out=np.empty((2, 3, 4), dtype)))
        out = np.empty((5, 3, 4), dtype)
        raptors_op(op, x[0], x[:, :1], out=out)
        check(out, np.broadcast_to(numpy_op(op, x[0], x[:, :1]), (5, 3, 4)).copy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_dim_out(dtype):
    for op in OPS:
        out = np.empty((), dtype)
        got = raptors_op(op, dtype(1.5), 0.25, out=out)
        assert got is out
        check(out, np.asarray(numpy_op(op, dtype(1.5), 0.25)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_results(dtype):
    for op in OPS:
        for shape in [(0,), (3, 0), (0, 5, 2)]:
            x = np.empty(shape, dtype)
            got = raptors_op(op, x, 2.0)
            assert got.shape == shape and got.dtype == dtype
            out = np.empty(shape, dtype)
            assert raptors_op(op, x, x, out=out) is out


@pytest.mark.parametrize("dtype", DTYPES)
def test_new_array_memory_order(dtype):
    """As NumPy's: a Fortran input (and its partner) gives a Fortran result."""
    x = np.asfortranarray(values((8, 9), dtype, 1))
    for op in OPS:
        assert raptors_op(op, x, x).flags.f_contiguous
        assert raptors_op(op, x, 2.0).flags.f_contiguous
        assert raptors_op(op, x.T, x.T).flags.c_contiguous


@pytest.mark.parametrize("dtype", DTYPES)
def test_inputs_untouched(dtype):
    x = values((30, 40), dtype, 1)[:, ::-1]
    y = values(40, dtype, 2)
    bx, by = x.copy(), y.copy()
    for op in OPS:
        raptors_op(op, x, y)
        raptors_op(op, x, y, out=np.empty((30, 40), dtype))
    assert x.tobytes() == bx.tobytes() and y.tobytes() == by.tobytes()


# ---- in place and overlap ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 100, BIG])
def test_in_place(dtype, n):
    x0 = values(n, dtype, 1)
    y0 = values(n, dtype, 2)
    for op in OPS:
        want = numpy_op(op, x0, y0)
        x, y = x0.copy(), y0.copy()
        assert raptors_op(op, x, y, out=x) is x
        check(x, want)
        x, y = x0.copy(), y0.copy()
        assert raptors_op(op, x, y, out=y) is y
        check(y, want)
        x = x0.copy()
        assert raptors_op(op, x, x, out=x) is x
        check(x, numpy_op(op, x0, x0))
        x = x0.copy()
        raptors_op(op, x, 0.5, out=x)
        check(x, numpy_op(op, x0, 0.5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [5, 64, 1000, BIG // 4 + 3])
@pytest.mark.parametrize("shift", [-17, -1, 1, 3, 17])
def test_partial_overlap_gives_numpys_answer(dtype, n, shift):
    """out overlaps x, y or both, shifted: the answer is as if the inputs were copied
    first (same-shape contiguous operands take the fast path)."""
    for op in OPS:
        for which in ("x", "y", "both"):
            mine = np.arange(n + 40, dtype=dtype) * dtype(0.37) + 1
            theirs = mine.copy()
            results = []
            for base, fn in ((mine, raptors_op), (theirs, numpy_op)):
                x = base[20 : 20 + n]
                y = (
                    base[::-1][20 : 20 + n]
                    if which == "both"
                    else np.linspace(1, 2, n, dtype=dtype)
                )
                if which == "y":
                    x, y = y, x
                fn(op, x, y, out=base[20 + shift : 20 + shift + n])
                results.append(base)
            check(*results)


@pytest.mark.parametrize("dtype", DTYPES)
def test_overlap_patterns(dtype):
    """Broadcast rows and columns read from out, a transposed self, a reversed self."""
    cases = [
        lambda a: (a, a[1], a),
        lambda a: (a[:, 1:2], a, a),
        lambda a: (a.T, a.T, a.T),
        lambda a: (a.T, 1.0, a),
        lambda a: (a, a.T, a),
        lambda a: (a[::-1], a, a),
        lambda a: (a[:, ::-1], a[::-1], a),
        lambda a: (a[0], a[:, 0:1], a),
        lambda a: (a[1:, :-1], a[:-1, 1:], a[:-1, :-1]),
    ]
    for op in OPS:
        for k, case in enumerate(cases):
            mine = values((16, 16), dtype, k)
            theirs = mine.copy()
            raptors_op(op, *case(mine)[:2], out=case(mine)[2])
            numpy_op(op, *case(theirs)[:2], out=case(theirs)[2])
            try:
                check(mine, theirs)
            except AssertionError as e:
                raise AssertionError(f"{op} case {k}: {e}") from None


# ---- threads and SIMD variants ------------------------------------------------------------


def big_pairs():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((1024, 1024)) * 100).astype(np.float32)
    y = (rng.standard_normal((1024, 1024)) * 100).astype(np.float32)
    v = rng.standard_normal(2**20 + 7).astype(np.float32)
    if QEMU_USER:
        return {"same": (x, y), "row": (x, y[0]), "column": (x, y[:, :1]), "1d odd": (v, v[::-1])}
    return {
        "same": (x, y),
        "row": (x, y[0]),
        "column": (x, y[:, :1]),
        "outer": (y[:, :1], x[0]),
        "scalar": (x, 2.5),
        "T": (x.T, y),
        "mixed dtypes": (x[:512], y[:512].astype(np.float64)),
        "1d odd": (v, v[::-1]),
        "1d strided": (v[::3], np.float32(3)),
    }


@pytest.mark.parametrize("op", OPS)
def test_same_bits_every_thread_count(op):
    for name, (x, y) in big_pairs().items():
        want = numpy_op(op, x, y)
        for n in THREAD_COUNTS:
            raptors.set_num_threads(n)
            try:
                check(raptors_op(op, x, y), want)
                out = np.empty(want.shape, want.dtype, order="F")
                raptors_op(op, x, y, out=out)
                check(out, want)
            except AssertionError as e:
                raise AssertionError(f"{name}, {n} threads: {e}") from None


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_bits_every_variant_threaded(variant):
    raptors.set_simd(variant)
    raptors.set_num_threads(3)
    for name, (x, y) in big_pairs().items():
        for op in OPS:
            try:
                check(raptors_op(op, x, y), numpy_op(op, x, y))
            except AssertionError as e:
                raise AssertionError(f"{name}, {op}: {e}") from None
    big = big_pairs()["same"][0]
    mine, theirs = big.copy(), big.copy()
    raptors_op("add", mine, mine[0], out=mine)  # in place, reading a row of itself
    numpy_op("add", theirs, theirs[0], out=theirs)
    check(mine, theirs)


# ---- errors: NumPy's kind, and nothing written ----------------------------------------------

A = np.arange(12, dtype=np.float32).reshape(3, 4)


def _readonly():
    out = np.zeros((3, 4), np.float32)
    out.flags.writeable = False
    return out


def _zero_strides():
    return np.lib.stride_tricks.as_strided(
        np.zeros(4, np.float32), shape=(3, 4), strides=(0, 4), writeable=True
    )


# (Integer and bool operands are computed in NumPy's result dtype: test_int_elementwise.py.)
BAD_OPERANDS = [
    np.ones(4, np.float16),
    np.float16(1),
    np.ones(4, np.longdouble),
    np.ones(4, np.complex64),
    np.ones(4, np.complex128),
    1j,
    np.complex128(1),
    np.ones(4, object),
    None,
    "abc",
    np.array(["a", "b", "c", "d"]),
    np.ones(4, "datetime64[s]"),
]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    "bad", BAD_OPERANDS, ids=lambda v: f"{type(v).__name__}-{np.asarray(v).dtype}"
)
def test_other_dtypes_raise_type_error_and_write_nothing(op, bad):
    for x, y in ((A, bad), (bad, A)):
        for out in (None, np.full((3, 4), -7, np.float32)):
            a_before = A.copy()
            with pytest.raises(TypeError, match="float32") as e:
                raptors_op(op, x, y, out=out)
            assert "float64" in str(e.value)
            assert A.tobytes() == a_before.tobytes()
            if out is not None:
                assert (out == -7).all()
    # In place into a good operand: untouched.
    x = A.copy()
    with pytest.raises(TypeError):
        raptors_op(op, x, bad, out=x)
    assert x.tobytes() == A.tobytes()


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    "x, y",
    [
        (A, np.ones(3, np.float32)),
        (A, np.ones((4, 3), np.float32)),
        (A, np.ones((2, 3, 3), np.float64)),
        (A[:, :0], A[:, :1].T),
        (np.ones((3, 0), np.float32), np.ones(2, np.float32)),
    ],
)
def test_shapes_that_do_not_broadcast_raise_value_error(op, x, y):
    out = np.full((3, 4), -7, np.float32)
    with pytest.raises(ValueError):
        raptors_op(op, x, y)
    with pytest.raises(ValueError):
        raptors_op(op, x, y, out=out)
    assert (out == -7).all()


OUT_ERRORS = {
    "dtype float64 for float32": (lambda: np.full((3, 4), -7, np.float64), TypeError),
    "dtype float16": (lambda: np.full((3, 4), -7, np.float16), TypeError),
    "dtype int32": (lambda: np.full((3, 4), -7, np.int32), TypeError),
    "dtype complex64": (lambda: np.full((3, 4), -7, np.complex64), TypeError),
    "byteswapped float32": (
        lambda: np.full((3, 4), -7, ">f4" if A.dtype.isnative else "<f4"),
        TypeError,
    ),
    "list": (lambda: [[-7.0] * 4] * 3, TypeError),
    "tuple of arrays": (lambda: (np.full((3, 4), -7, np.float32),), TypeError),
    "Python float": (lambda: -7.0, TypeError),
    "NumPy scalar": (lambda: np.float32(-7), TypeError),
    "transposed shape": (lambda: np.full((4, 3), -7, np.float32), ValueError),
    "smaller (would broadcast)": (lambda: np.full((1, 4), -7, np.float32), ValueError),
    "a row": (lambda: np.full(4, -7, np.float32), ValueError),
    "flat": (lambda: np.full(12, -7, np.float32), ValueError),
    "0-d": (lambda: np.full((), -7, np.float32), ValueError),
    "read-only": (_readonly, ValueError),
    "broadcast_to (read-only)": (
        lambda: np.broadcast_to(np.full(4, -7, np.float32), (3, 4)),
        ValueError,
    ),
    "zero strides, writable": (_zero_strides, ValueError),
}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("case", OUT_ERRORS)
def test_bad_out_raises_and_writes_nothing(op, case):
    make, exc = OUT_ERRORS[case]
    for x, y in ((A, A), (A, A[0]), (A, 2.5), (A.T.copy().T, A)):
        out = make()
        before = np.array(out, copy=True)
        with pytest.raises(exc):
            raptors_op(op, x, y, out=out)
        assert (
            np.array_equal(np.asarray(out), before, equal_nan=True)
            and np.asarray(out).tobytes() == before.tobytes()
        )
        assert A.tobytes() == np.arange(12, dtype=np.float32).tobytes()


def test_float64_result_into_float32_out_raises():
    """float32 with float64 gives float64: a float32 out is the wrong dtype."""
    out = np.full((3, 4), -7, np.float32)
    for op in OPS:
        with pytest.raises(TypeError):
            raptors_op(op, A, A.astype(np.float64), out=out)
        with pytest.raises(TypeError):
            raptors_op(op, A, np.float64(2), out=out)
        assert (out == -7).all()


def test_python_int_too_big_for_a_float():
    for op in OPS:
        with pytest.raises(OverflowError):  # NumPy's too
            raptors_op(op, A, 10**400)


# ---- property: any shapes that broadcast, layouts, dtypes, out, variant, threads --------------


def _view(draw, shape, dtype):
    """An array of `shape` in a random layout: steps, reversals, transposes, misalignment."""
    seed = draw(st.integers(0, 2**32 - 1))
    steps = [draw(st.sampled_from([1, 1, 2, -1, -3])) for _ in shape]
    parent_shape = tuple(max(n, 1) * abs(s) + 1 for n, s in zip(shape, steps))
    parent = values(parent_shape, dtype, seed, spread=draw(st.sampled_from([1, 6, 40])))
    special = draw(st.sampled_from([0.0, 0.0, 0.1, 0.6]))
    if special and parent.size:
        rng = np.random.default_rng(seed)
        spec = special_values(dtype)
        pick = rng.random(parent.shape) < special
        parent[pick] = spec[rng.integers(0, len(spec), int(pick.sum()))]
    layout = draw(st.sampled_from(["C", "C", "F", "misaligned"]))
    if layout == "F" and parent.ndim > 1:
        parent = np.asfortranarray(parent)
    elif layout == "misaligned":
        parent, _ = at_offset(parent, draw(st.sampled_from([1, 2, 4, 12])))
    index = tuple(
        slice(0, n * s, s) if s > 0 else slice(p - 1, p - 1 + n * s, s)
        for n, s, p in zip(shape, steps, parent_shape)
    )
    x = parent[index + (Ellipsis,)]
    assert x.shape == tuple(shape)
    if x.ndim > 1 and draw(st.booleans()):  # the same shape, the axes in another memory order
        perm = draw(st.permutations(range(x.ndim)))
        x = np.ascontiguousarray(x.transpose(perm)).transpose(np.argsort(perm))
    return x


@st.composite
def operand_pairs(draw):
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=9)
    )
    dtypes = draw(st.sampled_from([(F32, F32), (F64, F64), (F32, F64), (F64, F32)]))
    operands = []
    for shape, dtype in zip(shapes.input_shapes, dtypes):
        kind = draw(st.sampled_from(["array"] * 6 + ["python float", "python int", "scalar"]))
        if kind == "python float":
            operands.append(draw(st.floats(allow_nan=True, allow_infinity=True)))
        elif kind == "python int":
            operands.append(draw(st.integers(-(2**70), 2**70)))
        elif kind == "scalar":
            operands.append(dtype(draw(st.floats(width=32 if dtype == F32 else 64))))
        else:
            operands.append(_view(draw, shape, dtype))
    if all(isinstance(v, (int, float)) for v in operands):  # two ints: NumPy's int64
        operands[1] = _view(draw, shapes.input_shapes[1], dtypes[1])
    return tuple(operands)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    operand_pairs(),
    st.sampled_from(list(OPS)),
    st.sampled_from(["new", "out-C", "out-F", "out-strided", "in-place", "overlap"]),
    st.sampled_from(VARIANTS),
    st.sampled_from(THREADS),
)
def test_property_matches_numpy(operands, op, mode, variant, threads):
    x, y = operands
    raptors.set_simd(variant)
    raptors.set_num_threads(threads)
    want = numpy_op(op, x, y)
    w = np.asarray(want)
    if mode == "new":
        check(raptors_op(op, x, y), want)
        return
    if mode == "in-place":
        if not (isinstance(x, np.ndarray) and x.shape == w.shape and x.dtype == w.dtype):
            return
        x = x.copy()
        assert raptors_op(op, x, y, out=x) is x
        check(x, w)
        return
    if mode == "overlap":
        # x and out in one buffer, out shifted by some elements: x is read as if copied.
        if not (isinstance(x, np.ndarray) and x.shape == w.shape and x.dtype == w.dtype):
            return
        n = x.size
        buf = np.zeros(3 * n + 2, w.dtype)
        shift = int(np.random.default_rng(n).integers(-n - 1, n + 2))
        xv = buf[n + 1 : 2 * n + 1].reshape(w.shape)
        xv[...] = x
        out = buf[n + 1 + shift : 2 * n + 1 + shift].reshape(w.shape)
        assert raptors_op(op, xv, y, out=out) is out
        check(out, w)
        return
    if mode == "out-strided" and w.ndim:
        big = np.zeros(tuple(2 * n for n in w.shape), w.dtype)
        out = big[(slice(None, None, -2),) * w.ndim]
    else:
        out = np.empty(w.shape, w.dtype, order="F" if mode == "out-F" else "C")
    assert raptors_op(op, x, y, out=out) is out
    check(out, w)
