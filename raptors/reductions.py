"""Add-reductions: sum and mean (NumPy's np.sum and np.mean), bit for bit.

libraptors adds in NumPy 2.4's own order -- pairwise in memory order, buffered chunks
for views that do not coalesce (whose size follows ``np.getbufsize()``), sequential
along a strided axis -- and divides a mean in double precision, as NumPy does.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _ffi, _fpe, _numpy_version, _warn
from ._inputs import refuse_overrides

__all__ = ["mean", "sum"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_ndarray, _empty, _id = np.ndarray, np.empty, id
_AxisError = np.exceptions.AxisError


def _array(x: Any, fname: str) -> tuple[np.ndarray, int]:
    """x as a native float32/float64 array, and the call flag that says NumPy
    would have reduced it through its buffer (a byte-swapped input is cast)."""
    if type(x) is not _ndarray:
        refuse_overrides(x, fname, "input")
    a = x if type(x) is _ndarray else np.asarray(x)
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize in (4, 8):
        if dt.isnative:
            return a, 0
        return _native_copy(a), _ffi.CALL_BUFFERED
    raise TypeError(f"raptors.{fname} supports float32 and float64 arrays only, got dtype {dt}")


def _native_copy(a: np.ndarray) -> np.ndarray:
    """The values of a byte-swapped array in native byte order, laid out like a: NumPy's
    order of additions follows the layout (a compact copy would coalesce where the view
    does not). Strides that are not whole elements (elements overlapping in memory) are
    scaled by the itemsize: the same order of axes and the same coalescing, but room for
    every element."""
    native = a.dtype.newbyteorder("=")
    if a.size == 0:
        return a.astype(native)
    scale = 1 if all(s % a.itemsize == 0 for s in a.strides) else a.itemsize
    strides = [s * scale for s in a.strides]
    lo, hi = 0, a.itemsize  # the byte span of the copy, from its first element
    for n, s in zip(a.shape, strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    buf = np.empty(hi - lo, np.uint8)
    c = np.ndarray(a.shape, native, buffer=buf, offset=-lo, strides=strides)
    c[...] = a
    return c


def _axis(axis: Any, ndim: int, fname: str) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, (bool, np.bool_, tuple)):
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


_EMPTY_MEAN = _numpy_version.empty_mean_message()


def _empty_mean_warning(divides: bool, scalar: bool) -> None:
    """NumPy's warnings for a mean over no elements, word for word: always "Mean of empty
    slice", and the invalid 0/0 division (as np.errstate says) when there is a result to
    divide -- a "scalar divide" when the result is a scalar."""
    _warn.warn(_EMPTY_MEAN)
    if not divides:
        return
    mode = np.geterr()["invalid"]
    message = f"invalid value encountered in {'scalar divide' if scalar else 'divide'}"
    if mode == "raise":
        raise FloatingPointError(message)
    if mode != "ignore":
        _warn.warn(message)


# The call protocol's names the fast path uses (see raptors/_ffi.py).
from ._ffi import ALL_AXES as _ALL_AXES  # noqa: E402
from ._ffi import CALL_ADDRESSING as _REFS  # noqa: E402
from ._ffi import DTYPE_CODES as _DTYPE_CODES  # noqa: E402
from ._ffi import FAST_WORDS as _FAST  # noqa: E402
from ._ffi import address as _address  # noqa: E402
from ._ffi import call as _call  # noqa: E402
from ._ffi import thread_state as _TLS  # noqa: E402

_getbufsize = np.getbufsize
_OFF: int = _ffi.DATA_OFFSET or 0  # used only where _REFS is set
_CODE32, _CODE64 = _DTYPE_CODES["float32"], _DTYPE_CODES["float64"]
_DTYPE_CODE = {_F32: _CODE32, _F64: _CODE64}  # by dtype: dtype.name is slow
_MEAN = _ffi.OPS["mean"]


def _make(fname: str) -> Any:
    op = _ffi.OPS[fname]
    contig = _REFS | _ffi.CALL_CONTIG | op

    def reduce(x: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
        # Fast path: all of a C-contiguous native float32/float64 ndarray.
        if axis is None and not keepdims and type(x) is _ndarray and _REFS:
            dt = x.dtype
            flags = x.flags  # misaligned data is summed as NumPy's buffer does: general path
            if (dt is _F32 or dt is _F64) and flags.c_contiguous and flags.aligned and x.size:
                res = _empty((), dt)
                blk = _TLS.block
                blk.args[_FAST] = [
                    contig | (_CODE64 if dt is _F64 else _CODE32),
                    x.size,
                    _id(x) + _OFF,
                    0,
                    _id(res) + _OFF,
                    _ALL_AXES,
                    1,
                ]
                rc = _call(blk.addr)
                if rc:
                    _fpe.done(rc, fname, "reduce")
                return res[()]
        return _general(op, fname, x, axis, keepdims)

    reduce.__name__ = reduce.__qualname__ = fname
    return reduce


def _general(op: int, fname: str, x: Any, axis: Any, keepdims: bool) -> Any:
    a, buffered = _array(x, fname)
    k = _axis(axis, a.ndim, fname)
    dtype = a.dtype
    shape = a.shape
    if k is None:
        out = _empty((), dtype)
        out_strides: tuple[int, ...] = (0,) * a.ndim
        count = a.size
    else:
        out = _empty(shape[:k] + shape[k + 1 :], dtype)
        out_strides = out.strides[:k] + (0,) + out.strides[k:]
        count = shape[k]
    if op == _MEAN and count == 0:
        # NumPy divides a float64 scalar by its scalar path ("scalar divide"), a float32
        # one (promoted by the intp count) by the ufunc ("divide").
        scalar = out.ndim == 0 and not (keepdims and a.ndim) and dtype == _F64
        _empty_mean_warning(out.size > 0, scalar)
    blk = _TLS.block
    code = op | _DTYPE_CODE[dtype] | buffered
    x_operand = (_address(a), shape, a.strides)
    axis_word = _ALL_AXES if k is None else 1 << k
    out_operand = (_address(out), out_strides)
    _ffi.encode(blk, code, shape, x_operand, None, out_operand, axis_word, _getbufsize())
    rc = _call(blk.addr)
    if rc < 0 or (rc and count):  # (a mean of nothing: its 0/0 was answered above)
        _fpe.done(rc, fname, "reduce")
    if keepdims and a.ndim:
        return out.reshape(tuple(1 if k is None or d == k else n for d, n in enumerate(shape)))
    return out if out.ndim else out[()]


sum = _make("sum")
sum.__doc__ = """Sum of the elements of x, over all axes or one; equal to ``np.sum`` bit for bit.

    x: float32/float64 array or array-like, any layout (C, Fortran, transposed,
    sliced, negative strides, N-d). axis: None or one int (negative counts from the
    end). Returns a NumPy scalar of x's dtype for axis=None (without keepdims), else
    an array. Errors as NumPy's: another dtype ``TypeError``, an axis out of range
    ``numpy.exceptions.AxisError``.
"""


mean = _make("mean")
mean.__doc__ = """Arithmetic mean, as :func:`sum` (equal to ``np.mean`` bit for bit).

    The sum is taken in x's dtype in NumPy's order and divided by the count in
    double precision, then rounded to x's dtype, as NumPy does. The mean of no
    elements is NaN with NumPy's RuntimeWarnings ("Mean of empty slice").
"""
