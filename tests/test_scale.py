"""scale equals NumPy's np.multiply(x, x.dtype.type(a)) bit for bit, for every
layout, size, alignment, special value, SIMD variant and thread count."""

import numpy as np
import pytest
from conftest import DTYPES, assert_bitwise_equal, reference, special_values
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import raptors

VARIANTS = raptors.build_info()["simd_available"]
# Around every SIMD width and unroll (4 vectors of up to 16 lanes) and beyond.
SIZES = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 1000, 4099]
FACTORS = [2.5, -1.0, 0.0, -0.0, 1e-30, 3e38, np.inf, -np.inf, np.nan, 0.1, 7]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_contiguous_sizes_every_variant(variant, dtype, n):
    raptors.set_simd(variant)
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 1e3).astype(dtype)
    assert_bitwise_equal(raptors.scale(x, 1.7), reference(x, 1.7))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("factor", FACTORS)
def test_special_values_every_variant(variant, dtype, factor):
    raptors.set_simd(variant)
    # Repeat so the values pass through the vector body, not only the tail.
    x = np.tile(special_values(dtype), 9)
    assert_bitwise_equal(raptors.scale(x, factor), reference(x, factor))


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_payload_of_x_is_kept(dtype):
    x = special_values(dtype)[-1:].repeat(70)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    got = raptors.scale(x, 2.0).view(uint)
    assert np.array_equal(got, reference(x, 2.0).view(uint))


@pytest.mark.parametrize("dtype", DTYPES)
def test_subnormal_results_are_not_flushed(dtype):
    tiny = np.finfo(dtype).tiny
    x = np.full(100, tiny, dtype=dtype)
    got = raptors.scale(x, 0.25)
    assert (got > 0).all() and (got < tiny).all()
    assert_bitwise_equal(got, reference(x, 0.25))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset_bytes", [0, 1, 2, 4, 8, 12, 36])
def test_misaligned_data(variant, dtype, offset_bytes):
    raptors.set_simd(variant)
    itemsize = np.dtype(dtype).itemsize
    n = 300
    raw = np.zeros(n * itemsize + 64, dtype=np.uint8)
    x = np.frombuffer(raw[offset_bytes : offset_bytes + n * itemsize], dtype=dtype).copy()
    x[:] = np.linspace(-5, 5, n)
    xv = np.frombuffer(raw.data, dtype=np.uint8)[offset_bytes : offset_bytes + n * itemsize]
    xv = xv.view(dtype)  # unaligned when offset is not a multiple of itemsize
    xv[...] = x if xv.flags.writeable else None
    out_raw = np.zeros(n * itemsize + 64, dtype=np.uint8)
    out = out_raw[offset_bytes : offset_bytes + n * itemsize].view(dtype)
    assert xv.flags.aligned == (offset_bytes % itemsize == 0)
    result = raptors.scale(xv, -2.25, out=out)
    assert result is out
    assert_bitwise_equal(out, reference(x, -2.25))
    # Nothing outside out's bytes was written.
    assert not out_raw[:offset_bytes].any() and not out_raw[offset_bytes + n * itemsize :].any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts(dtype):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((37, 41)).astype(dtype)
    views = {
        "C": base,
        "F": np.asfortranarray(base),
        "T": base.T,
        "sliced": base[3:30:2, 5:40:3],
        "neg": base[::-1, ::-2],
        "neg-T": base[::-3, ::-1].T,
        "column": base[:, 7],
        "row": base[5],
        "3d": base[:36].reshape(6, 6, 41)[:, ::2, 1:],
        "broadcast": np.broadcast_to(base[0], (5, 41)),
        "0d": base[0, 0].reshape(()),
    }
    for name, v in views.items():
        got = raptors.scale(v, 0.75)
        assert_bitwise_equal(got, reference(v, 0.75))
        assert got.dtype == v.dtype, name


@pytest.mark.parametrize("dtype", DTYPES)
def test_new_array_keeps_memory_order(dtype):
    x = np.asfortranarray(np.ones((8, 9), dtype=dtype))
    assert raptors.scale(x, 2).flags.f_contiguous
    assert raptors.scale(x.T, 2).flags.c_contiguous


def test_float32_not_promoted_by_python_float():
    x = np.arange(5, dtype=np.float32)
    got = raptors.scale(x, 0.1)  # 0.1 rounds to float32 first, as in NumPy
    assert got.dtype == np.float32
    assert_bitwise_equal(got, np.multiply(x, np.float32(0.1)))


@pytest.mark.parametrize(
    "factor",
    [2, True, np.float32(1.5), np.float64(1e-3), np.int64(-3), np.array(2.5), np.uint8(7), 10**30],
)
def test_factor_kinds(factor):
    """As np.multiply(x, factor) (NEP 50): a Python scalar takes x's dtype, a NumPy scalar
    or 0-d array keeps its own and promotes (float32 x times np.float64 gives float64)."""
    for dtype in DTYPES:
        x = np.linspace(-3, 3, 50, dtype=dtype)
        got = raptors.scale(x, factor)
        assert got.dtype == np.multiply(x, factor).dtype
        assert_bitwise_equal(got, np.multiply(x, factor))
        assert_bitwise_equal(raptors.scale(x[::-2], factor), np.multiply(x[::-2], factor))


def test_array_likes():
    assert_bitwise_equal(raptors.scale([1.0, 2.0, 3.5], 2), reference([1.0, 2.0, 3.5], 2))
    assert_bitwise_equal(raptors.scale(3.25, 2), reference(3.25, 2))
    got = raptors.scale(np.float32(3), 2)
    assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty(dtype):
    for shape in [(0,), (3, 0), (0, 5, 2)]:
        x = np.empty(shape, dtype=dtype)
        got = raptors.scale(x, 3)
        assert got.shape == shape and got.dtype == dtype
        out = np.empty(shape, dtype=dtype)
        assert raptors.scale(x, 3, out=out) is out


@pytest.mark.parametrize("dtype", DTYPES)
def test_byteswapped_input(dtype):
    x = np.linspace(-1, 1, 33).astype(np.dtype(dtype).newbyteorder(">"))
    got = raptors.scale(x, 3)
    assert got.dtype == np.dtype(dtype)
    assert_bitwise_equal(got, reference(x.astype(dtype), 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 100, 1 << 20])
def test_in_place(dtype, n):
    x = np.linspace(-100, 100, n).astype(dtype)
    expected = reference(x, -3.5)
    assert raptors.scale(x, -3.5, out=x) is x
    assert_bitwise_equal(x, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_strided_writes_only_its_elements(dtype):
    x = np.arange(60, dtype=dtype).reshape(6, 10)
    big = np.full((12, 30), -7, dtype=dtype)
    out = big[::2, ::3]
    assert raptors.scale(x, 2, out=out) is out
    assert_bitwise_equal(out, reference(x, 2))
    mask = np.ones(big.shape, bool)
    mask[::2, ::3] = False
    assert (big[mask] == -7).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_fortran_for_c_input(dtype):
    x = np.random.default_rng(1).standard_normal((50, 70)).astype(dtype)
    out = np.empty((50, 70), dtype=dtype, order="F")
    raptors.scale(x, 1.25, out=out)
    assert_bitwise_equal(out, reference(x, 1.25))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shift", [1, -1, 5, -17])
def test_partial_overlap_gives_numpys_answer(dtype, shift):
    base = np.arange(200, dtype=dtype)
    x = base[20:120]
    out = base[20 + shift : 120 + shift]
    expected = reference(x.copy(), 3)
    raptors.scale(x, 3, out=out)
    assert_bitwise_equal(out, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reversed_self_overlap(dtype):
    base = np.arange(64, dtype=dtype)
    expected = reference(base, 2)[::-1].copy()
    raptors.scale(base, 2, out=base[::-1])
    assert_bitwise_equal(base, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_give_same_bits(dtype):
    x = np.random.default_rng(2).standard_normal(3_000_001).astype(dtype)
    expected = reference(x, 1.1)
    for n in (1, 2, 3, 8):
        raptors.set_num_threads(n)
        assert_bitwise_equal(raptors.scale(x, 1.1), expected)
        out = np.empty_like(x)
        assert_bitwise_equal(raptors.scale(x, 1.1, out=out), expected)
        # Strided big input goes through the threaded N-d path.
        assert_bitwise_equal(raptors.scale(x[::3], 1.1), expected[::3])


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_streaming_path_unaligned_out(dtype):
    # Big enough to exceed the last-level cache: streaming stores with peeling.
    n = (64 << 20) // np.dtype(dtype).itemsize + 3
    x = np.random.default_rng(3).standard_normal(n + 1).astype(dtype)[1:]
    out = np.empty(n + 1, dtype=dtype)[1:]
    raptors.scale(x, 0.5, out=out)
    assert_bitwise_equal(out, reference(x, 0.5))


def _arrays(draw, dtype):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=9))
    elements = st.floats(
        width=32 if dtype == np.float32 else 64,
        allow_nan=True,
        allow_infinity=True,
        allow_subnormal=True,
    )
    base = draw(hnp.arrays(dtype, shape, elements=elements))
    # A random view: reversed or stepped axes, maybe transposed.
    index = tuple(
        draw(
            st.sampled_from(
                [slice(None), slice(None, None, -1), slice(None, None, 2), slice(1, None, 3)]
            )
        )
        for _ in shape
    )
    view = base[index + (Ellipsis,)]  # stays an ndarray when 0-d
    if view.ndim > 1 and draw(st.booleans()):
        view = view.transpose(draw(st.permutations(range(view.ndim))))
    return view


@st.composite
def array_and_factor(draw):
    dtype = draw(st.sampled_from(DTYPES))
    x = _arrays(draw, dtype)
    factor = draw(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
            st.integers(-(10**6), 10**6),
        )
    )
    return x, factor


@settings(max_examples=400, deadline=None)
@given(array_and_factor(), st.sampled_from(["new", "out", "out-F", "inplace"]))
def test_property_matches_numpy(case, mode):
    x, factor = case
    expected = reference(x, factor)
    if mode == "new":
        got = raptors.scale(x, factor)
    elif mode == "out":
        got = raptors.scale(x, factor, out=np.empty_like(x, order="C"))
    elif mode == "out-F":
        got = raptors.scale(x, factor, out=np.empty_like(x, order="F"))
    else:
        got = x.copy()
        raptors.scale(got, factor, out=got)
    assert_bitwise_equal(got, expected)
