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
def test_binary_ref_refuses_partial_overlap(dtype):
    f = getattr(lib, f"raptors_binary_{SUFFIX[dtype]}_ref")
    f.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    x = np.arange(20, dtype=dtype)
    before = x.copy()
    p = [ctypes.c_void_p(addr(x)), ctypes.c_void_p(addr(x[1:]))]
    rc = f(0, ctypes.addressof(p[0]), ctypes.addressof(p[0]), ctypes.addressof(p[1]), 19)
    assert rc == EOVERLAP
    assert x.tobytes() == before.tobytes()
    rc = f(0, ctypes.addressof(p[0]), ctypes.addressof(p[0]), ctypes.addressof(p[0]), 20)
    assert rc == 0 and np.array_equal(x, before + before)  # in place is allowed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("op", [_ffi.SUM, _ffi.MEAN])
def test_reduce_matches_numpy(dtype, axis, op):
    x = np.random.default_rng(3).standard_normal((300, 200)).astype(dtype)[:, ::-1]
    want = (np.sum if op == _ffi.SUM else np.mean)(x, axis=None if axis < 0 else axis)
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


def test_packed_calls_check_their_block():
    blk = _ffi.packed_block()
    x = np.ones((3, 4), np.float32)
    y = np.ones(5, np.float32)  # does not broadcast with (3, 4)
    out = np.full((3, 4), 7.0, np.float32)
    words = [0, 2, addr(x), addr(y), addr(out), 2, 1, 3, 4, 3, 4, 16, 4, 5, 4, 16, 4]
    blk.args[: len(words)] = words
    assert _ffi.binary_packed(blk.addr) == EINVAL
    blk.args[0] = 7  # no such dtype
    assert _ffi.binary_packed(blk.addr) == EINVAL
    assert _ffi.binary_packed(None) == EINVAL
    assert _ffi.reduce_packed(None) == EINVAL
    assert (out == 7).all()
