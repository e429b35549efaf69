"""Element-wise binary operations: add, subtract, multiply (NumPy's ufuncs of the same names).

Broadcasting, result dtype, ``out=`` and overlap follow NumPy; the arithmetic runs in
libraptors, one IEEE operation per element (for int32/int64, the operation modulo 2^bits),
so results equal NumPy's bit for bit.

Dtypes: float32, float64, int32 and int64 are computed as they are. Operands of other
integer or bool dtypes, and mixed ones, are converted by NumPy's own cast (``astype``) to
the result dtype NumPy 2 gives them (NEP 50) when that is one of the four -- an int with a
float computes ``op((double)a, (double)b)`` in float64, as NumPy's loop -- else TypeError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _ffi, _fpe
from ._inputs import check_out, refuse_overrides

__all__ = ["add", "multiply", "subtract"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_I32, _I64 = np.dtype(np.int32), np.dtype(np.int64)
_ndarray, _empty, _asarray, _id = np.ndarray, np.empty, np.asarray, id
# The call protocol's names the fast paths use (see raptors/_ffi.py). _ARRAYS: the
# library reads the ndarrays themselves (CPython and NumPy's C ABI), else 0.
from ._ffi import CALL_ARRAYS as _ARRAYS  # noqa: E402
from ._ffi import DTYPE_CODES as _DTYPE_CODES  # noqa: E402
from ._ffi import ELAYOUT as _ELAYOUT  # noqa: E402
from ._ffi import EOVERLAP as _EOVERLAP  # noqa: E402
from ._ffi import HOLD_GIL_MAX_BYTES as _HOLD_GIL_MAX_BYTES  # noqa: E402
from ._ffi import address as _address  # noqa: E402
from ._ffi import call as _raptors_call  # noqa: E402
from ._ffi import call_packed as _call_packed  # noqa: E402
from ._ffi import call_packed_held as _call_held  # noqa: E402
from ._ffi import empty as _pooled  # noqa: E402
from ._ffi import pack_elementwise as _pack  # noqa: E402
from ._ffi import thread_state as _TLS  # noqa: E402

_OFF: int = _ffi.DATA_OFFSET or 0  # used only where _REFS is set
_CODE32, _CODE64 = _DTYPE_CODES["float32"], _DTYPE_CODES["float64"]
_ICODE32, _ICODE64 = _DTYPE_CODES["int32"], _DTYPE_CODES["int64"]
_F32_OVERFLOW = _fpe.F32_OVERFLOW
# By dtype (dtype.name is slow); equal dtypes hash alike ('q' and 'l' are both int64).
_DTYPE_CODE = {_F32: _CODE32, _F64: _CODE64, _I32: _ICODE32, _I64: _ICODE64}
# A contiguous call's CODE word but the operation, by dtype (the fast path's).
_CONTIG_CODE = {d: c | _ARRAYS | _ffi.CALL_CONTIG for d, c in _DTYPE_CODE.items()}
_SUPPORTED = "float32, float64, int32 and int64"
# New arrays of at least this many bytes come from libraptors' buffer pool (see api.py).
_POOL_MIN_BYTES = 4 << 20
# Python ints beyond this are not exactly a double: NumPy's own conversion decides them.
_EXACT_INT = 2**53
_WEAK = (float, int)


def _array(v: Any, fname: str) -> np.ndarray:
    """An operand as a native array of a float32/float64 or integer/bool dtype (NumPy
    scalars and 0-d arrays keep their dtype, as in NumPy 2), else TypeError."""
    if type(v) is not _ndarray:
        refuse_overrides(v, fname, "operand")
    a = v if type(v) is _ndarray else np.asarray(v)
    dt = a.dtype
    if (dt.kind == "f" and dt.itemsize in (4, 8)) or dt.kind in "iub":
        return a if dt.isnative else a.astype(dt.newbyteorder("="))
    raise TypeError(
        f"raptors.{fname} supports {_SUPPORTED} arrays (and real Python scalars), "
        f"got {'complex' if dt.kind == 'c' else f'dtype {dt}'}"
    )


def _supported(result: np.dtype, fname: str, *operands: Any) -> np.dtype:
    """NumPy's result dtype as one of the four computed, else TypeError naming them."""
    for dt in (_F32, _F64, _I32, _I64):
        if result == dt:
            return dt
    given = " and ".join(
        str(v.dtype) if isinstance(v, np.ndarray) else type(v).__name__ for v in operands
    )
    raise TypeError(
        f"raptors.{fname}: {given} give {result} in NumPy; raptors.{fname} computes "
        f"{_SUPPORTED} results only"
    )


def _int_value(value: Any, dtype: np.dtype) -> int:
    """A Python int or bool in an int32/int64 computation: NumPy's OverflowError (and
    words) when it does not fit."""
    return int(dtype.type(value))


def _is_weak(v: Any) -> bool:
    """A Python int or float (bool included): NEP 50 gives it the other operand's dtype."""
    return isinstance(v, _WEAK) and not isinstance(v, np.generic)


def _broadcast_shape(fname: str, arrays: tuple[np.ndarray, ...], out: Any) -> tuple[int, ...]:
    """NumPy's broadcast of the operands' shapes (and out's, which must be the result), by
    NumPy itself; libraptors broadcasts the strides and checks them again."""
    operands = (*arrays, out) if isinstance(out, np.ndarray) else arrays
    try:
        shape: tuple[int, ...] = np.broadcast(*operands).shape
    except ValueError:
        shape = ()
        ok = False
    else:
        ok = not isinstance(out, np.ndarray) or shape == out.shape
    if not ok:
        raise ValueError(
            f"raptors.{fname}: operands could not be broadcast together with shapes "
            + " ".join(str(a.shape) for a in operands)
        )
    return shape


def _new(shape: tuple[int, ...], dtype: np.dtype, fortran: bool) -> np.ndarray:
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes >= _POOL_MIN_BYTES and not fortran:
        return _pooled(shape, dtype, "C")
    return _empty(shape, dtype, order="F" if fortran else "C")


def _make(fname: str) -> Any:
    op = _ffi.OPS[fname]
    codes = {d: c | op for d, c in _CONTIG_CODE.items()}
    value_y = {  # by x's dtype: the CODE word with a Y word that is y's value, its packer
        dt: (codes[dt] | _ffi.CALL_SCALAR_Y | _ffi.CALL_Y_VALUE, _ffi.pack_scalar_y[dt.name])
        for dt in (_F32, _F64)
    }

    def binary(x: Any, y: Any, out: Any = None) -> Any:
        if type(x) is _ndarray and type(y) is _ndarray and _ARRAYS:
            # Fast path: x a native float32/float64 (or int32/int64) ndarray; libraptors
            # takes the call if y and out (a new one, or the same simple case, in place
            # included) are of x's shape and dtype (one dtype object), all C-contiguous and
            # aligned (ELAYOUT: not, nothing written).
            dt = x.dtype
            code = codes.get(dt)
            if code is not None:
                nbytes = x.nbytes
                if out is None:
                    shape = x.shape
                    o = _pooled(shape, dt, "C") if nbytes >= _POOL_MIN_BYTES else _empty(shape, dt)
                elif type(out) is _ndarray:
                    o = out
                else:
                    return _general(op, fname, x, y, out)
                rc = (_call_held if nbytes <= _HOLD_GIL_MAX_BYTES else _call_packed)(
                    _pack(code, _OFF, _id(x), _id(y), _id(o))  # (NDIM: the data field's offset)
                )
                if not rc:
                    return o if out is not None or shape else o[()]
                if rc > 0:
                    _fpe.report(rc, fname)
                    return o if out is not None or o.ndim else o[()]
                if rc != _EOVERLAP and rc != _ELAYOUT:
                    _ffi.check(rc, fname)
                # Not the simple case, or a partial overlap with out (nothing written):
                # the general path checks, broadcasts and copies as NumPy would.
        elif type(y) is float and type(x) is _ndarray and _ARRAYS:
            # Fast path: a native float32/float64 ndarray and a Python float, packed into the
            # block as its value (struct rounds it to float32 once, as NumPy's cast does);
            # libraptors takes the call on the terms above. A float beyond float32's range
            # takes the general path, which warns as NumPy does.
            dt = x.dtype
            fast = value_y.get(dt)
            if fast is not None and (dt is _F64 or -_F32_OVERFLOW < y < _F32_OVERFLOW):
                nbytes = x.nbytes
                if out is None:
                    o = _new(x.shape, dt, False)
                elif type(out) is _ndarray:
                    o = out
                else:
                    return _general(op, fname, x, y, out)
                rc = (_call_held if nbytes <= _HOLD_GIL_MAX_BYTES else _call_packed)(
                    fast[1](fast[0], _OFF, _id(x), y, _id(o))
                )
                if not rc or rc > 0:
                    if rc:
                        _fpe.report(rc, fname)
                    return o if out is not None or o.ndim else o[()]
                if rc != _EOVERLAP and rc != _ELAYOUT:
                    _ffi.check(rc, fname)
        return _general(op, fname, x, y, out)

    binary.__name__ = binary.__qualname__ = fname
    return binary


def _general(op: int, fname: str, x: Any, y: Any, out: Any) -> Any:
    weak_x, weak_y = _is_weak(x), _is_weak(y)
    if weak_x and weak_y:
        # Two Python scalars promote among themselves, as in NumPy: int with int gives
        # int64 (OverflowError beyond it), with a float float64, bool with bool bool.
        dt = _supported(np.result_type(x, y), fname, x, y)
        x, weak_x = np.asarray(x, dtype=dt), False
    if weak_x or weak_y:
        # A Python scalar is weak (NEP 50); its value goes to a cell of this thread's block.
        weak, a = (x, _array(y, fname)) if weak_x else (y, _array(x, fname))
        dtype = a.dtype
        if dtype.kind != "f":
            # An integer or bool array: NumPy's result dtype. A Python int or bool keeps
            # an int32/int64 array's dtype and must fit it (OverflowError, NumPy's words); a
            # Python float gives float64, the array converted to it as NumPy's loop does.
            dtype = _supported(np.result_type(dtype, weak), fname, a, weak)
            if a.dtype != dtype:
                a = a.astype(dtype)
            if dtype.kind == "i":
                return _run(op, fname, (a,), dtype, out, _int_value(weak, dtype), weak_x)
            weak = float(weak)
        # A float array: the scalar takes its dtype (converted by ctypes as by NumPy: a
        # double rounded once).
        elif isinstance(weak, int) and abs(weak) >= _EXACT_INT:
            b = np.asarray(dtype.type(weak))
            return _run(op, fname, (b, a) if weak_x else (a, b), dtype, out)
        return _run(op, fname, (a,), dtype, out, weak, weak_x)
    a, b = _array(x, fname), _array(y, fname)
    da, db = a.dtype, b.dtype
    if da.kind == "f" and db.kind == "f":
        dtype = _F64 if _F64 in (da, db) else _F32
    else:
        dtype = _supported(np.result_type(da, db), fname, a, b)
    # Each operand converted to the result dtype as NumPy's loop reads it: float32 widened
    # exactly, an integer to float64 (exact for int32, rounded to nearest beyond 2^53),
    # a narrower integer or bool widened exactly.
    if da != dtype:
        a = a.astype(dtype)
    if db != dtype:
        b = b.astype(dtype)
    return _run(op, fname, (a, b), dtype, out)


def _run(
    op: int,
    fname: str,
    arrays: tuple[np.ndarray, ...],
    dtype: np.dtype,
    out: Any,
    scalar: float | None = None,
    scalar_first: bool = False,
) -> Any:
    """out = x op y for the operand arrays (and a Python scalar, first or second)."""
    shapes = [a.shape for a in arrays]
    if (out is None or getattr(out, "shape", None) == shapes[0]) and shapes.count(shapes[0]) == len(
        shapes
    ):
        shape = shapes[0]
    else:
        shape = _broadcast_shape(fname, arrays, out)
    given = out is not None
    if given:
        out = check_out(out, fname, dtype)
    else:
        full = [a for a in arrays if a.shape == shape and a.ndim > 1]
        out = _new(shape, dtype, bool(full) and all(a.flags.fnc for a in full))
    if out.size:
        rc = _call(op, shape, arrays, dtype, out, scalar, scalar_first)
        if rc == _EOVERLAP:
            # An input shares memory with out other than as the very same view: read
            # it from a copy, so the result is as if the inputs were copied (NumPy).
            arrays = tuple(a.copy() if np.may_share_memory(a, out) else a for a in arrays)
            rc = _call(op, shape, arrays, dtype, out, scalar, scalar_first)
        _fpe.done(rc, fname, fname)
    if not given and out.ndim == 0:
        return out[()]
    return out


def _call(
    op: int,
    shape: tuple[int, ...],
    arrays: tuple[np.ndarray, ...],
    dtype: np.dtype,
    out: np.ndarray,
    scalar: float | None,
    scalar_first: bool,
) -> int:
    """One call; libraptors broadcasts each operand's own shape and strides."""
    blk = _TLS.block
    a = arrays[0]
    if scalar is None:
        xop = (_address(a), a.shape, a.strides)
        b = arrays[1]
        yop = (_address(b), b.shape, b.strides)
    else:  # a Python scalar: a 0-d operand in this thread's cell
        if dtype.kind == "i":  # an int (in range: checked by the caller)
            sop = (blk.int_scalar(int(scalar), dtype == _I64), (), ())
        else:
            if dtype != _F64 and abs(scalar) >= _F32_OVERFLOW:
                _fpe.cast_overflow(scalar)
            sop = (blk.scalar(scalar, dtype == _F64), (), ())
        aop = (_address(a), a.shape, a.strides)
        xop, yop = (sop, aop) if scalar_first else (aop, sop)
    code = op | _DTYPE_CODE[dtype]
    _ffi.encode(blk, code, shape, xop, yop, (_address(out), out.strides))
    rc: int = _raptors_call(blk.addr)
    return rc


add = _make("add")
add.__doc__ = """``x + y`` element-wise, with NumPy's broadcasting; equal to ``np.add`` bit for bit.

    x, y: float32/float64/int32/int64 arrays, array-likes or real scalars, with NumPy 2's
    result dtype (NEP 50): a Python int or float takes a float operand's dtype; with an
    int32/int64 array a Python int keeps its dtype and a Python float gives float64;
    float32 with float64, and any int with a float array, give float64; two Python ints
    give np.int64. Integers wrap modulo 2^bits. out: a writable ndarray of the result's
    shape and dtype (x or y itself for in place); an input that partially overlaps it is
    read as if copied first. Returns out, a new array, or a NumPy scalar when the result
    is 0-d. Errors as NumPy's: a result dtype other than float32/float64/int32/int64
    ``TypeError``; a Python int beyond an int operand's dtype ``OverflowError``; shapes
    that do not broadcast ``ValueError``; out of the wrong dtype ``TypeError``, read-only
    ``ValueError``.
"""
subtract = _make("subtract")
subtract.__doc__ = (
    """``x - y`` element-wise, as :func:`add` (equal to ``np.subtract`` bit for bit)."""
)
multiply = _make("multiply")
multiply.__doc__ = (
    """``x * y`` element-wise, as :func:`add` (equal to ``np.multiply`` bit for bit)."""
)
