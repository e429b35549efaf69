"""Add-reductions: sum and mean (NumPy's np.sum and np.mean), bit for bit.

libraptors adds in NumPy 2.4's own order -- pairwise in memory order, buffered chunks
for views that do not coalesce (whose size follows ``np.getbufsize()``), sequential
along a strided axis -- and divides a mean in double precision, as NumPy does.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from . import _ffi

__all__ = ["mean", "sum"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_NAMES = {_F32: "float32", _F64: "float64"}
_ndarray, _empty, _id = np.ndarray, np.empty, id
_DATA_OFFSET = _ffi.DATA_OFFSET
_REF = _ffi.reduce_ref
_AxisError = np.exceptions.AxisError


def _array(x: Any, fname: str) -> np.ndarray:
    a = x if type(x) is _ndarray else np.asarray(x)
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize in (4, 8):
        return a if dt.isnative else a.astype(dt.newbyteorder("="))
    raise TypeError(f"raptors.{fname} supports float32 and float64 arrays only, got dtype {dt}")


def _axis(axis: Any, ndim: int, fname: str) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, (bool, np.bool_)) or isinstance(axis, tuple):
        raise TypeError(f"raptors.{fname}: axis must be None or one int, got {axis!r}")
    try:
        k = operator.index(axis)
    except TypeError:
        raise TypeError(
            f"raptors.{fname}: axis must be None or one int, got {type(axis).__name__}"
        ) from None
    if not -ndim <= k < ndim:
        raise _AxisError(k, ndim)
    return k % ndim


def _empty_mean_warning() -> None:
    warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=4)
    mode = np.geterr()["invalid"]
    if mode == "raise":
        raise FloatingPointError("invalid value encountered in divide")
    if mode != "ignore":
        warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=4)


def _reduce(op: int, fname: str, x: Any, axis: Any, keepdims: bool) -> Any:
    # Fast path: all of a C-contiguous native float32/float64 ndarray.
    if axis is None and not keepdims and type(x) is _ndarray and _DATA_OFFSET is not None:
        dt = x.dtype
        if (dt is _F32 or dt is _F64) and x.flags.c_contiguous and (x.size or op == _ffi.SUM):
            res = _empty((), dt)
            _REF[_NAMES[dt]](op, _id(x) + _DATA_OFFSET, x.size, _id(res) + _DATA_OFFSET)
            return res[()]
    a = _array(x, fname)
    k = _axis(axis, a.ndim, fname)
    dtype = a.dtype
    if k is None:
        out = _empty((), dtype)
        out_strides = None
        count = a.size
        axis_arg = _ffi.ALL_AXES
    else:
        out = _empty(a.shape[:k] + a.shape[k + 1 :], dtype)
        out_strides = list(out.strides[:k]) + [0] + list(out.strides[k:])
        count = a.shape[k]
        axis_arg = k
    if op == _ffi.MEAN and count == 0 and out.size:
        _empty_mean_warning()
    rc = _ffi.reduce_strided(
        _NAMES[dtype],
        op,
        a.shape,
        a.__array_interface__["data"][0],
        a.strides,
        axis_arg,
        out.__array_interface__["data"][0],
        out_strides,
        np.getbufsize(),
    )
    if rc != 0:
        if rc == -2:
            raise MemoryError(f"raptors.{fname}: out of memory for a scratch buffer")
        raise RuntimeError(f"raptors: libraptors returned error {rc}")
    if keepdims:
        return out.reshape(tuple(1 if k is None or d == k else n for d, n in enumerate(a.shape)))
    return out if out.ndim else out[()]


def sum(x: Any, axis: Any = None, *, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum of the elements of x, over all axes or one; equal to ``np.sum`` bit for bit.

    x: float32/float64 array or array-like, any layout (C, Fortran, transposed,
    sliced, negative strides, N-d). axis: None or one int (negative counts from the
    end). Returns a NumPy scalar of x's dtype for axis=None (without keepdims), else
    an array. Errors as NumPy's: another dtype ``TypeError``, an axis out of range
    ``numpy.exceptions.AxisError``.
    """
    return _reduce(_ffi.SUM, "sum", x, axis, keepdims)


def mean(x: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """Arithmetic mean, as :func:`sum` (equal to ``np.mean`` bit for bit).

    The sum is taken in x's dtype in NumPy's order and divided by the count in
    double precision, then rounded to x's dtype, as NumPy does. The mean of no
    elements is NaN with NumPy's RuntimeWarnings ("Mean of empty slice.").
    """
    return _reduce(_ffi.MEAN, "mean", x, axis, keepdims)
