"""The project's model of NumPy 2.4's whole add-reduction surface -- sum, mean, nansum and
nanmean of every dtype, over any set of axes, with dtype= and out= -- written with plain
NumPy element-wise adds in NumPy's order (pairwise sums from numpy_order_model). The tests
check it against NumPy and Raptors against it.

The order, decided from the layout as NumPy's iterator decides it:

* The loop dtype T: dtype= if given; else promote(out, x) if out= is given; else int64 for
  bool and signed integers narrower than 64 bits, uint64 for unsigned ones, x's dtype for
  the rest. A mean of integers or bool passes dtype=float64.
* The ordering strides: x's own; for nansum/nanmean those of NumPy's copy of x
  (np.array(x, copy=True): C order if x is C-contiguous or 1-d, F order if F-contiguous,
  else axes by descending |stride|, ties to the lower axis), which is what NumPy sums.
* Length-1 axes dropped; the rest sorted innermost-first by a stable insertion sort that
  moves an axis inward past another when every voting operand (the ordering strides, and
  out's strides when out= is given) with non-zero strides on both agrees it is faster;
  one against is a veto. Every axis is walked in increasing index.
* Neighbouring reduced axes coalesce when the ordering strides are contiguous across them.
* Innermost dimension D0 kept: each output is +0 then each of its elements in turn.
* D0 reduced (D0..Dm the leading reduced dimensions, S_j = n0 * ... * nj, B the bufsize,
  cast = x's dtype is not T, or x is byte-swapped or misaligned (nan*: byte-swapped only)):
  each output is +0 then pairwise(piece) for the pieces of its block, then the next block
  out. Pieces: cast and n0 >= B -> each D0 line in pieces of B; m == 0 or 2 n0 > B -> whole
  D0 lines; else the core grows to b (the largest b <= m reached while S_(b-1) < B... see
  `pieces`); the whole block when b == m, a kept dimension follows, S_m < B and
  3 S_m <= 2 B; else each D_b block in pieces of core * (B // core), core = S_(b-1).
* Integers add exactly (any order), wrapping to T's width.
* mean: the sum divided by the count in float64, rounded to T. nanmean: by the count of
  numbers; none -> the platform's default NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy_order_model import pairwise

_SIGNED_DEFAULT, _UNSIGNED_DEFAULT = np.dtype(np.int64), np.dtype(np.uint64)


def loop_dtype(
    x: np.dtype, dtype: Any = None, out: np.ndarray | None = None, mean: bool = False
) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype).newbyteorder("=")
    if out is not None:
        return np.promote_types(out.dtype, x).newbyteorder("=")
    if mean and x.kind in "biu":
        return np.dtype(np.float64)
    if x.kind == "b" or (x.kind == "i" and x.itemsize < 8):
        return _SIGNED_DEFAULT
    if x.kind == "u" and x.itemsize < 8:
        return _UNSIGNED_DEFAULT
    return x.newbyteorder("=")


def copy_strides(x: np.ndarray) -> tuple[int, ...]:
    """The strides (in elements) of np.array(x, copy=True): NumPy's 'K' order copy."""
    nd = x.ndim
    if x.flags.c_contiguous or nd <= 1:
        perm = list(range(nd))
    elif x.flags.f_contiguous:
        perm = list(range(nd))[::-1]
    else:
        perm = sorted(range(nd), key=lambda a: (-abs(x.strides[a]), a))
    strides = [0] * nd
    s = 1
    for a in reversed(perm):
        strides[a] = s
        s *= max(x.shape[a], 1)
    return tuple(strides)


def order(shape: tuple[int, ...], voters: list[tuple[int, ...]]) -> list[int]:
    """The axes (length > 1) in NumPy's iteration order, outermost first."""
    inner = [d for d in range(len(shape)) if shape[d] != 1][::-1]
    for i in range(1, len(inner)):
        v, pos = inner[i], i
        for j in range(i - 1, -1, -1):
            w = inner[j]
            votes = [abs(s[w]) > abs(s[v]) for s in voters if s[v] != 0 and s[w] != 0]
            if not votes:
                continue
            if not all(votes):
                break
            pos = j
        if pos != i:
            inner.insert(pos, inner.pop(i))
    return inner[::-1]


def pieces(sizes: list[int], m: int, kept_after: bool, B: int, cast: bool) -> tuple[int, int]:
    """(unit, piece): one output's block of sizes[0..m] (innermost first) falls into units,
    each cut into pieces (the last one shorter)."""
    S = list(np.cumprod(sizes[: m + 1]))
    n0 = sizes[0]
    if cast and n0 >= B:
        return n0, B
    if m == 0 or 2 * n0 > B:
        return n0, n0
    b = 1
    while b + 1 <= m and S[b] < B:
        b += 1
    if b == m and kept_after and S[m] < B and 3 * S[m] <= 2 * B:
        return int(S[m]), int(S[m])
    core = int(S[b - 1])
    return int(S[b]), core * (B // core)


def _values(x: np.ndarray, T: np.dtype, nan: bool) -> np.ndarray:
    v = x.astype(x.dtype.newbyteorder("="))
    if nan and v.dtype.kind == "f":
        v = np.where(np.isnan(v), v.dtype.type(0), v)
    if T.kind in "iu":
        return v.astype(T)
    with np.errstate(all="ignore"):
        return v.astype(T)


def add_reduce(
    x: np.ndarray,
    axes: tuple[int, ...],
    T: np.dtype,
    *,
    nan: bool = False,
    bufsize: int | None = None,
    out_strides: tuple[int, ...] | None = None,
    cast: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(sums in T of the kept shape, count of non-NaN elements per output)."""
    B = np.getbufsize() if bufsize is None else bufsize
    red = set(axes)
    kept = [d for d in range(x.ndim) if d not in red]
    kshape = tuple(x.shape[d] for d in kept)
    vals = _values(x, T, nan)
    isnum = ~np.isnan(x) if nan and x.dtype.kind == "f" else np.ones(x.shape, bool)
    counts = isnum.sum(axis=tuple(axes)).astype(np.int64) if x.ndim else np.int64(1)
    if T.kind in "iu":  # exact, any order, wrapped to T
        wide = vals.astype(np.uint64)
        s = np.add.reduce(wide, axis=tuple(axes)) if x.ndim else wide
        return np.asarray(s).astype(T), np.asarray(counts)
    res = np.zeros(kshape, T)
    if x.size == 0 or x.ndim == 0:
        if x.ndim == 0 and x.size:
            res = res + vals
        return res, np.asarray(counts)
    es = x.itemsize
    ordering = copy_strides(x) if nan else tuple(s // es if s % es == 0 else s for s in x.strides)
    if cast is None:
        cast = x.dtype.newbyteorder("=") != T or not x.dtype.isnative
        if not nan:
            cast = cast or not x.flags.aligned
    voters = [ordering]
    if out_strides is not None:
        voters.append(tuple(0 if d in red else out_strides[kept.index(d)] for d in range(x.ndim)))
    walk = order(x.shape, voters)  # outermost first
    # dimensions, innermost first: reduced neighbours coalesce when the ordering is contiguous
    dims: list[list[int]] = []
    for d in reversed(walk):
        if dims and d in red and dims[-1][0] in red:
            inner = dims[-1][-1]
            if ordering[d] == ordering[inner] * x.shape[inner]:
                dims[-1].append(d)
                continue
        dims.append([d])
    if not dims or dims[0][0] not in red:
        # sequential: reduced positions in iteration order, outermost first
        rwalk = [d for d in walk if d in red] + [d for d in axes if x.shape[d] == 1]
        v = vals.transpose(rwalk + kept).reshape(-1, *kshape) if rwalk else vals[None]
        for r in range(v.shape[0]):
            res = res + v[r]
        return res, np.asarray(counts)
    m = 0
    while m + 1 < len(dims) and dims[m + 1][0] in red:
        m += 1
    block = [d for dim in dims[: m + 1] for d in dim][::-1]  # outermost first
    outer = [d for d in walk if d in red and d not in block]
    outer += [d for d in axes if x.shape[d] == 1]
    unit, piece = pieces(
        [int(np.prod([x.shape[d] for d in dim])) for dim in dims], m, m + 1 < len(dims), B, cast
    )
    S = int(np.prod([x.shape[d] for d in block]))
    v = vals.transpose(outer + kept + block).reshape(-1, int(np.prod(kshape, dtype=np.int64)), S)
    flat = res.reshape(-1)
    for p in range(v.shape[0]):
        for u in range(0, S, unit):
            for k in range(u, u + unit, piece):
                flat = flat + pairwise(v[p][:, k : min(k + piece, u + unit)])
    return flat.reshape(kshape), np.asarray(counts)


def default_nan() -> np.float64:
    """What 0.0 / 0.0 gives on this machine (sign set on x86)."""
    with np.errstate(invalid="ignore"):
        return np.float64(0.0) / np.float64(0.0)


def reduce(
    fname: str,
    x: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    bufsize: int | None = None,
    out: np.ndarray | None = None,
) -> Any:
    """np.<fname>(x, axis, dtype, out=out's dtype and strides, keepdims) in NumPy's order."""
    x = np.asarray(x)
    mean = fname in ("mean", "nanmean")
    nan = fname in ("nansum", "nanmean") and x.dtype.kind == "f"
    T = loop_dtype(x.dtype, dtype, out, mean)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(sorted(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))))
    out_strides = None
    if out is not None:
        es = out.itemsize
        ost = [s // es for s in out.strides]
        if keepdims:
            ost = [s for d, s in enumerate(ost) if d not in axes]
        out_strides = tuple(ost)
    s, counts = add_reduce(x, axes, T, nan=nan, bufsize=bufsize, out_strides=out_strides)
    if mean:
        n = counts if nan else np.int64(int(np.prod([x.shape[d] for d in axes])))
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.asarray(s, np.float64) / np.asarray(n, np.float64)
        if nan:
            q = np.where(np.asarray(counts) == 0, default_nan(), q)
        s = q.astype(T)
    s = np.asarray(s)
    if keepdims:
        s = s.reshape(tuple(1 if d in axes else n for d, n in enumerate(x.shape)))
    return s if s.ndim else s[()]
