"""The C entry points of the operation families, called directly (as a C user would):
results equal NumPy's, and bad arguments get an error code with nothing written."""

import ctypes

import numpy as np
import pytest
from conftest import DTYPES, assert_bitwise_equal

from raptors import _ffi

lib = _ffi._lib
I64 = ctypes.c_int64
EINVAL, EOVERLAP = -1, _ffi.EOVERLAP
SUFFIX = {np.float32: "f32", np.float64: "f64"}
#: The typed API's reduction numbering (raptors.h).
RAPTORS_SUM, RAPTORS_MEAN = 0, 1


def arr(values):
    return (I64 * len(values))(*values)


def addr(a):
    return a.__array_interface__["data"][0]


def binary_fn(dtype):
    f = getattr(lib, f"raptors_binary_{SUFFIX[dtype]}")
    p = ctypes.POINTER(I64)
    f.argtypes = [ctypes.c_int, ctypes.c_int, p, ctypes.c_void_p, p, ctypes.c_void_p, p,
                  ctypes.c_void_p, p]  # fmt: skip
    return f


def reduce_fn(dtype):
    f = getattr(lib, f"raptors_reduce_{SUFFIX[dtype]}")
    p = ctypes.POINTER(I64)
    f.argtypes = [ctypes.c_int, ctypes.c_int, p, ctypes.c_void_p, p, ctypes.c_int,
                  ctypes.c_void_p, p, ctypes.c_size_t]  # fmt: skip
    return f


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op, ref", [(0, np.add), (1, np.subtract), (2, np.multiply)])
def test_binary_broadcast_by_zero_strides(dtype, op, ref):
    rng = np.random.default_rng(op)
    x = rng.standard_normal((37, 41)).astype(dtype)
    row = rng.standard_normal(41).astype(dtype)
    out = np.empty_like(x)
    rc = binary_fn(dtype)(
        op, 2, arr(x.shape), addr(x), arr(x.strides), addr(row), arr([0, row.strides[0]]),
        addr(out), arr(out.strides),
    )  # fmt: skip
    assert rc == 0
    assert_bitwise_equal(out, ref(x, row))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_refuses_partial_overlap(dtype):
    x = np.arange(20, dtype=dtype)
    before = x.copy()
    f, n, st = binary_fn(dtype), arr([19]), arr([x.itemsize])
    assert f(0, 1, n, addr(x), st, addr(x), st, addr(x[1:]), st) == EOVERLAP
    assert x.tobytes() == before.tobytes()
    assert f(0, 1, arr([20]), addr(x), st, addr(x), st, addr(x), st) == 0  # in place is allowed
    assert np.array_equal(x, before + before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("op", [RAPTORS_SUM, RAPTORS_MEAN])
def test_reduce_matches_numpy(dtype, axis, op):
    x = np.random.default_rng(3).standard_normal((300, 200)).astype(dtype)[:, ::-1]
    want = (np.sum if op == RAPTORS_SUM else np.mean)(x, axis=None if axis < 0 else axis)
    out = np.empty(np.shape(want), dtype)
    out_strides = [0, 0] if axis < 0 else list(out.strides[:axis]) + [0] + list(out.strides[axis:])
    rc = reduce_fn(dtype)(
        op, 2, arr(x.shape), addr(x), arr(x.strides), axis, addr(out), arr(out_strides), 8192
    )
    assert rc == 0
    assert_bitwise_equal(out, want)


def test_bad_arguments_get_einval_and_write_nothing():
    x = np.ones(8, np.float32)
    out = np.full(8, 7.0, np.float32)
    f = binary_fn(np.float32)
    one, st = arr([8]), arr([4])
    assert f(3, 1, one, addr(x), st, addr(x), st, addr(out), st) == EINVAL  # unknown op
    assert f(0, 65, one, addr(x), st, addr(x), st, addr(out), st) == EINVAL  # ndim > 64
    assert f(0, 1, arr([-1]), addr(x), st, addr(x), st, addr(out), st) == EINVAL
    assert f(0, 1, one, None, st, addr(x), st, addr(out), st) == EINVAL
    r = reduce_fn(np.float32)
    assert r(2, 1, one, addr(x), st, -1, addr(out), st, 8192) == EINVAL  # unknown op
    assert r(0, 1, one, addr(x), st, 1, addr(out), st, 8192) == EINVAL  # axis out of range
    assert r(0, 1, one, addr(x), st, -1, addr(out), st, 0) == EINVAL  # bufsize 0
    assert (out == 7).all()


# ---- The call protocol, block by block as a C caller writes it (protocol.h) ----
# The layout is written out here by hand, independently of raptors._ffi.encode, so a
# word the encoder put at the wrong offset cannot agree with both.
CODE, NDIM, X, Y, OUT, AXIS, BUFSIZE, X_NDIM, Y_NDIM, SHAPE = range(10)
REFS, CONTIG, SCALAR_Y, BUFFERED, OUT_VOTES = 0x10000, 0x20000, 0x40000, 0x80000, 0x100000
ARRAYS, Y_VALUE = 0x200000, 0x400000
OPS = {
    "add": 0,
    "subtract": 1,
    "multiply": 2,
    "scale": 3,
    "sum": 4,
    "mean": 5,
    "nansum": 6,
    "nanmean": 7,
    "nancount": 8,
}
DTYPE_BITS = {np.float32: 0 << 8, np.float64: 1 << 8}


def call(words):
    block = (I64 * max(len(words), 1))(*words)
    return lib.raptors_call(ctypes.addressof(block))


def test_the_protocol_description_is_the_layout_of_protocol_h():
    p = _ffi.PROTOCOL
    assert p["abi"] == _ffi.ABI_VERSION == lib.raptors_abi_version()
    names = ["CODE", "NDIM", "X", "Y", "OUT", "AXIS", "BUFSIZE", "X_NDIM", "Y_NDIM", "SHAPE"]
    assert p["words"] == {n: i for i, n in enumerate(names)}
    flags = {
        "REFS": REFS,
        "CONTIG": CONTIG,
        "SCALAR_Y": SCALAR_Y,
        "BUFFERED": BUFFERED,
        "OUT_VOTES": OUT_VOTES,
        "ARRAYS": ARRAYS,
        "Y_VALUE": Y_VALUE,
    }
    assert p["flags"] == flags
    assert p["operations"] == OPS
    names = [
        "float32",
        "float64",
        "int32",
        "int64",
        "int8",
        "int16",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
    ]
    assert p["dtypes"] == {n: i for i, n in enumerate(names)} and p["dtype_shift"] == 8
    assert p["sum_shift"] == 24 and p["notes"] == {"NOTE_EMPTY_SLICE": 16}
    assert p["return_codes"] == {
        "OK": 0,
        "EINVAL": -1,
        "ENOMEM": -2,
        "EOVERLAP": -3,
        "ELAYOUT": -4,
    }
    assert p["max_words"] == SHAPE + 6 * 64 and p["all_axes"] == -1


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_general_block_broadcasts_each_operand(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 1, 5)).astype(dtype)
    y = rng.standard_normal((4, 1)).astype(dtype)[::-1]
    out = np.empty((3, 4, 5), dtype)
    words = [OPS["subtract"] | DTYPE_BITS[dtype], 3, addr(x), addr(y), addr(out), 0, 0, 3, 2]
    words += [*out.shape, *x.shape, *x.strides, *y.shape, *y.strides, *out.strides]
    assert call(words) == 0
    assert_bitwise_equal(out, x - y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_contiguous_block_with_a_scalar_y_is_scale(dtype):
    x = np.random.default_rng(6).standard_normal(1001).astype(dtype)
    out = np.empty_like(x)
    factor = np.array(0.3, dtype)  # the cell a 0-d operand lives in
    code = OPS["scale"] | DTYPE_BITS[dtype] | CONTIG | SCALAR_Y
    assert call([code, x.size, addr(x), addr(factor), addr(out)]) == 0
    assert_bitwise_equal(out, x * dtype(0.3))


def value_word(value, dtype, rest=0.0):
    """A Y word holding value's bits first, as a caller packs it (a float32 and, after it,
    4 bytes of anything: rest's bits)."""
    cells = [value] if np.dtype(dtype).itemsize == 8 else [value, rest]
    return int(np.array(cells, dtype).view(np.int64)[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_scalar_y_can_be_the_value_in_its_word(dtype):
    """RAPTORS_CALL_Y_VALUE: the Y word is y's value (its dtype's bits first, a float32's
    other half ignored), read only with CONTIG and SCALAR_Y: one element of the block, never
    n of them, and never as an address."""
    x = np.random.default_rng(6).standard_normal(1001).astype(dtype)
    out = np.full_like(x, 7)
    code = OPS["scale"] | DTYPE_BITS[dtype] | CONTIG | SCALAR_Y | Y_VALUE
    assert call([code, x.size, addr(x), value_word(0.3, dtype, np.nan), addr(out)]) == 0
    assert_bitwise_equal(out, x * dtype(0.3))
    assert call([code | REFS, 0, 0, value_word(0.3, dtype), 0]) == 0  # nothing: n = 0
    y = np.array([2.5, 0.0], dtype)
    add = OPS["add"] | DTYPE_BITS[dtype] | CONTIG | SCALAR_Y | Y_VALUE
    assert call([add, x.size, addr(x), value_word(-2.5, dtype), addr(out)]) == 0
    assert_bitwise_equal(out, x + dtype(-2.5))
    out[...] = 7
    for refused in (code & ~SCALAR_Y, code & ~CONTIG, (code | SCALAR_Y) & ~CONTIG):
        assert call([refused, x.size, addr(x), addr(y), addr(out)]) == EINVAL, hex(refused)
    mean = OPS["mean"] | DTYPE_BITS[dtype] | CONTIG | SCALAR_Y | Y_VALUE
    assert call([mean, x.size, addr(x), value_word(1.0, dtype), addr(out), -1, 8192]) == EINVAL
    assert (out == 7).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_reduction_block_with_references(dtype):
    x = np.random.default_rng(7).standard_normal((40, 30)).astype(dtype)
    out = np.empty(30, dtype)
    refs = (ctypes.c_void_p * 2)(addr(x), addr(out))  # where each data pointer is kept
    ref = ctypes.addressof(refs)
    code = OPS["mean"] | DTYPE_BITS[dtype] | REFS
    words = [code, 2, ref, 0, ref + ctypes.sizeof(ctypes.c_void_p), 1 << 0, 8192, 2, 0]
    words += [*x.shape, *x.shape, *x.strides, 0, *out.strides]
    assert call(words) == 0
    assert_bitwise_equal(out, np.mean(x, axis=0))


def test_calls_check_their_block_and_write_nothing():
    x = np.ones((3, 4), np.float32)
    y = np.ones(5, np.float32)  # does not broadcast with (3, 4)
    out = np.full((3, 4), 7.0, np.float32)
    words = [OPS["add"], 2, addr(x), addr(y), addr(out), 0, 0, 2, 1, 3, 4, 3, 4, 16, 4, 5, 4, 16, 4]
    assert call(words) == EINVAL
    assert call([11 << 8, 2, *words[2:]]) == EINVAL  # no such dtype
    assert call([7 << 8, 2, *words[2:]]) == EINVAL  # an element-wise add of uint16
    assert call([8, 2, *words[2:]]) == EINVAL  # no such operation
    assert call([OPS["add"] | 0x800000, 2, *words[2:]]) == EINVAL  # no such flag
    assert call([OPS["add"] | 1 << 24, 2, *words[2:]]) == EINVAL  # a sum dtype, element-wise
    assert call([OPS["add"], 65, *words[2:]]) == EINVAL  # more axes than RAPTORS_MAX_DIMS
    sum_words = [OPS["sum"], 2, addr(x), 0, addr(out), 0, 0, 2, 0, 3, 4, 3, 5, 16, 4, 0, 4]
    assert call(sum_words) == EINVAL  # x's shape is not the iteration's
    sum_words[BUFSIZE] = 8192
    sum_words[SHAPE + 3] = 4
    assert call([*sum_words[:AXIS], 1 << 2, *sum_words[BUFSIZE:]]) == EINVAL  # axis out of range
    assert call([OPS["sum"] | 12 << 24, *sum_words[1:]]) == EINVAL  # no such sum dtype
    assert call([OPS["sum"] | 3 << 24, *sum_words[1:]]) == EINVAL  # float32 added as int32
    assert call([OPS["mean"] | 4 << 24 | 2 << 8, *sum_words[1:]]) == EINVAL  # an int32 mean
    counts = np.full(4, 7.0, np.float32)  # the numbers counted: a nansum of floats only
    assert call([*sum_words[:3], addr(counts), *sum_words[4:]]) == EINVAL
    assert call([OPS["nanmean"], *sum_words[1:3], addr(counts), *sum_words[4:]]) == EINVAL
    xi = np.ones((3, 4), np.int32)
    nansum_int = [OPS["nansum"] | 2 << 8 | 3 << 24, *sum_words[1:2], addr(xi), addr(counts)]
    assert call([*nansum_int, *sum_words[4:]]) == EINVAL  # of int32 into int32
    nansum_axis0 = [OPS["nansum"], *sum_words[1:3], addr(counts), addr(out), 1 << 0]
    assert call([*nansum_axis0, *sum_words[BUFSIZE:]]) == 0  # it counts
    assert (counts == 3).all() and (out[0] == 3).all()
    out[...] = 7
    assert lib.raptors_call(None) == EINVAL
    assert (out == 7).all()


@pytest.mark.skipif(not _ffi.CALL_ARRAYS, reason="NumPy's array layout not checked here")
def test_an_arrays_call_takes_only_one_c_contiguous_shape():
    """RAPTORS_CALL_ARRAYS: the library reads each ndarray's shape, dtype object and flags
    itself and computes only x, y and out of one shape and dtype, C-contiguous, aligned, out
    writeable; any other case is ELAYOUT with nothing written. NDIM is the offset of the
    data field in each word's object (0 to 64: the words name the fields themselves)."""
    off = _ffi.DATA_OFFSET
    code = OPS["add"] | DTYPE_BITS[np.float32] | REFS | CONTIG | ARRAYS

    def run(x, y, out):
        return call([code, off, id(x), id(y), id(out)])

    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.ones((3, 4), np.float32)
    out = np.zeros((3, 4), np.float32)
    assert run(x, y, out) == 0 and np.array_equal(out, x + y)
    out[...] = 0
    assert call([code, 0, id(x) + off, id(y) + off, id(out) + off]) == 0
    assert np.array_equal(out, x + y)
    for field in (-1, 65, off + (1 << 40)):
        out[...] = 7
        assert call([code, field, id(x), id(y), id(out)]) == EINVAL, field
        assert (out == 7).all()
    cases = {
        "other shape": (x, y.reshape(4, 3)),
        "other ndim": (x, y.ravel()),
        "broadcast": (x, y[:1]),
        "F order": (np.asfortranarray(x), y),
        "strided": (np.ones((3, 8), np.float32)[:, ::2], y),
        "y of another dtype": (x, y.astype(np.float64)),
        "y byte-swapped": (x, y.astype(">f4")),
        "y int32": (x, y.astype(np.int32)),
    }
    for what, (a, b) in cases.items():
        o = np.full((3, 4), 7, np.float32)
        assert run(a, b, o) == _ffi.ELAYOUT, what
        assert (o == 7).all(), what
    o = np.full((3, 4), 7, np.float64)
    assert run(x, y, o) == _ffi.ELAYOUT and (o == 7).all()  # out of another dtype
    ro = np.zeros((3, 4), np.float32)
    ro.flags.writeable = False
    assert run(x, y, ro) == _ffi.ELAYOUT and (ro == 0).all()
    raw = np.zeros(12 * 4 + 1, np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(3, 4)
    assert run(x, y, misaligned) == _ffi.ELAYOUT and (raw == 0).all()
    assert call([code & ~REFS, 12, addr(x), addr(y), addr(out)]) == EINVAL  # needs REFS
    out[...] = 7
    assert call([OPS["sum"] | REFS | CONTIG | ARRAYS, off, id(x), 0, id(out), -1, 1]) == EINVAL
    assert (out == 7).all()  # a reduction takes no ARRAYS call


@pytest.mark.skipif(not _ffi.CALL_ARRAYS, reason="NumPy's array layout not checked here")
@pytest.mark.parametrize("dtype", DTYPES)
def test_an_arrays_call_with_a_scalar_y_checks_x_and_out(dtype):
    """RAPTORS_CALL_ARRAYS with SCALAR_Y and Y_VALUE (the scale and x + 1.5 fast paths): x
    and out are the arrays checked (one shape and dtype object, C-contiguous, aligned, out
    writeable), y the Y word's value; a scalar y given by address is refused."""
    off = _ffi.DATA_OFFSET
    code = OPS["scale"] | DTYPE_BITS[dtype] | REFS | CONTIG | ARRAYS | SCALAR_Y | Y_VALUE
    factor = value_word(-1.25, dtype, 3.0)

    def run(x, out):
        return call([code, off, id(x), factor, id(out)])

    x = np.arange(12, dtype=dtype).reshape(3, 4)
    out = np.zeros((3, 4), dtype)
    assert run(x, out) == 0 and np.array_equal(out, x * dtype(-1.25))
    assert run(x, x) == 0 and np.array_equal(x, out)  # in place
    x = np.arange(12, dtype=dtype).reshape(3, 4)
    other = np.float64 if dtype == np.float32 else np.float32
    raw = np.zeros(12 * x.itemsize + 1, np.uint8)
    readonly = np.zeros((3, 4), dtype)
    readonly.flags.writeable = False
    cases = {
        "x F order": (np.asfortranarray(x), np.zeros((3, 4), dtype)),
        "x strided": (np.ones((3, 8), dtype)[:, ::2], np.zeros((3, 4), dtype)),
        "out of another shape": (x, np.zeros((4, 3), dtype)),
        "out of another ndim": (x, np.zeros(12, dtype)),
        "out of another dtype": (x, np.zeros((3, 4), other)),
        "out byte-swapped": (x, np.zeros((3, 4), np.dtype(dtype).newbyteorder())),
        "out F order": (x, np.zeros((3, 4), dtype, order="F")),
        "out read-only": (x, readonly),
        "out misaligned": (x, raw[1:].view(dtype).reshape(3, 4)),
    }
    for what, (a, o) in cases.items():
        before = o.copy()
        assert run(a, o) == _ffi.ELAYOUT, what
        assert np.array_equal(o, before) and (raw == 0).all(), what
    out[...] = 7
    cell = np.array(2.0, dtype)
    assert call([code & ~Y_VALUE, off, id(x), addr(cell), id(out)]) == EINVAL
    assert (out == 7).all()
