"""Add-reductions: sum, mean, nansum and nanmean (NumPy's functions of the same names),
bit for bit.

Every dtype NumPy sums -- float32, float64, int8 ... uint64, bool -- with NumPy's keywords:
``axis`` (None, an int, a tuple, negatives), ``dtype=``, ``out=`` and ``keepdims``, and
NumPy's result dtypes. libraptors adds in NumPy 2.4's own order -- pairwise in memory order,
buffered pieces for views that do not coalesce or that NumPy casts (their size follows
``np.getbufsize()``), sequential along a strided axis -- converts as NumPy's cast buffer
does, adds integers exactly (wrapping as NumPy's do), and divides a mean in double
precision, as NumPy does. nansum and nanmean add in the order of NumPy's copy of the input
with NaN read as +0.0, reading the input once.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _ffi, _fpe, _numpy_version, _warn
from ._inputs import check_out, refuse_overrides

__all__ = ["mean", "nanmean", "nansum", "sum"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_ndarray, _empty, _id = np.ndarray, np.empty, id
_AxisError = np.exceptions.AxisError
_SUPPORTED = "float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool"
_INT64, _UINT64 = np.dtype(np.int64), np.dtype(np.uint64)


def _array(x: Any, fname: str) -> tuple[np.ndarray, int]:
    """x as a native array of a dtype libraptors reads, and the call flag that says NumPy
    would have reduced it through its cast buffer (a byte-swapped input)."""
    if type(x) is not _ndarray:
        refuse_overrides(x, fname, "input")
    a = x if type(x) is _ndarray else np.asarray(x)
    dt = a.dtype
    if dt in _SRC_CODE:  # (by dtype object: equal dtypes hash alike, byte order included)
        return a, 0
    if dt.kind in "fiub" and dt.newbyteorder("=") in _SRC_CODE:
        return _native_copy(a), _ffi.CALL_BUFFERED
    raise TypeError(
        f"raptors.{fname} supports arrays of {_SUPPORTED}, got "
        f"{'complex' if dt.kind == 'c' else f'dtype {dt}'}"
    )


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


def _axes(axis: Any, ndim: int, fname: str, mean: bool) -> tuple[int, ...]:
    """The reduced axes, sorted, as NumPy normalises them: None is all, an int or a tuple
    of ints (negatives count from the end); AxisError out of range, ValueError for a
    duplicate. (np.sum and np.nansum of a 0-d array take an int axis 0 or -1 too.)"""
    if axis is None:
        return tuple(range(ndim))
    if ndim == 0 and not mean and not isinstance(axis, (tuple, bool, np.bool_)):
        try:
            if operator.index(axis) in (0, -1):
                return ()
        except TypeError:
            pass
    items = axis if isinstance(axis, tuple) else (axis,)
    axes = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise TypeError(f"raptors.{fname}: axis must be None, an int or a tuple of ints")
        try:
            k = operator.index(item)
        except TypeError:
            raise TypeError(
                f"raptors.{fname}: axis must be None, an int or a tuple of ints, got "
                f"{type(item).__name__}"
            ) from None
        if not -ndim <= k < ndim:
            raise _AxisError(k, ndim)
        axes.append(k % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(axes))


def _default_sum_dtype(dt: np.dtype) -> np.dtype:
    """NumPy's add.reduce without dtype= and out=: bool and the integers narrower than intp
    add as intp (int64) or uintp (uint64); the rest in their own dtype."""
    if dt.kind == "b" or (dt.kind == "i" and dt.itemsize < 8):
        return _INT64
    if dt.kind == "u" and dt.itemsize < 8:
        return _UINT64
    return dt


def _sum_dtype(fname: str, x: np.dtype, dtype: Any, out: Any, mean: bool) -> np.dtype:
    """The dtype the additions run in, NumPy's rule: dtype= wins; else out='s promoted with
    x's; else the default (a mean of integers or bools: float64)."""
    t: np.dtype
    if dtype is not None:
        t = np.dtype(dtype)
    elif out is not None and isinstance(out, _ndarray):
        t = np.promote_types(out.dtype, x)
    elif mean:
        t = _F64 if x.kind in "biu" else x
    else:
        t = _default_sum_dtype(x)
    t = np.dtype(t.newbyteorder("="))
    if t.kind == "f" and t.itemsize in (4, 8):
        return t
    if t.kind in "iu" and not mean and x.kind != "f":
        return t
    what = "a mean" if mean else f"a sum of {x}"
    raise TypeError(
        f"raptors.{fname}: {what} in dtype {t} is not supported: the additions run in "
        f"float32 or float64{'' if mean else ', or an integer dtype for integer and bool input'}"
    )


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
_SUM_SHIFT: int = _ffi.PROTOCOL["sum_shift"]
_EMPTY_SLICE: int = _ffi.PROTOCOL["notes"]["NOTE_EMPTY_SLICE"]
_FP_BITS = sum(_ffi.PROTOCOL["fp_exceptions"].values())
_SUM_OP, _MEAN_OP, _COUNT_OP = _ffi.OPS["sum"], _ffi.OPS["mean"], _ffi.OPS["nancount"]
_NANSUM_OP = _ffi.OPS["nansum"]
# By dtype object (dtype.name is slow): each dtype's CODE bits as the input (native) and as
# the dtype of the sum, and the default sum dtype of each input for sum and mean.
_SRC_CODE = {np.dtype(n): c for n, c in _DTYPE_CODES.items()}
_SUM_CODE = {np.dtype(n): (i + 1) << _SUM_SHIFT for n, i in _ffi.DTYPE_IDS.items()}
_DEFAULT_T = {
    (d, m): _F64 if m and d.kind in "biu" else _default_sum_dtype(d)
    for d in _SRC_CODE
    for m in (False, True)
}


def _make(fname: str, op_name: str, mean: bool, nan: bool) -> Any:
    op = _ffi.OPS[op_name]
    contig = _REFS | _ffi.CALL_CONTIG | op

    def reduce(
        a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
    ) -> Any:
        # Fast path: all of a C-contiguous native float32/float64 ndarray, NumPy's defaults.
        if (
            axis is None
            and dtype is None
            and out is None
            and not keepdims
            and type(a) is _ndarray
            and _REFS
        ):
            dt = a.dtype
            flags = a.flags  # misaligned data is summed as NumPy's buffer does: general path
            if (dt is _F32 or dt is _F64) and flags.c_contiguous and flags.aligned and a.size:
                res = _empty((), dt)
                blk = _TLS.block
                blk.args[_FAST] = [
                    contig | (_CODE64 if dt is _F64 else _CODE32),
                    a.size,
                    _id(a) + _OFF,
                    0,
                    _id(res) + _OFF,
                    _ALL_AXES,
                    1,
                ]
                rc = _call(blk.addr)
                if rc:
                    _answer(rc, fname, 1)
                return res[()]
        return _general(op, fname, mean, nan, a, axis, dtype, out, keepdims)

    reduce.__name__ = reduce.__qualname__ = fname
    return reduce


def _answer(rc: int, fname: str, count: int) -> None:
    """A call's return code: NumPy's warnings for its FP exceptions (none for the 0 / 0 of a
    mean of nothing, answered before the call) and for a nanmean's empty slice."""
    if rc < 0:
        _ffi.check(rc, fname)
    if rc & _FP_BITS and count:
        _fpe.report(rc & _FP_BITS, "reduce")
    if rc & _EMPTY_SLICE:
        _warn.warn(_EMPTY_MEAN)


def _check_out(out: Any, fname: str, shape: tuple[int, ...], t: np.dtype) -> np.ndarray:
    o = check_out(out, fname, shape=shape)
    if not o.flags.aligned:
        # NumPy then copies out through its buffer, which cuts the sums otherwise.
        raise TypeError(f"raptors.{fname}: an out= whose elements are not aligned is not supported")
    od = o.dtype
    if od == t and od.isnative:
        return o
    if t.kind in "iu" and od.kind in "iu" and od.isnative:
        return o  # integer additions keep their low bits: summed in out's width, the same
    raise TypeError(
        f"raptors.{fname}: out of dtype {od} is not supported here: the additions run in {t} "
        f"and raptors writes them to an out of that dtype (pass dtype= or an out of dtype {t})"
    )


def _general(
    op: int,
    fname: str,
    mean: bool,
    nan: bool,
    x: Any,
    axis: Any,
    dtype: Any,
    out: Any,
    keepdims: bool,
    counted: bool = False,
) -> Any:
    """The reductions' one call into libraptors. ``counted`` (nansum of floats into a float
    dtype, no out): also the numbers each result added, in its dtype, from the same read --
    (sum, count) is returned."""
    a, cast = _array(x, fname)
    src = a.dtype
    if nan and src.kind != "f" and op != _COUNT_OP:
        op = _MEAN_OP if mean else _SUM_OP  # nan* of integers are sum and mean
    if nan and mean and dtype is not None and src.kind == "f" and np.dtype(dtype).kind != "f":
        raise TypeError("If a is inexact, then dtype must be inexact")  # NumPy's, checked first
    if type(axis) is int and a.ndim:  # (the common call, checked quickly)
        if not -a.ndim <= axis < a.ndim:
            raise _AxisError(axis, a.ndim)
        axes: tuple[int, ...] = (axis % a.ndim,)
    else:
        axes = _axes(axis, a.ndim, fname, mean)
    if dtype is None and out is None:
        t = _DEFAULT_T.get((src, mean)) or _sum_dtype(fname, src, dtype, out, mean)
    else:
        t = _sum_dtype(fname, src, dtype, out, mean)
    shape = a.shape
    if len(axes) == 1 and not keepdims:  # (one axis: the common call)
        k = axes[0]
        kept = [0] if a.ndim > 1 else []  # (only whether any axis is kept is used)
        rshape = shape[:k] + shape[k + 1 :]
        count = shape[k]
    else:
        kept = [d for d in range(a.ndim) if d not in axes]
        rshape = (
            tuple(1 if d in axes else n for d, n in enumerate(shape))
            if keepdims
            else tuple(shape[d] for d in kept)
        )
        count = 1
        for d in axes:
            count *= shape[d]
    if out is not None:
        given = _check_out(out, fname, rshape, t)
        target = given
        if np.may_share_memory(a, given):  # NumPy sums into a copy of an overlapping out
            target = np.empty_like(given)
        result_dtype = given.dtype
    else:
        given = None
        target = _empty(rshape, t)
        result_dtype = t
    if mean and count == 0 and not nan:
        # NumPy divides a float64 scalar by its scalar path ("scalar divide"), a float32
        # one (promoted by the intp count) by the ufunc ("divide").
        scalar = given is None and not (keepdims and a.ndim) and not kept and t == _F64
        _empty_mean_warning(target.size > 0, scalar)
    # out's strides on x's axes: 0 along the reduced ones.
    if len(axes) == 1 and not keepdims:
        k = axes[0]
        ts = target.strides
        out_strides: Any = ts[:k] + (0,) + ts[k:]
        mask = _ALL_AXES if a.ndim == 1 else 1 << k
        if mask >= 1 << 63:
            mask -= 1 << 64  # (the word is an int64)
    else:
        ostr = iter(target.strides)
        out_strides = []
        for d in range(a.ndim):
            if d in axes:
                out_strides.append(0)
                if keepdims:
                    next(ostr)
            else:
                out_strides.append(next(ostr))
        mask = 0  # the reduced axes, a bit each
        for d in axes:
            mask |= 1 << d
        if len(axes) == a.ndim:
            mask = _ALL_AXES
        elif mask >= 1 << 63:
            mask -= 1 << 64  # (the word is an int64)
    code = op | _SRC_CODE[src] | cast | _SUM_CODE[result_dtype]
    if given is not None:
        code |= _ffi.CALL_OUT_VOTES
    blk = _TLS.block
    counts = _empty(rshape, t) if counted else None
    _ffi.encode(
        blk,
        code,
        shape,
        (_address(a), shape, a.strides),
        None if counts is None else (_address(counts), (), ()),
        (_address(target), out_strides),
        mask,
        _getbufsize(),
    )
    rc = _call(blk.addr)
    if op == _COUNT_OP:
        rc &= ~_FP_BITS  # (a count's additions are not NumPy's: their exceptions are not either)
    if rc:
        _answer(rc, fname, count)
    if counts is not None:
        return (target, counts) if target.ndim else (target[()], counts[()])
    if given is not None:
        if target is not given:
            given[...] = target
        return given
    return target if target.ndim else target[()]


# Float counts are exact while every partial sum of ones is: up to 2**24 (float32), 2**53.
_EXACT_COUNT = {np.dtype(np.float32): 2**24, np.dtype(np.float64): 2**53}


def _count_dtype(x: Any, axis: Any, dtype: Any, fname: str) -> np.dtype | None:
    """The float dtype libraptors counts x's numbers in exactly as NumPy's sum of the mask
    does, or None: an input other than a native float32/float64 ndarray, another dtype, or
    more elements per result than the dtype counts exactly (NumPy's sum of ones rounds)."""
    t = np.dtype(dtype) if dtype is not None else None
    if type(x) is not _ndarray or x.dtype not in (_F32, _F64) or t not in _EXACT_COUNT:
        return None
    per_result = 1
    for d in _axes(axis, x.ndim, fname, False):
        per_result *= x.shape[d]
    return t if per_result <= _EXACT_COUNT[t] else None


def _nancount(x: np.ndarray, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """The numbers (not NaN) of a float array over axis, in float dtype= -- equal to
    ``np.sum(~np.isnan(x), axis, dtype, keepdims=keepdims)``, dask's nannumel, counted in one
    read of x -- or None where libraptors' count is not that (_count_dtype)."""
    t = _count_dtype(x, axis, dtype, "nancount")
    if t is None:
        return None
    return _general(_COUNT_OP, "nancount", False, True, x, axis, t, None, keepdims)


def _nansum_count(
    x: np.ndarray, axis: Any = None, dtype: Any = None, keepdims: bool = False
) -> Any:
    """(np.nansum(x, axis, dtype, keepdims=keepdims), _nancount(x, axis, dtype, keepdims)) as
    ndarrays, from one read of x -- dask's nanmean chunk -- or None where _nancount is None
    (the count would not be NumPy's)."""
    t = _count_dtype(x, axis, dtype, "nansum")
    if t is None:
        return None
    return _general(_NANSUM_OP, "nansum", False, True, x, axis, t, None, keepdims, counted=True)


sum = _make("sum", "sum", False, False)
sum.__doc__ = """Sum of the elements of a over the given axes; equal to ``np.sum`` bit for bit.

    a: an array or array-like of float32, float64, int8 ... uint64 or bool, any layout (C,
    Fortran, transposed, sliced, negative strides, N-d, byte-swapped, misaligned).
    axis: None (all), an int or a tuple of ints (negatives count from the end).
    dtype: the dtype of the additions and of the result: float32 or float64, or for integer
    and bool input an integer dtype (the sum wraps as NumPy's). Default as NumPy's: bool
    and integers narrower than 64 bits add as int64 (unsigned: uint64), floats in their own
    dtype. out: an ndarray of the result's shape, of the dtype of the additions (an integer
    sum also into any integer out: its low bits); returned. keepdims: as NumPy's.
    Returns a NumPy scalar when the result is 0-d and out is not given. Errors as NumPy's
    (``numpy.exceptions.AxisError``, ValueError for a duplicate axis or a wrong out shape);
    what Raptors does not support is a TypeError naming what it does.
"""

mean = _make("mean", "mean", True, False)
mean.__doc__ = """Arithmetic mean, as :func:`sum` (equal to ``np.mean`` bit for bit).

    The sum is taken in NumPy's order in the dtype of the additions (float64 for integer
    and bool input, else a's dtype, or dtype=: float32 or float64) and divided by the count
    in double precision, then rounded to that dtype, as NumPy does. The mean of no elements
    is NaN with NumPy's RuntimeWarnings ("Mean of empty slice").
"""

nansum = _make("nansum", "nansum", False, True)
nansum.__doc__ = """Sum treating NaN as zero; equal to ``np.nansum`` bit for bit.

    Keywords as :func:`sum`. NumPy sums a copy of a with NaN replaced by +0.0, laid out in
    a's memory order ('K'); raptors reads a once, in that copy's order, with no copy.
    Integer and bool input: as :func:`sum`. An all-NaN slice sums to +0.0.
"""

nanmean = _make("nanmean", "nanmean", True, True)
nanmean.__doc__ = """Mean ignoring NaN; equal to ``np.nanmean`` bit for bit.

    Keywords as :func:`mean` (for float input dtype= must be a float dtype, as NumPy says).
    The sum is :func:`nansum`'s, divided in double precision by the count of numbers. An
    all-NaN slice gives NaN (the platform's default NaN, as NumPy's 0 / 0) and one
    RuntimeWarning "Mean of empty slice" per call. Integer and bool input: as :func:`mean`.
"""
