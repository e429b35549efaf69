"""Fuzz raptors.add, subtract, multiply, sum, mean, nansum and nanmean against NumPy.

The companion of fuzz_scale.py (whose generators of values, shapes, layouts and
guarded buffers it uses). Each case picks an operation, then:

  * add/subtract/multiply: two operands -- arrays of every layout (sliced,
    transposed, negative, unaligned, zero/overlapping strides, byte-swapped),
    Python and NumPy scalars, 0-d arrays, lists, unsupported dtypes -- in shapes
    that broadcast (same, fewer axes, length-1 axes, bigger) or do not, and an
    `out` of every kind (none, new, strided in a guarded buffer, an operand
    itself, a view overlapping an operand, and wrong ones: dtype, shape,
    read-only, zero stride, not an ndarray);
  * sum/mean/nansum/nanmean: one array of every layout and of every dtype they
    take (float32, float64, every integer width, bool; NaNs among the floats), an
    axis (None, any int, a tuple, out of range, a duplicate, a bool), dtype=,
    keepdims, and np.setbufsize() (NumPy's order follows it).

The call must either return NumPy's answer bit for bit (any NaN matching any
NaN; a NumPy scalar where NumPy gives one), writing nothing but out's elements
and changing no input that is not out; or raise an exception NumPy's kind for a
defect of the case (TypeError, ValueError, OverflowError, AxisError), writing
nothing at all.

One case in ten calls the C API directly (raptors_binary_f32/f64 and
raptors_reduce_f32/f64 of raptors.h, through the library raptors._ffi loaded)
with layouts the Python layer never passes them (length-1 and unsorted
dimensions, zero and overlapping input strides, unaligned elements).

Seeds, budgets, replaying one case and --trace: tests/fuzz_driver.py
(python tests/fuzz_ops.py --help).
"""

from __future__ import annotations

import ctypes
import sys
import warnings

import fuzz_driver  # tests/ is this script's directory
import fuzz_scale as fs
import numpy as np

import raptors

OPS = ["add", "subtract", "multiply", "sum", "mean", "nansum", "nanmean"]
#: What the reductions read (besides the floats): every integer width and bool.
REDUCE_INTS = [np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                     np.uint32, np.uint64, np.bool_)]  # fmt: skip
BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply}
BUFSIZES = [16, 32, 48, 1024, 4096, 8192, 8192, 8192, 1 << 16]
AxisError = np.exceptions.AxisError
# raptors.h: the operation numbers and "every axis".
C_OPS = {"add": 0, "subtract": 1, "multiply": 2, "sum": 0, "mean": 1}
C_ALL_AXES = -1


def _sample(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _copy(v):
    return np.array(v, copy=True) if isinstance(v, np.ndarray) else v


def _changed(before, after_base):
    return before is not None and not np.array_equal(before, after_base)


# ---- operands -------------------------------------------------------------------------


def partner_shape(rng, shape, notes):
    """A shape that broadcasts with `shape` (mostly), or one that does not."""
    r = rng.random()
    size = int(np.prod(shape, dtype=np.int64))
    if r < 0.30 or not shape:
        out = shape if r < 0.30 else ()
    elif r < 0.50:
        out = shape[int(rng.integers(0, len(shape) + 1)) :]
    elif r < 0.75:
        out = tuple(1 if rng.random() < 0.5 else n for n in shape)
    elif r < 0.85 and size < 20_000 and len(shape) < 30:
        out = tuple(int(k) for k in rng.integers(1, 4, int(rng.integers(1, 3)))) + shape
    elif r < 0.92:
        out = ()
    else:
        big = [k for k, n in enumerate(shape) if n != 1]
        out = list(shape)
        if big:
            out[_sample(rng, big)] += 1
        else:
            out = [2] + out if len(out) < 30 else out
            out[-1] = 3 if shape and shape[-1] == 2 else 2
        out = tuple(out)
    notes.append(f"shape {out}")
    return tuple(out)


def make_operand(rng, shape, notes, label):
    """(operand, its base buffer or None). Arrays of `shape` in random layouts mostly."""
    r = rng.random()
    notes.append(f"{label}:")
    if r < 0.72:
        dtype = _sample(rng, fs.SUPPORTED)
        notes.append(f"{dtype}")
        return fs.make_x(rng, shape, dtype, notes)
    if r < 0.76:
        dtype = _sample(rng, fs.SWAPPED)
        notes.append(f"{dtype}")
        return fs.make_x(rng, shape, dtype, notes)
    if r < 0.80:
        return fs.make_unsupported(rng, shape, notes), None
    k = int(rng.integers(0, 12))
    f64 = fs.random_values(rng, np.float64, 1)[0]
    scalars = [
        lambda: float(f64),
        lambda: float(_sample(rng, list(fs.special_values(np.float64)))),
        lambda: int(rng.integers(-1000, 1000)),
        lambda: int(rng.integers(-(2**62), 2**62)) * int(rng.integers(1, 2**40)),
        lambda: 10 ** int(rng.integers(300, 400)),  # OverflowError past float64
        lambda: bool(rng.random() < 0.5),
        lambda: np.float32(fs.random_values(rng, np.float32, 1)[0]),
        lambda: np.float64(f64),
        lambda: np.array(f64, dtype=_sample(rng, fs.SUPPORTED)),
        lambda: [float(v) for v in fs.random_values(rng, np.float64, shape[-1] if shape else 1)],
        lambda: complex(1, 2),
        lambda: _sample(rng, [np.int64(3), np.float16(1.5), "2.5", None]),
    ]
    v = scalars[k]()
    notes.append(f"{v!r}"[:80] + f" ({type(v).__name__})")
    return v, None


def operand_defects(v):
    """Exception types an operand allows: TypeError for a dtype other than
    float32/float64, OverflowError for a Python int no float holds."""
    if isinstance(v, bool):
        return set()
    if isinstance(v, int) and not isinstance(v, np.generic):
        return {OverflowError} if abs(v) >= 2**1024 else set()
    if isinstance(v, float):
        return set()
    if isinstance(v, np.ndarray) and type(v) is not np.ndarray:
        return {TypeError}  # a subclass keeps its own rules under NumPy: refused
    try:
        dt = np.asarray(v).dtype
    except Exception:
        return {TypeError}
    return set() if dt.kind == "f" and dt.itemsize in (4, 8) else {TypeError}


def operand_shape(v):
    return np.shape(v) if not isinstance(v, (int, float)) else ()


# ---- out --------------------------------------------------------------------------------


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def make_out(rng, shape, dtype, operands, notes):
    """(out, defects, out_base) for a result of `shape` and `dtype`."""
    r = rng.random()
    if (plain := fs.plain_out(rng, r, shape, dtype, notes, raw_below=0.62)) is not None:
        return plain
    if r < 0.75:
        k = int(rng.integers(0, 2))
        v, v_base = operands[k]
        if isinstance(v, np.ndarray) and v.shape == shape and v.dtype.kind == "f":
            notes.append(f"out:operand {k} itself")
            defects = fs.unwritable(v)
            if fs.native(v.dtype) != dtype:
                defects.add(TypeError)
            elif v.dtype != dtype:
                defects |= {TypeError, fs.MaySucceed}  # the other byte order: NumPy accepts
            return v, defects, None
        if v_base is not None and int(np.prod(shape, dtype=np.int64)):
            strides = fs.dense_strides(rng, shape, dtype.itemsize)
            lo, nbytes = fs.span(shape, strides, dtype.itemsize)
            if nbytes <= v_base.nbytes and (v_base.nbytes - nbytes) >= 0:
                start = int(rng.integers(0, v_base.nbytes - nbytes + 1)) - lo
                out = fs.view_in(v_base, shape, dtype, strides, start)
                notes.append(f"out:over operand {k}'s buffer strides={strides} start={start}")
                return out, set(), v_base
    w = int(rng.integers(0, 7))
    if w == 0:
        other = _sample(rng, [np.float16, np.int64, np.complex128, np.int32])
        other = _sample(rng, [other, np.float64 if dtype == np.float32 else np.float32])
        notes.append(f"out:wrong dtype {np.dtype(other)}")
        return np.empty(shape, other), {TypeError}, None
    if w == 1:
        # Shapes out cannot have: not the result broadcast to them (NumPy allows an
        # out bigger than the inputs' broadcast shape, not smaller or different).
        candidates = [shape + (2,), (2,) + shape[1:], shape[::-1], shape[:-1], (3,) + shape]
        bad = [c for c in candidates if len(c) <= 32 and not _broadcasts_to(shape, c)]
        if not bad:
            notes.append("out:None")
            return None, set(), None
        bad = _sample(rng, bad)
        notes.append(f"out:wrong shape {bad}")
        return np.empty(bad, dtype), {ValueError}, None
    if w == 2:
        return fs.read_only_out(shape, dtype, notes)
    if w == 3 and shape:
        return fs.zero_stride_out(shape, dtype, notes)
    if w == 4:
        obj = _sample(rng, [[0.0] * 3, (0.0,), 3.0, np.float64(0), "out"])
        notes.append(f"out:not an ndarray ({type(obj).__name__})")
        return obj, {TypeError}, None
    if w == 5:
        notes.append("out:ndarray subclass")
        return np.empty(shape, dtype).view(fs.Sub), set(), None
    notes.append("out:new")
    return np.empty(shape, dtype), set(), None


# ---- one binary case ---------------------------------------------------------------------


def run_binary(rng, op, notes, verbose):
    shape = fs.random_shape(rng)
    operands = [make_operand(rng, shape, notes, "x")]
    operands.append(make_operand(rng, partner_shape(rng, shape, notes), notes, "y"))
    if rng.random() < 0.5:
        operands.reverse()
        notes.append("(swapped)")
    (x, x_base), (y, y_base) = operands
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        x, x_base = fs.make_x(rng, (), _sample(rng, fs.SUPPORTED), notes)
        operands[0] = (x, x_base)
    defects = operand_defects(x) | operand_defects(y)
    try:
        rshape = np.broadcast_shapes(operand_shape(x), operand_shape(y))
    except ValueError:
        defects.add(ValueError)
        rshape = operand_shape(x)
    want = None
    if not defects:
        want = _quiet(BINARY[op], _copy(x), _copy(y))
        rdtype = np.asarray(want).dtype
    else:
        rdtype = np.dtype(np.float64)
    out, out_defects, out_base = make_out(rng, tuple(rshape), rdtype, operands, notes)
    may_succeed = fs.MaySucceed in out_defects and not defects
    defects |= out_defects - {fs.MaySucceed}

    copies = [_copy(x), _copy(y)]
    bases_before = [b.copy() if b is not None else None for b in (x_base, y_base, out_base)]
    out_before = np.array(out, copy=True) if isinstance(out, np.ndarray) else None
    desc = f"{op}: " + "; ".join(notes)
    if verbose:
        print(desc, flush=True)
    try:
        result = _quiet(getattr(raptors, op), x, y, out=out)
    except Exception as exc:
        if type(exc) not in defects:
            return (
                f"{desc}\n  raised {type(exc).__name__}: {exc}; allowed: "
                f"{sorted(t.__name__ for t in defects) or 'none (must succeed)'}"
            )
        if not str(exc):
            return f"{desc}\n  {type(exc).__name__} with an empty message"
        for before, base, name in zip(bases_before, (x_base, y_base, out_base), "xyo"):
            if _changed(before, base):
                return f"{desc}\n  the buffer of {name} changed although the call raised {exc!r}"
        if out_before is not None and not fs.same_bytes(out, out_before):
            return f"{desc}\n  out changed although the call raised {exc!r}"
        return None
    if defects and not may_succeed:
        return f"{desc}\n  returned, but must raise one of {sorted(t.__name__ for t in defects)}"
    if want is None:
        want = _quiet(BINARY[op], *copies)
    if out is not None:
        if result is not out:
            return f"{desc}\n  did not return out"
    elif isinstance(want, np.ndarray) != isinstance(result, np.ndarray):
        return f"{desc}\n  returned {type(result).__name__}, NumPy {type(want).__name__}"
    if msg := fs.bits_equal(result, want):
        return f"{desc}\n  wrong result: {msg}"
    if out is None and np.asarray(result).dtype != np.asarray(want).dtype:
        return f"{desc}\n  dtype {np.asarray(result).dtype}, NumPy's {np.asarray(want).dtype}"
    # Only out's elements were written; inputs that do not share memory with out unchanged.
    for v, before, base, base_before in (
        (x, copies[0], x_base, bases_before[0]),
        (y, copies[1], y_base, bases_before[1]),
    ):
        if not isinstance(v, np.ndarray) or (out is not None and np.may_share_memory(v, out)):
            continue
        if msg := fs.bits_equal(v, before):
            return f"{desc}\n  an input changed: {msg}"
        if base is not None and base is not out_base and _changed(base_before, base):
            return f"{desc}\n  an input's buffer changed"
    if out_base is not None:
        changed = (out_base != bases_before[2]) & ~fs.footprint_mask(out_base, out)
        if changed.any():
            return f"{desc}\n  {int(changed.sum())} bytes outside out's elements were written"
    return None


# ---- one reduction case ------------------------------------------------------------------


def make_axis(rng, ndim, notes):
    """(axis, defects)."""
    r = rng.random()
    if r < 0.3 or (ndim == 0 and r < 0.9):
        axis, defects = None, set()
    elif r < 0.7:
        axis, defects = int(rng.integers(-ndim, ndim)), set()
    elif r < 0.85:  # a tuple of distinct axes, in any order, negatives too
        k = int(rng.integers(0, ndim + 1))
        picked = rng.permutation(ndim)[:k]
        axis = tuple(int(a) - (ndim if rng.random() < 0.3 else 0) for a in picked)
        defects = set()
    elif r < 0.9 and ndim:
        a = int(rng.integers(0, ndim))
        axis, defects = (a, a - ndim), {ValueError}  # the same axis twice
    elif r < 0.95:
        axis = _sample(rng, [ndim, ndim + 3, -ndim - 1])
        defects = {AxisError}
        if ndim == 0 and axis in (0, -1):
            defects.add(fs.MaySucceed)  # np.sum accepts axis 0 and -1 of a 0-d array
    else:
        axis = _sample(rng, [True, False, 1.0, "0", (0, 1.0)])
        defects = {TypeError}
        if axis == (0, 1.0) and ndim == 0:
            defects.add(AxisError)  # NumPy checks the 0 first
    notes.append(f"axis={axis!r}")
    return axis, defects


def make_sum_dtype(rng, op, x_dtype, notes):
    """(dtype=, defects): mostly None; else one Raptors adds in, or one it refuses."""
    r = rng.random()
    if r < 0.6 or x_dtype is None:
        return None, set()
    mean = op in ("mean", "nanmean")
    ints = x_dtype.kind in "biu"
    choices = [np.float32, np.float64]
    if ints and not mean:
        choices += [np.int8, np.int32, np.int64, np.uint16, np.uint64]
    dt = _sample(rng, choices)
    defects = set()
    if r > 0.93:
        dt = _sample(rng, [np.float16, np.int64] if not (ints and not mean) else [np.float16])
        defects = {TypeError}  # refused (float16; a float summed as integers; an int mean)
        if op == "nanmean" and x_dtype.kind == "f" and dt is np.int64:
            defects = {TypeError}  # NumPy's own "If a is inexact, then dtype must be inexact"
    notes.append(f"dtype={np.dtype(dt).name}")
    return dt, defects


def run_reduce(rng, op, notes, verbose):
    shape = fs.random_shape(rng)
    r = rng.random()
    x_base = None
    defects = set()
    if r < 0.88:
        dtype = _sample(rng, fs.SUPPORTED + REDUCE_INTS)
        notes.append(f"x.dtype={dtype} shape={shape}")
        x, x_base = fs.make_x(rng, shape, dtype, notes)
    elif r < 0.93:
        dtype = _sample(rng, fs.SWAPPED)
        notes.append(f"dtype={dtype} shape={shape}")
        x, x_base = fs.make_x(rng, shape, dtype, notes)
    elif r < 0.97:
        x = fs.make_unsupported(rng, shape, notes)
        if x.dtype.newbyteorder("=") not in REDUCE_INTS:
            defects.add(TypeError)
    else:
        x = fs.make_x_object(rng, notes)
        if np.asarray(x).dtype.newbyteorder("=") not in fs.SUPPORTED + REDUCE_INTS:
            defects.add(TypeError)
        if isinstance(x, np.ndarray) and type(x) is not np.ndarray:
            defects.add(TypeError)  # a subclass keeps its own rules under NumPy: refused
    if (
        isinstance(x, np.ndarray)
        and x.dtype.kind == "f"
        and x.flags.writeable
        and x.size
        and rng.random() < 0.6
    ):
        # Numbers of like magnitudes, where the order of the additions shows in the
        # last bits (random_values spans 90 decades: the largest swamps the rest).
        with np.errstate(all="ignore"):
            x[...] = rng.standard_normal(x.shape) * 10.0 ** rng.uniform(-2, 2, x.shape)
            if op.startswith("nan"):
                x[rng.random(x.shape) < 0.1] = np.nan
        notes.append("moderate values")
    x_arr = np.asarray(x)
    axis, axis_defects = make_axis(rng, x_arr.ndim, notes)
    if op in ("mean", "nanmean") and x_arr.ndim == 0:
        axis_defects = axis_defects - {fs.MaySucceed}  # np.mean takes no axis of a 0-d
    may_succeed = fs.MaySucceed in axis_defects and not defects
    defects |= axis_defects - {fs.MaySucceed}
    known = x_arr.dtype if x_arr.dtype.newbyteorder("=") in fs.SUPPORTED + REDUCE_INTS else None
    sum_dtype, dtype_defects = make_sum_dtype(rng, op, known, notes)
    defects |= dtype_defects
    keepdims = bool(rng.random() < 0.3)
    buf = _sample(rng, BUFSIZES)
    notes.append(f"keepdims={keepdims} bufsize={buf}")
    x_copy = np.array(x_arr, copy=True)
    x_base_before = x_base.copy() if x_base is not None else None
    desc = f"{op}: " + "; ".join(notes)
    if verbose:
        print(desc, flush=True)
    old = np.getbufsize()
    np.setbufsize(buf)
    try:
        try:
            result = _quiet(getattr(raptors, op), x, axis=axis, dtype=sum_dtype, keepdims=keepdims)
        except Exception as exc:
            if type(exc) not in defects:
                return (
                    f"{desc}\n  raised {type(exc).__name__}: {exc}; allowed: "
                    f"{sorted(t.__name__ for t in defects) or 'none (must succeed)'}"
                )
            if _changed(x_base_before, x_base):
                return f"{desc}\n  x's buffer changed although the call raised {exc!r}"
            return None
        if defects and not may_succeed:
            return (
                f"{desc}\n  returned, but must raise one of {sorted(t.__name__ for t in defects)}"
            )
        want = _quiet(getattr(np, op), x, axis=axis, dtype=sum_dtype, keepdims=keepdims)
    finally:
        np.setbufsize(old)
    if type(x) is np.ndarray and isinstance(want, np.ndarray) != isinstance(result, np.ndarray):
        return f"{desc}\n  returned {type(result).__name__}, NumPy {type(want).__name__}"
    if msg := fs.bits_equal(result, want):
        return f"{desc}\n  wrong result: {msg}"
    if msg := fs.bits_equal(x_arr, x_copy):
        return f"{desc}\n  x changed: {msg}"
    if _changed(x_base_before, x_base):
        return f"{desc}\n  x's buffer changed"
    return None


# ---- the C entry points --------------------------------------------------------------------


def _i64(values):
    return (ctypes.c_int64 * max(len(values), 1))(*values)


def _addr(a):
    return a.__array_interface__["data"][0]


def c_binary(dtype, op, shape, x, y, out):
    """raptors_binary_f32/f64(op, ndim, shape, x, x_strides, y, y_strides, out, out_strides)."""
    from raptors import _ffi

    fn = _ffi._lib.raptors_binary_f32 if dtype == np.float32 else _ffi._lib.raptors_binary_f64
    return fn(
        C_OPS[op],
        len(shape),
        _i64(shape),
        _addr(x),
        _i64(x.strides),
        _addr(y),
        _i64(y.strides),
        _addr(out),
        _i64(out.strides),
    )


def c_reduce(dtype, op, shape, x, axis, out, out_strides, bufsize):
    """raptors_reduce_f32/f64(op, ndim, shape, x, x_strides, axis, out, out_strides, bufsize)."""
    from raptors import _ffi

    fn = _ffi._lib.raptors_reduce_f32 if dtype == np.float32 else _ffi._lib.raptors_reduce_f64
    return fn(
        C_OPS[op],
        len(shape),
        _i64(shape),
        _addr(x),
        _i64(x.strides),
        C_ALL_AXES if axis is None else axis,
        _addr(out),
        None if out_strides is None else _i64(out_strides),
        bufsize,
    )


def run_c_case(rng, notes, verbose):
    """The C API on layouts the Python layer never passes: length-1 and unsorted
    dimensions, zero and overlapping input strides, unaligned elements. rc must be >= 0
    (done; > 0 with FP exceptions raised), the result NumPy's, written only to out's elements."""
    dtype = _sample(rng, fs.SUPPORTED)
    shape = fs.random_shape(rng)
    if int(np.prod(shape, dtype=np.int64)) > 300_000:
        shape = tuple(min(n, 8) for n in shape)
    itemsize = dtype.itemsize

    if rng.random() < 0.5:
        op = _sample(rng, list(BINARY))
        x, _ = fs.guarded_view(rng, shape, dtype, fs.free_strides(rng, shape, itemsize))
        y, _ = fs.guarded_view(rng, shape, dtype, fs.dense_strides(rng, shape, itemsize))
        out, out_base = fs.guarded_view(rng, shape, dtype, fs.dense_strides(rng, shape, itemsize))
        notes.append(
            f"C API binary {op}: dtype={dtype} shape={shape} x.strides={x.strides} "
            f"y.strides={y.strides} out.strides={out.strides}"
        )
        if verbose:
            print("; ".join(notes), flush=True)
        want = _quiet(BINARY[op], x, y)
        before = out_base.copy()
        rc = c_binary(dtype, op, shape, x, y, out)
        return _c_verdict(notes, rc, out, want, out_base, before)

    op = _sample(rng, ["sum", "mean"])
    free = rng.random() < 0.5
    strides = (fs.free_strides if free else fs.dense_strides)(rng, shape, itemsize)
    x, _ = fs.guarded_view(rng, shape, dtype, strides)
    ndim = len(shape)
    axis = int(rng.integers(0, ndim)) if ndim and rng.random() < 0.6 else None
    buf = _sample(rng, BUFSIZES)
    if axis is None:
        oshape, ostrides = (), None
        out, out_base = fs.guarded_view(rng, (), dtype, [])
    else:
        oshape = shape[:axis] + shape[axis + 1 :]
        out, out_base = fs.guarded_view(rng, oshape, dtype, fs.dense_strides(rng, oshape, itemsize))
        ostrides = list(out.strides[:axis]) + [0] + list(out.strides[axis:])
    notes.append(
        f"C API {op}: dtype={dtype} shape={shape} x.strides={x.strides} aligned="
        f"{x.flags.aligned} axis={axis} out.strides={out.strides} bufsize={buf}"
    )
    if verbose:
        print("; ".join(notes), flush=True)
    old = np.getbufsize()
    np.setbufsize(buf)
    try:
        want = _quiet(getattr(np, op), x, axis=axis)
    finally:
        np.setbufsize(old)
    before = out_base.copy()
    rc = c_reduce(dtype, op, shape, x, axis, out, ostrides, buf)
    return _c_verdict(notes, rc, out, want, out_base, before)


def _c_verdict(notes, rc, out, want, out_base, before):
    """A C API call's failure (its return code, its result, bytes written around out), or None."""
    desc = "; ".join(notes)
    if rc < 0:  # (a positive code: done, with floating-point exceptions raised)
        return f"{desc}\n  returned {rc}"
    if msg := fs.bits_equal(out, want):
        return f"{desc}\n  wrong result: {msg}"
    changed = (out_base != before) & ~fs.footprint_mask(out_base, out)
    if changed.any():
        return f"{desc}\n  {int(changed.sum())} bytes outside out's elements were written"
    return None


def run_case(seed, i, verbose=False):
    """Returns None if the case passed, else a description of the failure."""
    rng = np.random.default_rng([seed, i])
    if i % 37 == 0:  # runtime settings change now and then
        raptors.set_num_threads(int(rng.integers(1, 5)))
        raptors.set_simd(_sample(rng, ["auto"] + raptors.build_info()["simd_available"]))
    notes = [f"case {i}: threads={raptors.get_num_threads()} simd={raptors.get_simd()}"]
    if rng.random() < 0.1:
        return run_c_case(rng, notes, verbose)
    op = _sample(rng, OPS)
    if op in BINARY:
        return run_binary(rng, op, notes, verbose)
    return run_reduce(rng, op, notes, verbose)


def main(argv=None) -> int:
    return fuzz_driver.main("fuzz_ops", __doc__, run_case, argv)


if __name__ == "__main__":
    sys.exit(main())
