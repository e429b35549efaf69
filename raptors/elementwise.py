"""Element-wise binary operations: add, subtract, multiply (NumPy's ufuncs of the same names).

Broadcasting, result dtype, ``out=`` and overlap follow NumPy; the arithmetic runs in
libraptors, one IEEE operation per element, so results equal NumPy's bit for bit.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _ffi

__all__ = ["add", "multiply", "subtract"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_NAMES = {_F32: "float32", _F64: "float64"}
_ndarray, _empty, _asarray, _id = np.ndarray, np.empty, np.asarray, id
_DATA_OFFSET = _ffi.DATA_OFFSET
_REF = _ffi.binary_ref
# New arrays of at least this many bytes come from libraptors' buffer pool (see api.py).
_POOL_MIN_BYTES = 4 << 20


class _Weak:
    """A Python int/float operand: NumPy 2 (NEP 50) gives it the other operand's dtype."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value


def _operand(v: Any, fname: str) -> np.ndarray | _Weak:
    if isinstance(v, (int, float)) and not isinstance(v, np.generic):
        return _Weak(v)  # bool is an int here, as in NumPy
    a = v if type(v) is _ndarray else np.asarray(v)
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize in (4, 8):
        return a if dt.isnative else a.astype(dt.newbyteorder("="))
    if isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real):
        kind = "complex"
    else:
        kind = f"dtype {dt}"
    raise TypeError(
        f"raptors.{fname} supports float32 and float64 arrays (and real Python scalars), got {kind}"
    )


def _strides_to(a: np.ndarray, shape: tuple[int, ...]) -> list[int]:
    """a's byte strides broadcast to shape (0 along the axes it is stretched over)."""
    pad = len(shape) - a.ndim
    return [
        0 if k < pad or a.shape[k - pad] == 1 and shape[k] != 1 else a.strides[k - pad]
        for k in range(len(shape))
    ]


def _layout(
    shape: tuple[int, ...], xs: list[int], ys: list[int], os: list[int], itemsize: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Drop length-1 axes, put the smallest output stride innermost, merge axes that
    are one run for all three arrays. Element-wise work allows any order."""
    dims = sorted(
        ((n, a, b, c) for n, a, b, c in zip(shape, xs, ys, os) if n != 1),
        key=lambda d: (abs(d[3]), abs(d[1]), abs(d[2])),
        reverse=True,
    )
    merged: list[list[int]] = []
    for n, a, b, c in dims:
        if merged:
            m = merged[-1]
            if m[1] == a * n and m[2] == b * n and m[3] == c * n:
                m[0] *= n
                m[1], m[2], m[3] = a, b, c
                continue
        merged.append([n, a, b, c])
    if not merged:
        merged = [[1, itemsize, itemsize, itemsize]]
    return (
        [m[0] for m in merged],
        [m[1] for m in merged],
        [m[2] for m in merged],
        [m[3] for m in merged],
    )


def _same_view(a: np.ndarray, a_strides: list[int], out: np.ndarray) -> bool:
    return (
        a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
        and list(out.strides) == a_strides
    )


def _check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype, fname: str) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"raptors.{fname}: out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(
            f"raptors.{fname}: out has dtype {out.dtype}, expected {dtype} (the result's dtype)"
        )
    if not out.flags.writeable:
        raise ValueError(f"raptors.{fname}: out is read-only")
    if out.size > 1 and any(s == 0 and n > 1 for s, n in zip(out.strides, out.shape)):
        raise ValueError(f"raptors.{fname}: out has overlapping elements (a zero stride)")
    return out


def _binary(op: int, fname: str, x: Any, y: Any, out: Any) -> Any:
    # Fast path: two C-contiguous native float32/float64 ndarrays of one shape and
    # dtype, out None or the same simple case (in place included).
    if type(x) is _ndarray and type(y) is _ndarray and _DATA_OFFSET is not None:
        dt = x.dtype
        if (
            y.dtype is dt
            and (dt is _F32 or dt is _F64)
            and x.shape == y.shape
            and x.flags.c_contiguous
            and y.flags.c_contiguous
        ):
            fn = _REF[_NAMES[dt]]
            if out is None:
                nbytes = x.nbytes
                if nbytes >= _POOL_MIN_BYTES:
                    o = _asarray(_ffi.block(x.shape, dt.str, None, nbytes))
                else:
                    o = _empty(x.shape, dt)
                fn(op, _id(x) + _DATA_OFFSET, _id(y) + _DATA_OFFSET, _id(o) + _DATA_OFFSET, x.size)
                return o if o.ndim else o[()]
            if (
                type(out) is _ndarray
                and out.dtype is dt
                and out.flags.carray
                and out.shape == x.shape
                and fn(
                    op, _id(x) + _DATA_OFFSET, _id(y) + _DATA_OFFSET, _id(out) + _DATA_OFFSET, x.size
                )
                == 0
            ):
                return out
            # A partial overlap (nothing written) or another out: the general path.
    return _binary_general(op, fname, x, y, out)


def _binary_general(op: int, fname: str, x: Any, y: Any, out: Any) -> Any:
    a, b = _operand(x, fname), _operand(y, fname)
    if isinstance(a, _Weak) and isinstance(b, _Weak):
        a, b = np.asarray(a.value, _F64), np.asarray(b.value, _F64)
    if isinstance(a, _Weak):
        assert isinstance(b, np.ndarray)
        dtype = b.dtype
        a = np.asarray(dtype.type(a.value))
    elif isinstance(b, _Weak):
        dtype = a.dtype
        b = np.asarray(dtype.type(b.value))
    else:
        dtype = _F64 if _F64 in (a.dtype, b.dtype) else _F32
    # Exact widening of a float32 operand to a float64 computation (as NumPy's loop).
    if a.dtype != dtype:
        a = a.astype(dtype)
    if b.dtype != dtype:
        b = b.astype(dtype)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
        if out is not None and isinstance(out, np.ndarray):
            shape = np.broadcast_shapes(shape, out.shape)
            if shape != out.shape:
                raise ValueError
    except ValueError:
        shapes = [a.shape, b.shape] + ([out.shape] if isinstance(out, np.ndarray) else [])
        raise ValueError(
            f"raptors.{fname}: operands could not be broadcast together with shapes "
            + " ".join(str(s) for s in shapes)
        ) from None
    given = out is not None
    if given:
        out = _check_out(out, shape, dtype, fname)
    else:
        full = [v for v in (a, b) if v.shape == shape and v.ndim > 1]
        fortran = bool(full) and all(v.flags.f_contiguous and not v.flags.c_contiguous for v in full)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes >= _POOL_MIN_BYTES and not fortran:
            out = _asarray(_ffi.block(shape, dtype.str, None, nbytes))
        else:
            out = np.empty(shape, dtype, order="F" if fortran else "C")
    xs, ys = _strides_to(a, shape), _strides_to(b, shape)
    if given:
        # An input that shares memory with out, other than as the very same view, is
        # read from a copy first: the result is as if the inputs were copied (NumPy).
        if np.may_share_memory(a, out) and not _same_view(a, xs, out):
            a = a.copy()
            xs = _strides_to(a, shape)
        if np.may_share_memory(b, out) and not _same_view(b, ys, out):
            b = b.copy()
            ys = _strides_to(b, shape)
    if out.size:
        dims, dxs, dys, dos = _layout(shape, xs, ys, list(out.strides), dtype.itemsize)
        rc = _ffi.binary_strided(
            _NAMES[dtype],
            op,
            dims,
            a.__array_interface__["data"][0],
            dxs,
            b.__array_interface__["data"][0],
            dys,
            out.__array_interface__["data"][0],
            dos,
        )
        if rc != 0:  # unreachable for arrays NumPy built: checked above
            raise RuntimeError(f"raptors: libraptors returned error {rc}")
    if not given and out.ndim == 0:
        return out[()]
    return out


def add(x: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """``x + y`` element-wise, with NumPy's broadcasting; equal to ``np.add`` bit for bit.

    x, y: float32/float64 arrays, array-likes or real scalars (a Python int or float
    takes the other operand's dtype; float32 with float64 gives float64). out: a
    writable ndarray of the result's shape and dtype (x or y itself for in place);
    an input that partially overlaps it is read as if copied first. Returns out, a
    new array, or a NumPy scalar when the result is 0-d. Errors as NumPy's: a dtype
    other than float32/float64 ``TypeError``; shapes that do not broadcast
    ``ValueError``; out of the wrong dtype ``TypeError``, read-only ``ValueError``.
    """
    return _binary(_ffi.ADD, "add", x, y, out)


def subtract(x: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """``x - y`` element-wise, as :func:`add` (equal to ``np.subtract`` bit for bit)."""
    return _binary(_ffi.SUBTRACT, "subtract", x, y, out)


def multiply(x: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """``x * y`` element-wise, as :func:`add` (equal to ``np.multiply`` bit for bit)."""
    return _binary(_ffi.MULTIPLY, "multiply", x, y, out)
