"""add, subtract, multiply and scale on int32 and int64 equal NumPy 2.4's bit for bit:
NumPy 2's result dtype (NEP 50) against Python ints, floats and bools, NumPy scalars, 0-d
arrays and arrays of other dtypes (int32 with float32 gives float64); integers wrap modulo
2^bits; a Python int that does not fit is NumPy's OverflowError; every layout, thread
count and SIMD variant; errors before anything is written."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import raptors

VARIANTS = raptors.build_info()["simd_available"]
QEMU_USER = bool(os.environ.get("QEMU_LD_PREFIX"))
EXAMPLES = 40 if QEMU_USER else 300
I32, I64, F32, F64 = np.int32, np.int64, np.float32, np.float64
INTS = [I32, I64]
OPS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply}
COMPUTED = [np.dtype(t) for t in (F32, F64, I32, I64)]
SIZES = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 1000, 4099]


def ints(shape, dtype, seed, small=False):
    """Integers over the dtype's whole range (products and sums wrap), some extremes."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    if small:
        v = rng.integers(-1000, 1000, size=shape, dtype=dtype)
    else:
        v = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    flat = v.reshape(-1)
    if flat.size:
        extremes = np.array([info.min, info.max, -1, 0, 1, info.min + 1], dtype)
        k = min(flat.size, len(extremes))
        flat[rng.choice(flat.size, k, replace=False)] = extremes[:k]
    return v


def check(got, want):
    """Same type (NumPy scalar or ndarray), dtype, shape and bits (any NaN matches)."""
    assert type(got) is type(want), (type(got), type(want))
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype, (g.dtype, w.dtype)
    assert g.shape == w.shape, (g.shape, w.shape)
    u = {4: np.uint32, 8: np.uint64}[w.itemsize]
    gb = np.ascontiguousarray(g).view(u)
    wb = np.ascontiguousarray(w).view(u)
    bad = gb != wb
    if w.dtype.kind == "f":
        bad &= ~(np.isnan(g) & np.isnan(w))
    assert not bad.any(), f"{int(bad.sum())} elements differ: {g[bad][:5]} vs {w[bad][:5]}"


def quiet(fn, *args, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


# ---- every size, variant and operation: wrap-around -----------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("n", SIZES)
def test_contiguous_sizes_every_variant(variant, dtype, n):
    raptors.set_simd(variant)
    x, y = ints(n, dtype, n), ints(n, dtype, n + 1)
    s = int(ints(1, dtype, n + 2)[0])
    for op, ref in OPS.items():
        fn = getattr(raptors, op)
        check(fn(x, y), ref(x, y))
        out = np.empty_like(x)
        assert fn(x, y, out=out) is out
        check(out, ref(x, y))
        x2 = x.copy()
        assert fn(x2, y, out=x2) is x2
        check(x2, ref(x, y))
        check(fn(x, s), ref(x, s))  # a Python int: the array's dtype, broadcast
        check(fn(s, x), ref(s, x))
        check(fn(x[::-1], y), ref(x[::-1], y))  # negative stride: the strided loop


@pytest.mark.parametrize("variant", VARIANTS)
def test_multiply_wraps_modulo_2_to_the_bits(variant):
    """Products beyond the dtype keep their low bits: no saturation, no 32-bit truncation
    of a 64-bit product, every path (vector body, peel, tail, strided, broadcast)."""
    raptors.set_simd(variant)
    for dtype, bits in ((I32, 32), (I64, 64)):
        x = ints(203, dtype, 7)
        y = ints(203, dtype, 8)
        want = [(int(a) * int(b)) % 2**bits for a, b in zip(x, y)]
        want = np.array([w - 2**bits if w >= 2 ** (bits - 1) else w for w in want], dtype)
        for xs, ys, ws in ((x, y, want), (x[1:], y[1:], want[1:]), (x[::3], y[::3], want[::3])):
            check(raptors.multiply(xs, ys), ws)
        big = dtype(np.iinfo(dtype).max)
        check(raptors.multiply(x, big), np.multiply(x, big))
        check(raptors.add(x, int(big)), np.add(x, big))
        check(raptors.subtract(int(np.iinfo(dtype).min), x), np.subtract(np.iinfo(dtype).min, x))


# ---- NEP 50: the promotion table ---------------------------------------------------------

BIG32 = 2**24 + 1  # no float32 holds it: a float32 computation would round


def other_operands(dtype):
    """One of each kind of the other operand, and the result dtype NumPy 2.4 gives
    (shared/research/numpy-surface-order.md 6.1)."""
    d64 = np.dtype(I64)
    same = np.dtype(dtype)
    return {
        "python int": (BIG32, same),
        "python int max": (int(np.iinfo(dtype).max), same),
        "python int min": (int(np.iinfo(dtype).min), same),
        "python bool": (True, same),
        "python float": (2.5, np.dtype(F64)),
        "np.int8": (np.int8(-3), same),
        "np.uint16": (np.uint16(7), same),
        "np.int32": (np.int32(BIG32), same),
        "np.int64": (np.int64(BIG32), d64),
        "np.uint32": (np.uint32(BIG32), d64),
        "np.uint64": (np.uint64(BIG32), np.dtype(F64)),
        "np.bool_": (np.bool_(True), same),
        "np.float32": (np.float32(1.5), np.dtype(F64)),
        "np.float64": (np.float64(0.1), np.dtype(F64)),
        "0-d int64": (np.array(BIG32, I64), d64),
        "0-d float32": (np.array(1.5, F32), np.dtype(F64)),
        "0-d int32": (np.array(-BIG32, I32), same),
        "float32 array": (np.linspace(-3, 3, 9, dtype=F32), np.dtype(F64)),
        "float64 array": (np.linspace(-3, 3, 9, dtype=F64), np.dtype(F64)),
        "int8 array": (np.arange(-4, 5, dtype=np.int8), same),
        "uint8 array": (np.arange(9, dtype=np.uint8), same),
        "bool array": (np.arange(9) % 2 == 0, same),
        "int32 array": (ints(9, I32, 3), same),
        "uint32 array": (np.arange(9, dtype=np.uint32) * 500_000_000, d64),
        "int64 array": (ints(9, I64, 4), d64),
        "list of ints": ([1, -2, 3, BIG32, 5, 6, 7, 8, 9], d64),
        "list of floats": ([0.5] * 9, np.dtype(F64)),
    }


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("op", OPS)
def test_promotion_table(dtype, op):
    x = ints(9, dtype, 1)
    x[:3] = [BIG32, -BIG32, 2**24 + 3]
    for name, (v, result) in other_operands(dtype).items():
        for a, b in ((x, v), (v, x)):
            want = quiet(OPS[op], a, b)
            assert np.asarray(want).dtype == result, (name, want.dtype, result)
            try:
                check(quiet(getattr(raptors, op), a, b), want)
                out = np.full(want.shape, 7, want.dtype)
                assert quiet(getattr(raptors, op), a, b, out=out) is out
                check(out, want)
            except AssertionError as e:
                raise AssertionError(f"{name}: {e}") from None


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    "x, y",
    [
        (1, 2),
        (2**63 - 1, 1),
        (-(2**63), -1),
        (True, 1),
        (1, 2.5),
        (3, False),
        (np.int32(2**31 - 1), 1),
        (np.int32(7), np.int32(9)),
        (np.int64(5), 0.5),
        (np.array(3, I32), 2),
        (np.array(3, I32), np.array(4, I64)),
    ],
)
def test_scalars_and_0d_give_numpys_scalar(op, x, y):
    want = quiet(OPS[op], x, y)
    check(getattr(raptors, op)(x, y), want)
    check(getattr(raptors, op)(y, x), quiet(OPS[op], y, x))


def test_add_of_two_python_ints_is_int64():
    got = raptors.add(1, 2)
    assert type(got) is np.int64 and got == 3


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    "dtype, value, message",
    [
        (I32, 2**31, "Python integer 2147483648 out of bounds for int32"),
        (I32, -(2**31) - 1, "Python integer -2147483649 out of bounds for int32"),
        (I32, 2**70, "Python int too large to convert to C long"),
        (I64, 2**63, "Python int too large to convert to C long"),
        (I64, -(2**63) - 1, "Python int too large to convert to C long"),
    ],
)
def test_python_int_out_of_bounds_is_overflow_error(op, dtype, value, message):
    x = ints((3, 4), dtype, 1)
    before = x.copy()
    out = np.full((3, 4), 7, dtype)
    for a, b in ((x, value), (value, x)):
        with pytest.raises(OverflowError, match=message):
            OPS[op](a, b)  # NumPy's own, the contract
        with pytest.raises(OverflowError, match=message):
            getattr(raptors, op)(a, b)
        with pytest.raises(OverflowError, match=message):
            getattr(raptors, op)(a, b, out=out)
        with pytest.raises(OverflowError, match=message):
            getattr(raptors, op)(a, b, out=x)
    assert (out == 7).all() and x.tobytes() == before.tobytes()


def test_two_python_ints_beyond_int64():
    for args in ((2**63, 1), (1, 2**63), (2**64, 1)):
        with pytest.raises(OverflowError):
            np.add(*args)
        with pytest.raises(OverflowError):
            raptors.add(*args)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    "x, y",
    [
        (np.ones(4, np.int16), np.ones(4, np.int16)),  # int16
        (np.ones(4, np.uint8), 3),  # uint8
        (np.ones(4, np.uint64), np.ones(4, np.uint64)),
        (np.ones(4, np.uint64), 5),
        (np.ones(4, bool), np.ones(4, bool)),  # bool
        (True, False),
        (np.ones(4, np.int8), np.ones(4, np.uint8)),  # int16
        (np.ones(4, np.uint32), np.ones(4, np.uint32)),
    ],
)
def test_other_integer_results_raise_type_error_naming_the_supported(op, x, y):
    """NumPy's result is another integer (or bool) dtype: TypeError naming the dtypes
    Raptors computes, never a different result."""
    out = np.full(4, 7, I64)
    with pytest.raises(TypeError, match="float32, float64, int32 and int64"):
        getattr(raptors, op)(x, y)
    with pytest.raises(TypeError):
        getattr(raptors, op)(x, y, out=out)
    assert (out == 7).all()


@pytest.mark.parametrize("op", OPS)
def test_out_of_another_dtype_is_type_error_and_untouched(op):
    """NumPy casts an int32 result into an int64 or float64 out (same_kind); Raptors takes
    an out of the result's dtype only and says so."""
    x = ints((3, 4), I32, 1)
    for out_dtype in (I64, F64, F32, np.int16, ">i4"):
        out = np.full((3, 4), 7, out_dtype)
        with pytest.raises(TypeError, match="int32"):
            getattr(raptors, op)(x, x, out=out)
        with pytest.raises(TypeError):
            getattr(raptors, op)(x, 3, out=out)
        assert (out == 7).all()
    out = np.full((3, 4), 7, I32)
    with pytest.raises(TypeError, match="float64"):  # int32 with a Python float: float64
        getattr(raptors, op)(x, 2.5, out=out)
    assert (out == 7).all()


# ---- layouts, overlap, threads -------------------------------------------------------------


def at_offset(x, offset):
    raw = bytearray(x.nbytes + 64)
    v = np.frombuffer(raw, dtype=x.dtype, count=x.size, offset=offset).reshape(x.shape)
    v[...] = x
    return v


def layouts(dtype, seed):
    base = ints((41, 41), dtype, seed)
    return {
        "C": base[:36, :40],
        "F": np.asfortranarray(base[:36, :40]),
        "T": base[:40, :36].T,
        "neg": base[::-1, ::-1][:36, :40],
        "steps": ints((72, 120), dtype, seed)[::2, ::3],
        "broadcast": np.broadcast_to(base[0, :40], (36, 40)),
        "row": base[0, :40],
        "column": base[:36, :1],
        "0-d": np.array(base[1, 1]),
        "misaligned": at_offset(base[:36, :40], 3),
        "byteswapped": base[:36, :40].astype(np.dtype(dtype).newbyteorder()),
    }


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("op", OPS)
def test_layouts(dtype, op):
    xs, ys = layouts(dtype, 1), layouts(dtype, 2)
    for xn, x in xs.items():
        for yn, y in ys.items():
            want = OPS[op](x, y)
            try:
                check(getattr(raptors, op)(x, y), want)
                w = np.asarray(want)
                out = np.full(w.shape, 7, w.dtype, order="F")
                assert getattr(raptors, op)(x, y, out=out) is out
                check(out, w)
            except AssertionError as e:
                raise AssertionError(f"x {xn}, y {yn}: {e}") from None


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("shift", [-17, -1, 1, 5])
def test_partial_overlap_gives_numpys_answer(dtype, shift):
    for op in OPS:
        mine = ints(1040, dtype, 3)
        theirs = mine.copy()
        getattr(raptors, op)(
            mine[20:1020], mine[::-1][20:1020], out=mine[20 + shift : 1020 + shift]
        )
        OPS[op](theirs[20:1020], theirs[::-1][20:1020], out=theirs[20 + shift : 1020 + shift])
        check(mine, theirs)
        mine2 = ints((16, 16), dtype, 4)
        theirs2 = mine2.copy()
        getattr(raptors, op)(mine2, mine2[1], out=mine2)
        OPS[op](theirs2, theirs2[1], out=theirs2)
        check(mine2, theirs2)


@pytest.mark.parametrize("variant", VARIANTS)
def test_big_arrays_every_thread_count(variant):
    raptors.set_simd(variant)
    n = 1 << 18 if QEMU_USER else 1 << 20
    cases = {
        "i32 same": (ints(n + 7, I32, 1), ints(n + 7, I32, 2)),
        "i64 same": (ints(n + 7, I64, 1), ints(n + 7, I64, 2)),
        "i32 row": (ints((n // 512, 512), I32, 3), ints(512, I32, 4)),
        "i64 scalar": (ints(n, I64, 5), -(2**40) + 3),
        "i32 x f32": (ints(n // 4, I32, 6), np.linspace(-1, 1, n // 4, dtype=F32)),
    }
    for threads in (1, 2, 3):
        raptors.set_num_threads(threads)
        for name, (x, y) in cases.items():
            for op in OPS:
                want = OPS[op](x, y)
                try:
                    check(getattr(raptors, op)(x, y), want)
                except AssertionError as e:
                    raise AssertionError(f"{name} {op}, {threads} threads: {e}") from None


# ---- property: operand kinds x layouts x variants x threads --------------------------------


@st.composite
def int_cases(draw):
    dtype = draw(st.sampled_from(INTS))
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=7)
    )
    seed = draw(st.integers(0, 2**32 - 1))
    x = ints(shapes.input_shapes[0], dtype, seed)
    layout = draw(st.sampled_from(["C", "F", "T", "neg", "misaligned", "swapped"]))
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "T" and x.ndim > 1:
        x = np.ascontiguousarray(x.T).T
    elif layout == "neg" and x.ndim:
        x = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    elif layout == "misaligned":
        x = at_offset(x, draw(st.sampled_from([1, 2, 4])))
    elif layout == "swapped":
        x = x.astype(x.dtype.newbyteorder())
    kind = draw(
        st.sampled_from(
            ["python int", "python float", "python bool", "numpy scalar", "0-d", "array"]
        )
    )
    yshape = shapes.input_shapes[1]
    if kind == "python int":
        info = np.iinfo(dtype)
        y = draw(st.integers(int(info.min), int(info.max)))
    elif kind == "python float":
        y = draw(st.floats(allow_nan=True, allow_infinity=True))
    elif kind == "python bool":
        y = draw(st.booleans())
    else:
        ydt = draw(st.sampled_from([I32, I64, F32, F64, np.int8, np.uint8, np.uint32, bool]))
        if np.dtype(ydt).kind == "f":
            v = np.random.default_rng(seed).standard_normal(yshape) * 1e6
        else:
            v = ints(yshape, I64, seed + 1)
        v = v.astype(ydt)
        if kind == "array":
            y = v
        else:
            v0 = v.reshape(-1)[0] if v.size else np.dtype(ydt).type(3)
            y = v0 if kind == "numpy scalar" else np.array(v0)
    if draw(st.booleans()):
        x, y = y, x
    return x, y


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    int_cases(),
    st.sampled_from(list(OPS)),
    st.sampled_from(["new", "out-C", "out-F", "in-place"]),
    st.sampled_from(VARIANTS),
    st.sampled_from([1, 2, 3]),
)
def test_property_matches_numpy(case, op, mode, variant, threads):
    x, y = case
    raptors.set_simd(variant)
    raptors.set_num_threads(threads)
    fn = getattr(raptors, op)
    want = quiet(OPS[op], x, y)
    w = np.asarray(want)
    if w.dtype not in COMPUTED:  # (an int8/uint8/bool partner keeps x's int dtype)
        with pytest.raises(TypeError):
            fn(x, y)
        return
    if mode == "new":
        check(quiet(fn, x, y), want)
    elif mode == "in-place":
        if isinstance(x, np.ndarray) and x.shape == w.shape and x.dtype == w.dtype:
            x = x.copy()
            assert quiet(fn, x, y, out=x) is x
            check(x, w)
    else:
        out = np.full(w.shape, 7, w.dtype, order="F" if mode == "out-F" else "C")
        assert quiet(fn, x, y, out=out) is out
        check(out, w)


# ---- scale ------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", INTS)
def test_scale(variant, dtype):
    raptors.set_simd(variant)
    x = ints((33, 65), dtype, 9)
    for factor in (
        3,
        -1,
        0,
        True,
        int(np.iinfo(dtype).max),
        2.5,
        -0.1,
        np.int32(7),
        np.int64(-5),
        np.float32(1.5),
        np.uint64(3),
        np.array(4, np.int8),
    ):
        for v in (
            x,
            x[::-1, 1::2],
            x.T,
            np.asfortranarray(x),
            x[0, 0].reshape(()),
            x.astype(x.dtype.newbyteorder()),
        ):
            want = quiet(np.multiply, v, factor)
            got = quiet(raptors.scale, v, factor)
            assert isinstance(got, np.ndarray)
            check(got, np.asarray(want))
    y = x.copy()
    assert raptors.scale(y, -7, out=y) is y
    check(y, np.multiply(x, -7))
    with pytest.raises(
        OverflowError, match="out of bounds for int32" if dtype is I32 else "C long"
    ):
        raptors.scale(x, 2**31 if dtype is I32 else 2**63)
    out = np.full(x.shape, 7, dtype)
    with pytest.raises(TypeError):  # an int times a Python float is float64
        raptors.scale(x, 2.5, out=out)
    assert (out == 7).all()
