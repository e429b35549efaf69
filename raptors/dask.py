"""Raptors' kernels on Dask arrays, bit for bit equal to Dask on NumPy.

``sum``, ``mean``, ``nansum`` and ``nanmean`` (dask.array's signature), ``add``,
``subtract``, ``multiply`` and ``scale`` return lazy ``dask.array.Array`` objects whose
graphs are the ones dask.array builds -- dask's own ``reduction`` (chunking, the
``split_every`` tree, dtype, keepdims, ``out=``) and ``elemwise`` (broadcasting, NumPy
arrays and scalars as operands) -- with Raptors in each task where dask calls NumPy. Raptors
equals NumPy bit for bit on every call, so every task returns NumPy's bits, and so does
the whole graph, on any scheduler, however the array is chunked.

Where Raptors would refuse a call (a dtype it does not support), the graph is not built:
the same ``TypeError`` Raptors raises, naming what it supports, when the function is called
-- never a silent NumPy fallback. Inside a task Raptors runs on one thread, the task's own
(dask runs one task per worker thread), so a worker never runs more threads than it has.

Needs the ``dask`` extra (``pip install raptors[dask]``); ``import raptors`` does not import
dask, only ``import raptors.dask`` does.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from numbers import Integral
from typing import Any

import dask
import dask.array as da
import numpy as np
from dask.array import reductions as _dask_reductions
from dask.array.core import _concatenate2, is_scalar_for_elemwise
from dask.array.utils import validate_axis
from dask.base import tokenize
from dask.utils import deepmap, getargspec

from . import api as _api
from . import elementwise as _elementwise
from . import reductions as _reductions

__all__ = [
    "add",
    "mean",
    "multiply",
    "nanmean",
    "nansum",
    "scale",
    "subtract",
    "sum",
]

# ---- Threads: one per task ----------------------------------------------------------------
# Raptors' thread count is one process-wide setting, and dask runs one task per worker thread
# (the threaded scheduler and each distributed worker alike, their pools sized to the cores):
# while any task of this module runs in a process, the count is 1, and the count in effect
# before the first of them is restored after the last. (Restoring per task instead would let
# a task that ends put the count back under another that still runs.)
_threads_lock = threading.Lock()
_running = 0
_restore = 1


@contextmanager
def _one_thread() -> Iterator[None]:
    global _running, _restore
    with _threads_lock:
        if _running == 0:
            _restore = _api.get_num_threads()
            if _restore != 1:
                _api.set_num_threads(1)
        _running += 1
    try:
        yield
    finally:
        with _threads_lock:
            _running -= 1
            if _running == 0 and _restore != 1:
                _api.set_num_threads(_restore)


# ---- What the tasks run: Raptors where dask.array runs NumPy --------------------------------
# Looked up on the modules at call time (not bound at import), so a test can watch them.


def _sum_task(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """np.sum's place in dask's sum (chunk, combine, aggregate) and nansum (combine,
    aggregate). ``dtype`` is a named argument: dask's reduction binds it when it is."""
    with _one_thread():
        return _reductions.sum(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _nansum_task(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """np.nansum's place in dask's nansum and nanmean (the chunk step)."""
    with _one_thread():
        return _reductions.nansum(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _nannumel(x: Any, **kwargs: Any) -> Any:
    """dask's nannumel for NumPy chunks: the numbers (not NaN) as NumPy sums its mask in the
    mean's dtype (dask's count lives in that dtype). libraptors counts them in one read of a
    float chunk; where its count would not be NumPy's (past 2**24 per float32 result, where
    NumPy's sum of ones rounds), the mask is NumPy's isnan, summed by Raptors."""
    with _one_thread():
        n = _reductions._nancount(x, **kwargs)
    if n is not None:
        return n
    mask = np.isnan(x)
    np.logical_not(mask, out=mask)
    with _one_thread():
        return _reductions.sum(mask, **kwargs)


def _mean_combine(pairs: Any, axis: Any = None, computing_meta: bool = False, **kwargs: Any) -> Any:
    """dask's mean_combine with Raptors' sum for ndarray.sum: counts and totals are summed in
    their own dtype (dask passes no dtype= here), plain sums for nanmean too."""
    if not isinstance(pairs, list):
        pairs = [pairs]
    ns = deepmap(lambda pair: pair["n"], pairs) if not computing_meta else pairs
    with _one_thread():
        n = _reductions.sum(_concatenate2(ns, axes=axis), axis=axis, **kwargs)
        if computing_meta:
            return n
        totals = deepmap(lambda pair: pair["total"], pairs)
        total = _reductions.sum(_concatenate2(totals, axes=axis), axis=axis, **kwargs)
    return {"n": n, "total": total}


def _mean_agg(
    pairs: Any, dtype: Any = "f8", axis: Any = None, computing_meta: bool = False, **kwargs: Any
) -> Any:
    """dask's mean_agg with Raptors' sums; the one division per result element is dask's own
    (NumPy's divide: libraptors has no division)."""
    ns = deepmap(lambda pair: pair["n"], pairs) if not computing_meta else pairs
    with _one_thread():
        n = _reductions.sum(_concatenate2(ns, axes=axis), axis=axis, dtype=dtype, **kwargs)
        if computing_meta:
            return n
        totals = deepmap(lambda pair: pair["total"], pairs)
        total = _reductions.sum(_concatenate2(totals, axes=axis), axis=axis, dtype=dtype, **kwargs)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _dask_reductions.divide(total, n, dtype=dtype)


# ---- Checks made when the graph is built ----------------------------------------------------


def _require_numpy_chunks(a: Any, fname: str) -> None:
    """Raptors computes on NumPy ndarrays; a dask array of other chunks (masked, sparse,
    CuPy) is refused by name, as raptors refuses those arrays themselves."""
    meta = getattr(a, "_meta", None)
    if isinstance(a, da.Array) and type(meta) is not np.ndarray:
        raise TypeError(
            f"raptors.dask.{fname} computes on dask arrays of numpy.ndarray chunks, got chunks "
            f"of type {type(meta).__module__}.{type(meta).__qualname__}"
        )


def _probe(*calls: Callable[[], Any]) -> None:
    """Each call made once on one element: Raptors' TypeError for what it does not support
    surfaces now, where dask would build a graph, and not in the middle of a compute."""
    with np.errstate(all="ignore"):
        for call in calls:
            call()


def _one(dtype: Any) -> np.ndarray:
    return np.zeros(1, dtype=dtype)


def _name(fname: str) -> str:
    # A prefix of Raptors' own: a graph never shares keys with dask.array's NumPy graph of
    # the same call (they would be taken for the same tasks), and the dashboard says whose
    # tasks run.
    return f"raptors-{fname}"


# ---- The tree above the chunks, in one task -------------------------------------------------
# dask's reduction runs its chunk step on every chunk, then a tree of combine steps, each task
# taking split_every results of the level below, and the aggregate. On a distributed cluster
# every level costs a round trip through the scheduler -- about 8 ms measured on a 2-core
# machine, where its batched sends wait 2 and 5 ms -- against microseconds of arithmetic on
# partial results a chunk's reduced axes have shrunk to 1. So where the partial results of
# one output block are few and small, the levels above the chunks run in one task per output
# block: dask's groups, its calls and their order, so dask's bits, in one round trip instead
# of one per level. Larger partial results keep dask's tree, which spreads them over workers.
FUSE_MAX_PARTIALS = 4096
FUSE_MAX_BYTES = 32 * 2**20


def _split_every_of(split_every: Any, axes: tuple[int, ...]) -> dict[int, int] | None:
    """dask's _tree_reduce's normalization: blocks per task along each reduced axis (None
    where dask would raise: its error is left to it)."""
    default = 16 if da.array_expr_enabled() else 4  # (each _tree_reduce's own default)
    se = split_every or dask.config.get("split_every", default)
    if isinstance(se, dict):
        return {k: se.get(k, 2) for k in axes}
    if isinstance(se, Integral):
        return dict.fromkeys(axes, max(int(se ** (1 / (len(axes) or 1))), 2))
    return None


def _tree_plan(
    a: Any, axis: Any, dtype: Any, split_every: Any, pair: bool
) -> tuple[tuple[int, ...], dict[int, int], int] | None:
    """(reduced axes, split_every, depth) of dask's tree where it is worth running in one task
    and that task gives one output block per block of the kept axes; None to keep dask's."""
    if not isinstance(a, da.Array):
        return None
    if axis is None:
        axis = tuple(range(a.ndim))
    elif isinstance(axis, Integral):
        axis = (axis,)
    try:  # dask's reduction's normalization (its own checks raise its errors)
        axes = validate_axis(axis, a.ndim)
    except (TypeError, ValueError, IndexError):
        return None
    if len(set(axes)) != len(axes):
        return None
    splits = _split_every_of(split_every, axes)
    if not axes or splits is None:
        return None
    depth = 1
    try:
        for i in axes:
            if splits[i] != 1:
                depth = max(depth, math.ceil(math.log(a.numblocks[i], splits[i])))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    counts = [a.numblocks[i] for i in axes]
    for _ in range(depth - 1):
        counts = [-(-n // splits[i]) for n, i in zip(counts, axes)]
    if depth < 2 or any(n > splits[i] for n, i in zip(counts, axes)):
        return None  # one level already, or dask's last level leaves more than one group
    partials = math.prod(a.numblocks[i] for i in axes)
    kept = math.prod(max(a.chunks[i], default=0) for i in range(a.ndim) if i not in axes)
    size = partials * kept * np.dtype(dtype).itemsize * (2 if pair else 1)
    if not partials <= FUSE_MAX_PARTIALS or not size <= FUSE_MAX_BYTES:  # (NaN: unknown chunks)
        return None
    return axes, splits, depth


def _tree_task(
    parts: Any,
    *,
    axis: Any,
    keepdims: bool,
    splits: tuple[int, ...],
    depth: int,
    combine: Any,
    aggregate: Any,
    concatenate: bool,
    computing_meta: bool = False,
) -> Any:
    """dask's depth - 1 combine levels and its aggregate, on the nested list of one output
    block's chunk results: each level calls ``combine`` on dask's groups of ``splits`` blocks
    along each reduced axis (concatenated first where dask concatenates), in dask's order."""
    axes = sorted(axis)

    def call(func: Any, nested: Any, keep: bool, **kw: Any) -> Any:
        if concatenate:
            if kw:  # (dask composes _concatenate2 first, which takes no computing_meta)
                raise TypeError("computing_meta")
            nested = _concatenate2(nested, axes=axes)
        return func(nested, axis=axis, keepdims=keep, **kw)

    if computing_meta:  # the result's meta, as dask's aggregate step computes it
        return call(aggregate, parts, keepdims, computing_meta=True)
    if not isinstance(parts, list):
        return call(aggregate, parts, keepdims)
    shape: list[int] = []
    node = parts
    for _ in axes:
        shape.append(len(node))
        node = node[0]
    blocks = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        node = parts
        for j in index:
            node = node[j]
        blocks[index] = node
    for _ in range(depth - 1):
        level = np.empty([-(-n // s) for n, s in zip(blocks.shape, splits)], dtype=object)
        for k in np.ndindex(*level.shape):
            group = tuple(slice(j * s, (j + 1) * s) for j, s in zip(k, splits))
            level[k] = call(combine, blocks[group].tolist(), True)
        blocks = level
    return call(aggregate, blocks.tolist(), keepdims)


def _reduction(
    a: Any,
    chunk: Any,
    aggregate: Any,
    *,
    axis: Any,
    keepdims: bool,
    dtype: Any,
    split_every: Any,
    out: Any,
    name: str,
    combine: Any = None,
    concatenate: bool = True,
) -> Any:
    """dask's reduction, its tree above the chunks in one task where _tree_plan says so: then
    the aggregate is _tree_task, taking every chunk result of an output block at once."""
    plan = _tree_plan(a, axis, dtype, split_every, pair=not concatenate)
    if plan is not None:
        axes, splits, depth = plan
        if "dtype" in getargspec(aggregate).args:  # (dask's reduction binds it so, not combine's)
            aggregate = partial(aggregate, dtype=dtype)
        aggregate = partial(
            _tree_task,
            splits=tuple(splits[i] for i in sorted(axes)),
            depth=depth,
            combine=combine or aggregate,
            aggregate=aggregate,
            concatenate=concatenate,
        )
        combine, concatenate = None, False
        split_every = {i: max(a.numblocks[i], 2) for i in axes}
    return _dask_reductions.reduction(
        a,
        chunk,
        aggregate,
        axis=axis,
        keepdims=keepdims,
        dtype=dtype,
        split_every=split_every,
        combine=combine,
        out=out,
        concatenate=concatenate,
        name=name,
    )


# ---- Reductions -------------------------------------------------------------------------------


def _sum(
    fname: str,
    nan: bool,
    a: Any,
    axis: Any,
    dtype: Any,
    keepdims: bool,
    split_every: Any,
    out: Any,
) -> Any:
    """dask's reduction with Raptors' sum (or nansum) on the chunks and sum up the tree."""
    _require_numpy_chunks(a, fname)
    chunk_sum = _reductions.nansum if nan else _reductions.sum
    dt = chunk_sum(_one(a.dtype)).dtype if dtype is None else dtype
    _probe(
        lambda: chunk_sum(_one(a.dtype), dtype=dt),
        lambda: _reductions.sum(_one(dt), dtype=dt),
    )
    return _reduction(
        a,
        _nansum_task if nan else _sum_task,
        _sum_task,
        axis=axis,
        keepdims=keepdims,
        dtype=dt,
        split_every=split_every,
        out=out,
        name=_name(fname),
    )


def sum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """``dask.array.sum`` with Raptors' sum in every task; equal to it bit for bit."""
    return _sum("sum", False, a, axis, dtype, keepdims, split_every, out)


def nansum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """``dask.array.nansum`` with Raptors' nansum (chunks) and sum (the tree); equal to it
    bit for bit."""
    return _sum("nansum", True, a, axis, dtype, keepdims, split_every, out)


def _nanmean_chunk(x: Any, dtype: Any = "f8", computing_meta: bool = False, **kwargs: Any) -> Any:
    """dask's mean_chunk for nanmean: the count (nannumel) and the total (nansum) of a chunk,
    in the mean's dtype -- from one read of a float chunk (libraptors counts the numbers as
    it adds them), else as dask computes them, with Raptors' nansum."""
    if computing_meta:
        return x
    with _one_thread():
        both = _reductions._nansum_count(x, dtype=dtype, **kwargs)
    if both is None:
        return _dask_reductions.mean_chunk(
            x, sum=_nansum_task, numel=_nannumel, dtype=dtype, **kwargs
        )
    total, n = both
    return {"n": n, "total": total}


def _mean_chunk_for(nan: bool) -> Any:
    """dask's own mean_chunk with Raptors' sums: the count and the total of each chunk, both
    in the mean's dtype."""
    if nan:
        return _nanmean_chunk
    return partial(_dask_reductions.mean_chunk, sum=_sum_task, numel=_dask_reductions.numel)


def _mean(
    fname: str,
    nan: bool,
    a: Any,
    axis: Any,
    dtype: Any,
    keepdims: bool,
    split_every: Any,
    out: Any,
) -> Any:
    _require_numpy_chunks(a, fname)
    # dask's dtype: np.mean's of one element of a's dtype (Raptors' mean gives NumPy's).
    dt = _reductions.mean(np.ones(1, dtype=a.dtype)).dtype if dtype is None else dtype
    _probe(
        lambda: (_reductions.nansum if nan else _reductions.sum)(_one(a.dtype), dtype=dt),
        lambda: _reductions.sum(np.ones(1, dtype=bool), dtype=dt),
        lambda: _reductions.sum(_one(dt), dtype=dt),
    )
    return _reduction(
        a,
        _mean_chunk_for(nan),
        _mean_agg,
        axis=axis,
        keepdims=keepdims,
        dtype=dt,
        split_every=split_every,
        combine=_mean_combine,
        out=out,
        concatenate=False,
        name=_name(fname),
    )


def mean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """``dask.array.mean`` with Raptors' sums in every task; equal to it bit for bit."""
    return _mean("mean", False, a, axis, dtype, keepdims, split_every, out)


def nanmean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    keepdims: bool = False,
    split_every: Any = None,
    out: Any = None,
) -> Any:
    """``dask.array.nanmean`` with Raptors' nansum and sums in every task; equal to it bit for
    bit."""
    return _mean("nanmean", True, a, axis, dtype, keepdims, split_every, out)


# ---- Element-wise -----------------------------------------------------------------------------


def _add(x: Any, y: Any) -> Any:
    with _one_thread():
        return _elementwise.add(x, y)


def _subtract(x: Any, y: Any) -> Any:
    with _one_thread():
        return _elementwise.subtract(x, y)


def _multiply(x: Any, y: Any) -> Any:
    with _one_thread():
        return _elementwise.multiply(x, y)


def _scale(x: Any, factor: Any) -> Any:
    with _one_thread():
        return _api.scale(x, factor)


def _elemwise() -> Any:
    """The elemwise dask.array's operators use: the classic graph's, or the array
    expressions' when dask's query planning is on (``array.query-planning``). Reductions
    need no such choice: dask.array.reductions.reduction is already the one in use."""
    if da.array_expr_enabled():
        from dask.array._array_expr._collection import elemwise
    else:
        from dask.array.core import elemwise
    return elemwise


def _probe_value(v: Any) -> Any:
    """What dask's elemwise infers the result's dtype from: one element of each array's
    dtype, scalars (0-d ndarrays included) as they are."""
    if is_scalar_for_elemwise(v):
        return v
    return np.ones((1,) * max(1, v.ndim), dtype=v.dtype)


def _elementwise_graph(fname: str, op: Any, kernel: Any, *args: Any) -> Any:
    args = tuple(np.asarray(v) if isinstance(v, (list, tuple)) else v for v in args)
    for v in args:
        _require_numpy_chunks(v, fname)
    if all(is_scalar_for_elemwise(v) for v in args):
        raise TypeError(f"raptors.dask.{fname}: at least one operand must be an array")
    values = [_probe_value(v) for v in args]
    _probe(lambda: kernel(*values))
    # dask.array's own elemwise (x + y is elemwise(operator.add, x, y)): its broadcasting,
    # chunk alignment, dtype inference and the conversion of NumPy operands.
    kw = {}
    if da.array_expr_enabled() and fname == "scale":
        # The array expressions make a scalar a 0-d array (x * 0.5 is float64 there, NumPy
        # 2's rule for arrays) and infer the dtype from a 1-element array of its dtype, which
        # scale takes only as a 0-d factor: the same dtype, found from the dtypes.
        kw["dtype"] = np.result_type(args[0].dtype, np.asarray(args[1]).dtype)
    result = _elemwise()(op, *args, name=f"{_name(fname)}-{tokenize(op, *args)}", **kw)
    if result is NotImplemented:  # (its dtype inference failed: the probe above did not)
        raise TypeError(f"raptors.dask.{fname}: unsupported operands")
    return result


def add(x: Any, y: Any) -> Any:
    """``x + y`` on dask arrays (or a dask array and a NumPy array or scalar), with Raptors'
    add in every task; equal to dask's bit for bit."""
    return _elementwise_graph("add", _add, _elementwise.add, x, y)


def subtract(x: Any, y: Any) -> Any:
    """``x - y``, as :func:`add`."""
    return _elementwise_graph("subtract", _subtract, _elementwise.subtract, x, y)


def multiply(x: Any, y: Any) -> Any:
    """``x * y``, as :func:`add`."""
    return _elementwise_graph("multiply", _multiply, _elementwise.multiply, x, y)


def scale(a: Any, factor: Any) -> Any:
    """``a * factor`` for a real scalar factor, with Raptors' scale in every task; equal to
    dask's bit for bit (NumPy 2's rules: a Python scalar takes a's dtype)."""
    if not is_scalar_for_elemwise(factor) or isinstance(factor, str):
        raise TypeError(
            f"raptors.dask.scale: factor must be a real number (int or float), got "
            f"{type(factor).__name__}"
        )
    if is_scalar_for_elemwise(a):
        raise TypeError("raptors.dask.scale: a must be an array")
    return _elementwise_graph("scale", _scale, _api.scale, a, factor)
