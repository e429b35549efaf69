"""Fuzz raptors.scale against NumPy.

Every case draws an input (dtype supported or not, 0-d to many dimensions,
empty to millions of elements, any strides: sliced, transposed, negative,
unaligned, zero/overlapping for the input), an `out` of every kind (none, new,
strided view in a guarded buffer, x itself, a view overlapping x, and wrong
ones: dtype, shape, read-only, zero stride, not an ndarray) and a factor of
every kind (Python/NumPy ints, floats, bools, 0-d arrays, Fractions, specials;
strings, None, complex, sequences, ...). The call must either

  * return NumPy's np.multiply(x, x.dtype.type(factor)) bit for bit (any NaN
    matching any NaN), in `out` if given (and nowhere else: the bytes of the
    buffer around out's elements are checked), x untouched unless it is out; or
  * raise an exception the docstring documents for one of the defects the case
    has (TypeError, ValueError, OverflowError), leaving x and out untouched.

One case in ten calls the C entry points directly instead (raptors._ffi), with
layouts the Python layer never passes them (length-1, unsorted and unmerged
dimensions up to 64, unaligned elements, zero and overlapping input strides).

Seeds, budgets, replaying one case and --trace: tests/fuzz_driver.py
(python tests/fuzz_scale.py --help).
"""

from __future__ import annotations

import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import fuzz_driver  # tests/ is this script's directory
import numpy as np
from conftest import UNSUPPORTED_DTYPES, special_values

import raptors

SUPPORTED = [np.dtype(np.float32), np.dtype(np.float64)]
SWAPPED = [d.newbyteorder() for d in SUPPORTED]
UNSUPPORTED = [np.dtype(t) for t in UNSUPPORTED_DTYPES]
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class MaySucceed(Exception):
    """In a set of allowed exceptions: returning NumPy's answer is fine too."""


class Sub(np.ndarray):
    """An ndarray subclass: array_like, not exactly ndarray."""


class WeirdReal(float):
    """A float subclass (numbers.Real): the factor conversion must still be NumPy's."""


def _sample(rng, seq):
    return seq[int(rng.integers(len(seq)))]


# ---- values -----------------------------------------------------------------


def random_values(rng, dtype, n):
    """A mix of ordinary numbers of every magnitude, specials and raw bit patterns (integers
    and bools: any value of the dtype)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(n) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    with np.errstate(all="ignore"):
        out = (rng.standard_normal(n) * 10.0 ** rng.integers(-45, 45, n)).astype(dtype)
    kind = rng.integers(0, 10, n)
    spec = special_values(dtype)
    pick = kind == 0
    out[pick] = spec[rng.integers(0, len(spec), int(pick.sum()))]
    bits = kind == 1
    raw = rng.integers(
        0,
        np.iinfo(UINT[dtype.itemsize]).max,
        int(bits.sum()),
        dtype=UINT[dtype.itemsize],
        endpoint=True,
    )
    out[bits] = raw.view(dtype)
    return out


# ---- shapes and layouts -----------------------------------------------------


def random_shape(rng):
    r = rng.random()
    if r < 0.05:
        return ()
    if r < 0.40:
        ndim = 1
    elif r < 0.65:
        ndim = 2
    elif r < 0.80:
        ndim = 3
    elif r < 0.95:
        ndim = int(rng.integers(4, 7))
    else:  # many dimensions, mostly of length 1 (NumPy allows 64)
        ndim = int(rng.integers(7, 33))
    c = rng.random()
    if c < 0.45:
        total = int(rng.integers(0, 24))
    elif c < 0.80:
        total = int(rng.integers(24, 600))
    elif c < 0.95:
        total = int(rng.integers(600, 20_000))
    elif c < 0.995:
        total = int(rng.integers(20_000, 400_000))
    else:
        total = int(rng.integers(400_000, 2_500_000))
    shape = [1] * ndim
    if ndim > 6:  # a few dimensions carry the size, the rest are 1
        carriers = rng.choice(ndim, size=min(ndim, int(rng.integers(1, 6))), replace=False)
    else:
        carriers = np.arange(ndim)
    left = max(total, 1)
    for k, d in enumerate(rng.permutation(carriers)):
        if k == len(carriers) - 1:
            shape[d] = left
        else:
            n = round(left ** rng.random()) if left > 1 else 1
            n = max(1, min(n, left))
            shape[d] = n
            left = max(1, left // n)
    if total == 0 or (rng.random() < 0.03 and ndim):
        shape[int(rng.integers(ndim))] = 0
    return tuple(shape)


def dense_strides(rng, shape, itemsize, gaps=True):
    """Non-overlapping strides in a random axis order, random signs and gaps
    (gaps that are not multiples of the itemsize make unaligned elements)."""
    order = rng.permutation(len(shape))
    strides = [0] * len(shape)
    step = itemsize
    for d in reversed(order):  # innermost first
        gap = 0
        if gaps and rng.random() < 0.3:
            gap = int(rng.integers(1, 3 * itemsize))
            if rng.random() < 0.7:
                gap = gap // itemsize * itemsize
        s = step + (gap if shape[d] > 1 else 0)
        strides[d] = s if rng.random() < 0.8 else -s
        step = abs(s) * max(shape[d], 1)
    return strides


def free_strides(rng, shape, itemsize):
    """Any strides, zero and overlapping included (fine for a read-only input)."""
    strides = []
    for _ in shape:
        r = rng.random()
        if r < 0.15:
            s = 0
        elif r < 0.3:
            s = int(rng.integers(1, 4 * itemsize))  # unaligned or overlapping
        else:
            s = itemsize * int(rng.integers(1, 4)) * max(1, int(rng.integers(1, 3)))
        strides.append(s if rng.random() < 0.75 else -s)
    return strides


def span(shape, strides, itemsize):
    """(lowest byte offset, bytes spanned) of a view relative to its first element."""
    if any(n == 0 for n in shape):
        return 0, 0
    lo = sum(s * (n - 1) for n, s in zip(shape, strides) if s < 0)
    hi = sum(s * (n - 1) for n, s in zip(shape, strides) if s > 0)
    return lo, hi - lo + itemsize


def view_in(base, shape, dtype, strides, start):
    return np.ndarray(shape, dtype=dtype, buffer=base, offset=start, strides=strides)


def guarded_view(rng, shape, dtype, strides, fill_dtype=None):
    """A view with these strides at a random (maybe unaligned) place in a new byte
    buffer with slack on both sides; returns (view, base)."""
    itemsize = dtype.itemsize
    lo, nbytes = span(shape, strides, itemsize)
    pre = int(rng.integers(0, 4)) * itemsize + (
        int(rng.integers(0, itemsize)) if rng.random() < 0.2 else 0
    )
    post = int(rng.integers(0, 4)) * itemsize
    total = pre + nbytes + post
    nvals = total // itemsize + 1
    vals = random_values(rng, fill_dtype or native(dtype), nvals)
    base = np.frombuffer(bytearray(vals.astype(fill_dtype or dtype).tobytes()), dtype=np.uint8)
    return view_in(base, shape, dtype, strides, pre - lo), base


def native(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype.isnative else dtype.newbyteorder("=")


def make_x(rng, shape, dtype, notes):
    """An ndarray of `dtype` and `shape` in a random layout. Returns (x, base or None)."""
    itemsize = dtype.itemsize
    size = int(np.prod(shape, dtype=np.int64))
    r = rng.random()
    if r < 0.25:
        notes.append("x:C")
        order = "F" if rng.random() < 0.3 else "C"
        if order == "F":
            notes[-1] = "x:F"
        x = np.empty(shape, dtype=dtype, order=order)
        x[...] = random_values(rng, native(dtype), size).reshape(shape)
        return x, None
    if r < 0.55:
        # Slices of a bigger array, then maybe a transpose.
        steps = [int(rng.integers(1, 4)) * (1 if rng.random() < 0.7 else -1) for _ in shape]
        parent_shape = [
            max(n, 1) * abs(st) + int(rng.integers(0, 3)) for n, st in zip(shape, steps)
        ]
        if np.prod(parent_shape, dtype=np.float64) > 4 * max(size, 1) + 4096:
            steps = [1] * len(shape)
            parent_shape = list(shape)
        parent = np.empty(parent_shape, dtype=dtype)
        parent[...] = random_values(rng, native(dtype), parent.size).reshape(parent_shape)
        idx = []
        for n, st, pn in zip(shape, steps, parent_shape):
            if st > 0:
                idx.append(slice(0, n * st, st) if n else slice(0, 0))
            else:
                idx.append(slice(pn - 1, pn - 1 + n * st, st) if n else slice(0, 0))
        x = parent[tuple(idx)]
        if x.shape != tuple(shape):  # negative slice hit -1: rebuild simply
            x = parent[tuple(slice(0, n) for n in shape)]
        if len(shape) > 1 and rng.random() < 0.5:
            perm = rng.permutation(len(shape))
            inv = np.argsort(perm)
            # Transpose a parent view laid out for the permuted shape.
            y = np.empty([shape[p] for p in perm], dtype=dtype)
            y[...] = random_values(rng, native(dtype), size).reshape(y.shape)
            x = y.transpose(inv)
            notes.append("x:transposed")
        else:
            notes.append(f"x:sliced{steps}")
        return x, None
    if r < 0.85:
        strides = dense_strides(rng, shape, itemsize)
        x, base = guarded_view(rng, shape, dtype, strides)
        notes.append(f"x:raw strides={strides} aligned={x.flags.aligned}")
        return x, base
    if r < 0.95 and size <= 200_000:
        strides = free_strides(rng, shape, itemsize)
        x, base = guarded_view(rng, shape, dtype, strides)
        x.flags.writeable = False
        notes.append(f"x:free(read-only) strides={strides}")
        return x, base
    # Broadcast: zero strides, read-only.
    if shape:
        small = tuple(n if rng.random() < 0.5 else 1 for n in shape)
        src = random_values(rng, native(dtype), int(np.prod(small))).astype(dtype).reshape(small)
        x = np.broadcast_to(src, shape)
    else:
        x = np.array(random_values(rng, native(dtype), 1)[0], dtype=dtype)
    notes.append("x:broadcast")
    return x, None


def make_x_object(rng, notes):
    """An array_like that is not an ndarray. Returns the object."""
    r = int(rng.integers(0, 8))
    vals = random_values(rng, np.float64, int(rng.integers(0, 12)))
    if r == 0:
        notes.append("x:list of floats")
        return [float(v) for v in vals]
    if r == 1:
        notes.append("x:tuple of floats")
        return tuple(float(v) for v in vals)
    if r == 2:
        notes.append("x:python float")
        return float(vals[0]) if len(vals) else 1.5
    if r == 3:
        notes.append("x:np.float32 scalar")
        return np.float32(vals[0] if len(vals) else 2.0)
    if r == 4:
        notes.append("x:memoryview")
        return memoryview(vals.astype(np.float32))
    if r == 5:
        notes.append("x:ndarray subclass")
        return vals.reshape(-1, 1).view(Sub)
    if r == 6:
        notes.append("x:list of ints")
        return [int(i) for i in rng.integers(-5, 5, 4)]
    notes.append("x:nested list")
    return [[float(v) for v in vals[:3]]] * 2 if len(vals) >= 3 else [[1.0, 2.0]]


def make_unsupported(rng, shape, notes):
    dtype = _sample(rng, UNSUPPORTED)
    notes.append(f"x:unsupported {dtype}")
    size = min(int(np.prod(shape, dtype=np.int64)), 1000)
    return np.zeros(size, dtype=dtype)


# ---- factors ----------------------------------------------------------------


def make_factor(rng, notes):
    """Returns (factor, kind) with kind 'real' or 'nonreal'."""
    r = int(rng.integers(0, 24))
    f64 = random_values(rng, np.float64, 1)[0]
    reals = {
        0: lambda: float(f64),
        1: lambda: float(_sample(rng, list(special_values(np.float64)))),
        2: lambda: int(rng.integers(-1000, 1000)),
        3: lambda: int(rng.integers(-(2**62), 2**62)) * int(rng.integers(1, 2**62)),
        4: lambda: _sample(rng, [True, False]),
        5: lambda: np.float32(random_values(rng, np.float32, 1)[0]),
        6: lambda: np.float64(f64),
        7: lambda: np.float16(rng.standard_normal()),
        8: lambda: np.longdouble(f64) / np.longdouble(3),
        9: lambda: _sample(
            rng, [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
        )(rng.integers(0, 100)),
        10: lambda: np.uint64(2**64 - 1),
        11: lambda: np.bool_(rng.random() < 0.5),
        12: lambda: np.array(f64),  # 0-d float array
        13: lambda: np.array(int(rng.integers(-9, 9)), dtype=np.int16),
        14: lambda: Fraction(int(rng.integers(-50, 50)), int(rng.integers(1, 50))),
        15: lambda: 10 ** int(rng.integers(30, 400)) * (1 if rng.random() < 0.5 else -1),
        16: lambda: WeirdReal(f64),
        17: lambda: np.array(np.float32(2.5)),
    }
    nonreals = [
        lambda: "2.5",
        lambda: b"2",
        lambda: None,
        lambda: complex(1, 2),
        lambda: 1j,
        lambda: np.complex64(1),
        lambda: np.complex128(2 + 0j),
        lambda: [2.0],
        lambda: (2.0,),
        lambda: np.array([2.0]),
        lambda: np.array([[1.0]]),
        lambda: np.array(1 + 1j),
        lambda: np.array("2"),
        lambda: np.array(2.0, dtype=object),
        lambda: Decimal("2.5"),
        lambda: object(),
        lambda: np.datetime64(1, "s"),
        lambda: np.timedelta64(2, "s"),
        lambda: {2.0},
        lambda: np.float32,
    ]
    if r in reals:
        factor = reals[r]()
        kind = "real"
    else:
        factor = _sample(rng, nonreals)()
        kind = "nonreal"
    notes.append(f"factor={factor!r}"[:120] + f" ({type(factor).__name__})")
    return factor, kind


# ---- out ----------------------------------------------------------------------


def plain_out(rng, r, shape, dtype, notes, raw_below):
    """The outs both fuzzers draw first, by r in [0, 1): none (r < 0.35), a new C or F
    array (< 0.45), a raw strided view in a guarded buffer (< raw_below), each as
    (out, defects, out_base); None above, for the caller to draw others."""
    if r < 0.35:
        notes.append("out:None")
        return None, set(), None
    if r < 0.45:
        order = _sample(rng, ["C", "F"])
        notes.append(f"out:new {order}")
        return np.empty(shape, dtype=dtype, order=order), set(), None
    if r < raw_below:
        strides = dense_strides(rng, shape, dtype.itemsize)
        out, base = guarded_view(rng, shape, dtype, strides)
        notes.append(f"out:raw strides={strides} aligned={out.flags.aligned}")
        return out, set(), base
    return None


def unwritable(v):
    """{ValueError} when v cannot be an out: read-only, or elements sharing memory."""
    if not v.flags.writeable or (
        v.size > 1 and any(s == 0 and n > 1 for s, n in zip(v.strides, v.shape))
    ):
        return {ValueError}
    return set()


def read_only_out(shape, dtype, notes):
    out = np.empty(shape, dtype)
    out.flags.writeable = False
    notes.append("out:read-only")
    return out, {ValueError}, None


def zero_stride_out(shape, dtype, notes):
    """A writable out whose outer axes have stride 0: its elements share memory (a
    ValueError) unless there is only one line; the buffer is then checked around it."""
    base = np.zeros(max(shape[-1], 1), dtype)
    strides = (0,) * (len(shape) - 1) + (dtype.itemsize,)
    out = np.lib.stride_tricks.as_strided(base, shape=shape, strides=strides, writeable=True)
    notes.append("out:zero-stride writable")
    if unwritable(out):
        return out, {ValueError}, None
    return out, set(), base.view(np.uint8)


def make_out(rng, x, x_base, notes):
    """Returns (out, defects, out_base). defects: set of exception types allowed."""
    if not isinstance(x, np.ndarray) or x.dtype not in SUPPORTED + SWAPPED:
        if rng.random() < 0.7:
            notes.append("out:None")
            return None, set(), None
        arr = np.asarray(x)
        notes.append("out:new float64")
        return (
            np.empty(arr.shape, np.float64),
            ({TypeError} if arr.dtype != np.float64 else set()),
            None,
        )
    dtype, shape = native(x.dtype), x.shape
    r = rng.random()
    if (plain := plain_out(rng, r, shape, dtype, notes, raw_below=0.65)) is not None:
        return plain
    if r < 0.73:
        notes.append("out:x itself")
        return x, unwritable(x), None
    if r < 0.80 and x_base is not None and x.size:
        # A view over x's own buffer, overlapping it partially (or not at all).
        strides = dense_strides(rng, shape, dtype.itemsize)
        lo, nbytes = span(shape, strides, dtype.itemsize)
        if nbytes <= x_base.nbytes:
            start = int(rng.integers(0, x_base.nbytes - nbytes + 1)) - lo
            out = view_in(x_base, shape, dtype, strides, start)
            notes.append(f"out:over x's buffer strides={strides} start={start}")
            return out, set(), x_base
    # Wrong ones.
    w = int(rng.integers(0, 9))
    if w == 0:
        other = _sample(
            rng,
            [
                np.float16,
                np.int64,
                np.complex128,
                np.int32,
                np.float64 if dtype == np.float32 else np.float32,
            ],
        )
        notes.append(f"out:wrong dtype {np.dtype(other)}")
        return np.empty(shape, other), {TypeError}, None
    if w == 1:
        bad = _sample(
            rng,
            [
                shape + (1,),
                (1,) + shape,
                shape[::-1] + (2,),
                (max(x.size, 1) + 1,),
                shape[:-1] if shape else (2,),
            ],
        )
        if bad == shape:
            bad = shape + (2,)
        notes.append(f"out:wrong shape {bad}")
        return np.empty(bad, dtype), {ValueError}, None
    if w == 2:
        return read_only_out(shape, dtype, notes)
    if w == 3 and shape:
        src = np.empty(shape[-1:], dtype)
        out = np.broadcast_to(src, shape)
        notes.append("out:broadcast (read-only)")
        return out, {ValueError}, None
    if w == 4 and shape:
        return zero_stride_out(shape, dtype, notes)
    if w == 5:
        obj = _sample(
            rng,
            [
                [0.0] * 3,
                (0.0,),
                3.0,
                memoryview(bytearray(8)),
                np.float64(0),
                "out",
                np.empty(shape, dtype).tolist(),
            ],
        )
        notes.append(f"out:not an ndarray ({type(obj).__name__})")
        return obj, {TypeError}, None
    if w == 6:
        # The other byte order than x's is another dtype; x's own (swapped) one is not.
        other = x.dtype.newbyteorder()
        notes.append(f"out:dtype {other} (x has {x.dtype})")
        return (
            np.empty(shape, other),
            ({TypeError, MaySucceed} if other != x.dtype else set()),
            None,
        )
    if w == 7:
        notes.append("out:ndarray subclass")
        return np.empty(shape, dtype).view(Sub), set(), None
    notes.append("out:new")
    return np.empty(shape, dtype), set(), None


# ---- one case -----------------------------------------------------------------


def footprint_mask(base, view):
    """Bytes of `base` holding the elements of `view` (a view into base)."""
    mask = np.zeros(base.nbytes, np.uint8)
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    u = np.dtype(f"u{view.itemsize}")
    np.ndarray(view.shape, dtype=u, buffer=mask, offset=start, strides=view.strides)[...] = (
        np.iinfo(u).max
    )
    return mask.astype(bool)


def bits_equal(actual, expected):
    """Bit for bit, any NaN matching any NaN. Returns None or a message."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != {expected.shape}"
    if native(actual.dtype) != native(expected.dtype):
        return f"dtype {actual.dtype} != {expected.dtype}"
    u = UINT[actual.itemsize]
    a = np.ascontiguousarray(actual, dtype=native(actual.dtype))
    e = np.ascontiguousarray(expected, dtype=native(expected.dtype))
    bad = (a.view(u) != e.view(u)) & ~(np.isnan(a) & np.isnan(e))
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        return (
            f"{int(bad.sum())} of {a.size} elements differ, first at {i}: "
            f"got {a[i]!r} ({int(a.view(u)[i]):#x}) want {e[i]!r} ({int(e.view(u)[i]):#x})"
        )
    return None


def same_bytes(a, b):
    return a.shape == b.shape and np.array_equal(
        np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8)
    )


def expected_factor(x_arr, factor, kind):
    """(allowed exception types, scalar factor or None). As np.multiply(x, factor) under
    NEP 50: a Python scalar is weak (x's dtype), a NumPy scalar or 0-d array strong (it
    keeps its dtype and promotes x; a result other than float32/float64 is a TypeError)."""
    if kind == "nonreal":
        return {TypeError}, None
    if isinstance(factor, (np.generic, np.ndarray)):
        result = np.result_type(native(x_arr.dtype), factor.dtype)
        return (set(), factor) if result in SUPPORTED else ({TypeError}, None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return set(), native(x_arr.dtype).type(factor)
    except OverflowError:
        return {OverflowError}, None


def run_c_case(rng, notes, verbose):
    """The C entry points directly (raptors._ffi), with layouts the Python layer
    never passes: length-1 and unsorted dimensions, unmerged contiguous ones, any
    signs, unaligned elements, up to 64 dimensions; and the contiguous entry
    point on unaligned pointers. rc must be >= 0 (done) and the result NumPy's, written
    only to y's elements."""
    from raptors import _ffi

    dtype = _sample(rng, SUPPORTED)
    shape = random_shape(rng)
    if rng.random() < 0.1 and len(shape) < 64:  # up to RAPTORS_MAX_DIMS, padded with 1s
        padded = [1] * 64
        for d, k in zip(sorted(rng.choice(64, size=len(shape), replace=False)), shape):
            padded[d] = k
        shape = tuple(padded)
    contiguous = rng.random() < 0.2
    if contiguous:  # n elements in a row, maybe unaligned
        shape = (int(np.prod(shape, dtype=np.int64)),)
        x, x_base = guarded_view(rng, shape, dtype, [dtype.itemsize])
        y, y_base = guarded_view(rng, shape, dtype, [dtype.itemsize])
    else:
        x, x_base = guarded_view(
            rng,
            shape,
            dtype,
            free_strides(rng, shape, dtype.itemsize)
            if rng.random() < 0.5
            else dense_strides(rng, shape, dtype.itemsize),
        )
        y, y_base = guarded_view(rng, shape, dtype, dense_strides(rng, shape, dtype.itemsize))
    factor = random_values(rng, dtype, 1)[0]
    notes.append(
        f"C API {'contiguous' if contiguous else 'strided'}: dtype={dtype} "
        f"shape={shape} x.strides={x.strides} y.strides={y.strides} "
        f"x aligned={x.flags.aligned} y aligned={y.flags.aligned} factor={factor!r}"
    )
    desc = "; ".join(notes)
    if verbose:
        print(desc, flush=True)
    x_before, y_base_before = x_base.copy(), y_base.copy()
    with np.errstate(all="ignore"):
        want = np.multiply(x, factor)
    xa, ya = x.__array_interface__["data"][0], y.__array_interface__["data"][0]
    if contiguous:
        rc = _ffi.scale_contig[dtype.name](xa, ya, shape[0], float(factor))
    else:
        rc = _ffi.scale_strided(
            dtype.name, list(shape), xa, list(x.strides), ya, list(y.strides), float(factor)
        )
    if rc < 0:  # (a positive code: done, with floating-point exceptions raised)
        return f"{desc}\n  returned {rc}"
    if msg := bits_equal(y, want):
        return f"{desc}\n  wrong result: {msg}"
    if not np.array_equal(x_base, x_before):
        return f"{desc}\n  x's buffer changed"
    mask = footprint_mask(y_base, y)
    changed = (y_base != y_base_before) & ~mask
    if changed.any():
        return f"{desc}\n  {int(changed.sum())} bytes outside y's elements were written"
    return None


def run_case(seed, i, verbose=False):
    """Returns None if the case passed, else a description of the failure."""
    rng = np.random.default_rng([seed, i])
    notes = [f"case {i}:"]
    if i % 37 == 0:  # runtime settings change now and then
        raptors.set_num_threads(int(rng.integers(1, 5)))
        raptors.set_simd(_sample(rng, ["auto"] + raptors.build_info()["simd_available"]))
    notes.append(f"threads={raptors.get_num_threads()} simd={raptors.get_simd()}")
    if rng.random() < 0.1:
        return run_c_case(rng, notes, verbose)
    notes.pop(0)
    shape = random_shape(rng)
    r = rng.random()
    x_base = None
    defects = set()
    if r < 0.86:
        dtype = _sample(rng, SUPPORTED)
        notes.append(f"dtype={dtype} shape={shape}")
        x, x_base = make_x(rng, shape, dtype, notes)
    elif r < 0.91:
        dtype = _sample(rng, SWAPPED)
        notes.append(f"dtype={dtype} shape={shape}")
        x, x_base = make_x(rng, shape, dtype, notes)
    elif r < 0.95:
        x = make_unsupported(rng, shape, notes)
        defects.add(TypeError)
    else:
        x = make_x_object(rng, notes)
        arr = np.asarray(x)
        if arr.dtype not in SUPPORTED + SWAPPED:
            defects.add(TypeError)
        if isinstance(x, np.ndarray) and type(x) is not np.ndarray:
            defects.add(TypeError)  # a subclass keeps its own rules under NumPy: refused
    x_arr = np.asarray(x)
    factor, kind = make_factor(rng, notes)
    out, out_defects, out_base = make_out(rng, x, x_base, notes)
    a = None
    if kind == "nonreal":
        defects.add(TypeError)
    elif x_arr.dtype in SUPPORTED + SWAPPED:
        factor_defects, a = expected_factor(x_arr, factor, kind)
        defects |= factor_defects
        result = None if a is None else np.result_type(native(x_arr.dtype), a)
        if result is not None and result != native(x_arr.dtype) and isinstance(out, np.ndarray):
            # out's dtype is judged against the result's (make_out judged it against x's)
            out_defects.discard(TypeError)
            if out.dtype != result:
                defects.add(TypeError)
    # An out that may also be accepted only counts as such when nothing else is wrong.
    may_succeed = MaySucceed in out_defects and not defects
    defects |= out_defects - {MaySucceed}

    # Snapshots before the call.
    x_copy = np.array(x_arr, copy=True)
    x_base_before = x_base.copy() if x_base is not None else None
    out_is_array = isinstance(out, np.ndarray)
    out_before = np.array(out, copy=True) if out_is_array else None
    out_base_before = out_base.copy() if out_base is not None else None
    desc = f"case {i}: " + "; ".join(notes)
    if verbose:
        print(desc, flush=True)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = raptors.scale(x, factor, out=out)
    except Exception as exc:
        if type(exc) not in defects or type(exc) is MaySucceed:
            return (
                f"{desc}\n  raised {type(exc).__name__}: {exc}; allowed: "
                f"{sorted(t.__name__ for t in defects) or 'none (must succeed)'}"
            )
        if not str(exc):
            return f"{desc}\n  {type(exc).__name__} with an empty message"
        # Nothing touched.
        if x_base_before is not None and not np.array_equal(x_base, x_base_before):
            return f"{desc}\n  x's buffer changed although the call raised {exc!r}"
        if out_base_before is not None and not np.array_equal(out_base, out_base_before):
            return f"{desc}\n  out's buffer changed although the call raised {exc!r}"
        if out_is_array and not same_bytes(out, out_before):
            return f"{desc}\n  out changed although the call raised {exc!r}"
        return None
    if defects and not may_succeed:
        return f"{desc}\n  returned, but must raise one of {sorted(t.__name__ for t in defects)}"

    with np.errstate(all="ignore"):
        want = np.multiply(x_copy, a)
    if out is not None and result is not out:
        return f"{desc}\n  did not return out"
    if not isinstance(result, np.ndarray) or type(result) is not (
        type(out) if out is not None else np.ndarray
    ):
        return f"{desc}\n  returned {type(result).__name__}"
    if msg := bits_equal(result, want):
        return f"{desc}\n  wrong result: {msg}"
    if out is None:
        if result.dtype != want.dtype:
            return f"{desc}\n  result dtype {result.dtype}, NumPy's is {want.dtype}"
        if x_arr.flags.c_contiguous and not result.flags.c_contiguous:
            return f"{desc}\n  x is C-contiguous, the result is not"
        if (
            x_arr.flags.f_contiguous
            and not x_arr.flags.c_contiguous
            and not result.flags.f_contiguous
        ):
            return f"{desc}\n  x is Fortran-contiguous, the result is not"
    # Only out's elements were written: x (unless it is or overlaps out) and the
    # bytes around out's elements are as they were.
    overlaps = out is not None and np.may_share_memory(x_arr, out)
    if not overlaps:
        if msg := bits_equal(x_arr, x_copy):
            return f"{desc}\n  x changed: {msg}"
        if (
            x_base_before is not None
            and out_base is not x_base
            and not np.array_equal(x_base, x_base_before)
        ):
            return f"{desc}\n  x's buffer changed"
    if out_base is not None:
        mask = footprint_mask(out_base, out)
        changed = (out_base != out_base_before) & ~mask
        if changed.any():
            return (
                f"{desc}\n  {int(changed.sum())} bytes outside out's elements were written, "
                f"first at byte {int(np.argmax(changed))} of its buffer"
            )
    return None


def main(argv=None) -> int:
    return fuzz_driver.main("fuzz_scale", __doc__, run_case, argv)


if __name__ == "__main__":
    sys.exit(main())
