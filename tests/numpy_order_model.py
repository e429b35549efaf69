"""The project's model of the order in which NumPy 2.4 adds float32/float64 in np.sum
and np.mean: slow, plain NumPy element-wise adds in that order, no reduction of
NumPy's own. The tests check it against NumPy (so the model is right) and Raptors
against it (so Raptors follows the order, not only the answers of the inputs tried).

The order, decided from the memory layout as NumPy's iterator decides it:

* pairwise(run): fewer than 8 elements: -0.0 + a[0] + a[1] + ...; up to a leaf of
  128: 8 accumulators seeded with a[0:8], r[k] += a[i + k] in steps of 8, then
  ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the n % 8 tail one by one;
  longer: pairwise(a[:h]) + pairwise(a[h:]) with h = n // 2 rounded down to a
  multiple of 8.
* The axes: length-1 axes dropped, then ordered by |stride| (innermost last) with a
  stable insertion sort from the innermost axis outward; a zero stride (broadcast)
  compares with nothing. Neighbours that are one run in memory merge.
* All axes (axis=None): one run -> +0.0 + pairwise(run) (TREE). Otherwise NumPy
  buffers (SEGMENTS): its core is the most innermost axes whose product fits in
  np.getbufsize() elements; a buffer holds bufsize // core whole cores of the next
  axis out and never crosses that axis' end; result ((+0.0 + pw(seg0)) + pw(seg1)) ...
  A view that fits one buffer is one segment; a line longer than the buffer is
  summed line by line -- or in pieces of bufsize when NumPy copies the input anyway
  (misaligned or byte-swapped data), which it does for a single run too.
* One axis, innermost after ordering (ROWS): out[i] = +0.0 + pairwise(line i), a
  copied line longer than bufsize in pieces of bufsize. Any other axis (COLUMNS):
  out = ((+0.0 + x[0]) + x[1]) + ... along the reduced axis, element-wise.
* mean = sum / count, divided in float64 (a float32 sum over an intp count promotes),
  then rounded to the input's dtype.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

LEAF = 128
ACCUMULATORS = 8


def split_at(n: int, rounded: bool = True) -> int:
    """Where NumPy splits a run longer than a leaf: n // 2, down to a multiple of 8."""
    h = n // 2
    return h - h % 8 if rounded else h


def _leaves(n: int, leaf: int, rounded: bool) -> Iterator[tuple[int, int]]:
    """(start, length) of each leaf of a run of n, left to right."""
    todo = [(0, n)]
    while todo:
        start, m = todo.pop()
        if m <= leaf:
            yield start, m
            continue
        h = split_at(m, rounded)
        todo.append((start + h, m - h))  # popped after the left half
        todo.append((start, h))


def _leaf_sums(block: np.ndarray, accumulators: int) -> np.ndarray:
    """Pairwise sums of leaves along the last axis of block (every one of length m)."""
    m = block.shape[-1]
    if m < 8:
        acc = np.full(block.shape[:-1], -0.0, block.dtype)
        for i in range(m):
            acc = acc + block[..., i]
        return acc
    k = accumulators if m >= accumulators else 8
    lanes = block[..., :k].copy()
    i = k
    while i < m - m % k:
        lanes = lanes + block[..., i : i + k]
        i += k
    while lanes.shape[-1] > 1:  # neighbours first: ((r0 + r1) + (r2 + r3)) + ...
        lanes = lanes[..., 0::2] + lanes[..., 1::2]
    acc = lanes[..., 0]
    for j in range(i, m):
        acc = acc + block[..., j]
    return acc


def pairwise(
    lines: np.ndarray,
    *,
    accumulators: int = ACCUMULATORS,
    leaf: int = LEAF,
    rounded_split: bool = True,
) -> np.ndarray:
    """NumPy's pairwise sum (no identity) of each row of the 2-D array lines. The
    keywords give wrong orders, for tests that show the order matters."""
    rows, n = lines.shape
    leaves = list(_leaves(n, leaf, rounded_split))
    sums: dict[int, np.ndarray] = {}
    for length in {m for _, m in leaves}:
        starts = [s for s, m in leaves if m == length]
        # Every leaf of this length at once: (rows, leaves, length).
        block = lines[:, np.add.outer(starts, np.arange(length))]
        for s, col in zip(starts, np.moveaxis(_leaf_sums(block, accumulators), 1, 0)):
            sums[s] = col

    def join(start: int, m: int) -> np.ndarray:
        if m <= leaf:
            return sums[start]
        h = split_at(m, rounded_split)
        both: np.ndarray = join(start, h) + join(start + h, m - h)
        return both

    if n == 0:
        return np.full(rows, -0.0, lines.dtype)
    return join(0, n)


def fold(parts: np.ndarray) -> np.generic:
    """((+0.0 + parts[0]) + parts[1]) + ...: the identity, then one add after another."""
    acc = np.zeros(1, parts.dtype)
    for p in parts:
        acc = acc + p
    return acc[0]  # type: ignore[no-any-return]


def tree_sum(run: np.ndarray) -> np.generic:
    """np.sum of one run (a 1-D array in memory order): +0.0 + pairwise(run)."""
    return fold(pairwise(np.asarray(run)[None]))


def iteration_axes(shape: tuple[int, ...], strides: tuple[int, ...]) -> list[int]:
    """The axes NumPy's iterator walks, outermost first: length-1 axes dropped, then an
    insertion sort from the innermost axis outward that moves an axis inward past
    those of larger |stride|; a zero stride is ambiguous and moves nothing."""
    axes = [d for d in range(len(shape)) if shape[d] != 1]
    inner = axes[::-1]  # innermost first, as NumPy's perm
    for i in range(1, len(inner)):
        v = inner[i]
        pos = i
        for j in range(i - 1, -1, -1):
            w = inner[j]
            if strides[v] == 0 or strides[w] == 0:
                continue
            if abs(strides[w]) <= abs(strides[v]):
                break
            pos = j
        if pos != i:
            inner.insert(pos, inner.pop(i))
    return inner[::-1]


def _merged(x: np.ndarray, axes: list[int]) -> list[tuple[int, int]]:
    """(length, stride) of the axes after merging neighbours that are one run."""
    dims: list[tuple[int, int]] = []
    for d in axes:
        n, s = x.shape[d], x.strides[d]
        if dims and dims[-1][1] == s * n:
            dims[-1] = (dims[-1][0] * n, s)
        else:
            dims.append((n, s))
    return dims


def copies_input(x: np.ndarray) -> bool:
    """NumPy copies the input through its buffer: misaligned or byte-swapped data."""
    return not x.flags.aligned or not x.dtype.isnative


def _native_in_order(x: np.ndarray, axes: list[int]) -> np.ndarray:
    """x's values in native byte order, as a C array whose axes are `axes`."""
    v = x.astype(x.dtype.newbyteorder("="))
    v = v.reshape([n for n in x.shape if n != 1]) if x.ndim else v.reshape(())
    kept = [d for d in range(x.ndim) if x.shape[d] != 1]
    return np.ascontiguousarray(v.transpose([kept.index(d) for d in axes]))


def segments(dims: list[int], bufsize: int, copied: bool) -> tuple[int, int]:
    """NumPy's buffering of a view that does not coalesce, its axes' lengths dims
    (outermost first): (row, seg): the elements in iteration order fall into rows of
    `row` elements, each cut into segments of `seg` (the last one shorter)."""
    total = int(np.prod(dims, dtype=np.int64))
    at, core = len(dims), 1
    while at > 0 and core * dims[at - 1] <= bufsize:
        at -= 1
        core *= dims[at]
    if at == 0:  # the whole view fits one buffer
        return total, total
    if at == len(dims):  # a line longer than the buffer
        return dims[-1], bufsize if copied else dims[-1]
    return dims[at - 1] * core, bufsize // core * core


def sum_all(x: np.ndarray, bufsize: int | None = None) -> np.generic:
    """np.sum(x) (axis=None) in NumPy's order, with np.getbufsize() unless told."""
    bufsize = np.getbufsize() if bufsize is None else bufsize
    axes = iteration_axes(x.shape, x.strides)
    flat = _native_in_order(x, axes).reshape(-1)
    dims = _merged(x, axes)
    if flat.size == 0:
        return np.zeros(1, flat.dtype)[0]  # type: ignore[no-any-return]
    if len(dims) <= 1 and not copies_input(x):
        return tree_sum(flat)
    row, seg = segments([n for n, _ in dims], bufsize, copies_input(x))
    rows = flat.reshape(-1, row)
    whole = row - row % seg
    # The whole segments of every row at once, then each row's shorter last one.
    parts = pairwise(rows[:, :whole].reshape(-1, seg)).reshape(len(rows), -1)
    if whole < row:
        parts = np.column_stack([parts, pairwise(rows[:, whole:])])
    return fold(parts.reshape(-1))


def sum_axis(x: np.ndarray, axis: int, bufsize: int | None = None) -> np.ndarray:
    """np.sum(x, axis) in NumPy's order: ROWS when the reduced axis is innermost after
    ordering (or has length 1), else COLUMNS."""
    bufsize = np.getbufsize() if bufsize is None else bufsize
    axis %= x.ndim
    native = x.astype(x.dtype.newbyteorder("="))
    length = x.shape[axis]
    out_shape = x.shape[:axis] + x.shape[axis + 1 :]
    if length == 0:
        return np.zeros(out_shape, native.dtype)
    order = iteration_axes(x.shape, x.strides)
    if not order or order[-1] == axis or length == 1:
        lines = np.moveaxis(native, axis, -1).reshape(-1, length)
        if copies_input(x) and length > bufsize:  # a copied line, in pieces of bufsize
            parts = [pairwise(lines[:, s : s + bufsize]) for s in range(0, length, bufsize)]
        else:
            parts = [pairwise(lines)]
        acc = np.zeros(lines.shape[0], native.dtype)
        for p in parts:
            acc = acc + p
        return acc.reshape(out_shape)
    acc = np.zeros(out_shape, native.dtype)
    for r in range(length):
        acc = acc + np.take(native, r, axis=axis)
    return acc


def mean_of(total: np.generic | np.ndarray, count: int, dtype: type) -> np.ndarray:
    """NumPy's mean from its sum: divided by the count in float64, rounded to dtype."""
    with np.errstate(invalid="ignore"):
        return (np.asarray(total, np.float64) / np.float64(count)).astype(dtype)
