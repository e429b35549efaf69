"""raptors.dask against dask.array on NumPy, bit for bit.

Every result is computed twice on the same scheduler -- the call through dask.array on NumPy
(``da.nanmean(x, ...)``, ``x + y``, ``x * factor``) and the same call through raptors.dask --
and the two must have the same dtype, shape and bytes, NaNs included. On dask's threaded
scheduler over a matrix of chunkings (one chunk, ragged, rows, columns, small blocks),
sources (C order, strided views, Fortran order, negative strides), axes, keepdims,
split_every, dtypes and dtype=; on a LocalCluster of two worker processes, also when a
worker is killed in the middle of a computation. Then: Raptors does the arithmetic in every
task (no silent NumPy), one thread per task, errors of the kind and at the stage dask's.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import dask
import dask.array as da
import numpy as np
import pytest
from dask.array import reductions as dask_reductions
from distributed import Client, LocalCluster

import raptors
import raptors.dask as rd
from raptors import elementwise as rp_elementwise
from raptors import reductions as rp_reductions

REDUCTIONS = ["sum", "mean", "nansum", "nanmean"]
BINARY = {"add": lambda x, y: x + y, "subtract": lambda x, y: x - y, "multiply": lambda x, y: x * y}
SHAPE = (37, 53)
rng = np.random.default_rng(20260823)


def _data(dtype: str) -> np.ndarray:
    """A (74, 106) base array: numbers over six decades (so the order of additions shows in
    the rounding), float32 with 2% NaN."""
    shape = (2 * SHAPE[0], 2 * SHAPE[1])
    if dtype in ("int16", "int32"):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    x = rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)
    x = x.astype(dtype)
    if dtype == "float32":
        x[rng.random(shape) < 0.02] = np.nan
    return x


BASES = {dt: _data(dt) for dt in ("float32", "float64", "int16", "int32")}


def sources(base: np.ndarray) -> dict[str, np.ndarray]:
    """SHAPE-d arrays over the base's memory: C order, a strided view, Fortran order, reversed
    (negative strides). Their chunks in dask are views of them."""
    return {
        "C": np.ascontiguousarray(base[: SHAPE[0], : SHAPE[1]]),
        "strided": base[::2, 1::2][: SHAPE[0], : SHAPE[1]],
        "F": np.asfortranarray(base[1 : SHAPE[0] + 1, 3 : SHAPE[1] + 3]),
        "reversed": base[::-2, ::-2][: SHAPE[0], : SHAPE[1]],
    }


CHUNKINGS = {
    "one": SHAPE,
    "ragged": ((5, 20, 12), (30, 1, 22)),
    "rows": (8, SHAPE[1]),
    "columns": (SHAPE[0], 10),
    "blocks": (6, 7),
}
AXES = [None, 0, -1, (0, 1)]
SPLIT_EVERY = [None, 2, {0: 3, 1: 2}]


def same_bits(actual, expected, what=""):
    """The same type, dtype, shape and bytes: bit for bit, NaNs' bits included."""
    assert type(actual) is type(expected), (what, type(actual), type(expected))
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.dtype == e.dtype, (what, a.dtype, e.dtype)
    assert a.shape == e.shape, (what, a.shape, e.shape)
    if a.tobytes() != e.tobytes():
        bad = np.argwhere(a.reshape(-1).view(np.uint8) != e.reshape(-1).view(np.uint8))
        raise AssertionError(f"{what}: the bits differ (first byte {bad[0][0]}): {a!r} vs {e!r}")


def compute_pairs(pairs, scheduler):
    """Compute (dask on NumPy, raptors.dask) pairs in one go and compare each pair."""
    flat = [r for _, ref, got in pairs for r in (ref, got)]
    if isinstance(scheduler, Client):
        results = scheduler.gather(scheduler.compute(flat))
    else:
        results = dask.compute(*flat, scheduler=scheduler)
    for i, (what, _, _) in enumerate(pairs):
        same_bits(results[2 * i + 1], results[2 * i], what)
    return len(pairs)


def reduction_pairs(fname, data, source_names=None, chunking_names=None, **fixed):
    """(description, dask on NumPy, raptors.dask) over the matrix: every source and
    chunking, each axis with each split_every; keepdims alternates across them."""
    pairs = []
    srcs = sources(BASES[data])
    for (sname, src), (cname, chunks) in itertools.product(srcs.items(), CHUNKINGS.items()):
        if source_names and sname not in source_names:
            continue
        if chunking_names and cname not in chunking_names:
            continue
        x = da.from_array(src, chunks=chunks)
        for i, (axis, se) in enumerate(itertools.product(AXES, SPLIT_EVERY)):
            kw = dict(axis=axis, keepdims=bool(i % 2), split_every=se, **fixed)
            ref = getattr(da, fname)(x, **kw)
            got = getattr(rd, fname)(x, **kw)
            pairs.append((f"{fname} {data} {sname} {cname} {kw}", ref, got))
    return pairs


# ---- The threaded scheduler ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "int32"])
@pytest.mark.parametrize("fname", REDUCTIONS)
def test_reductions_equal_dask_on_numpy_threaded(fname, dtype):
    assert compute_pairs(reduction_pairs(fname, dtype), "threads") == 4 * 5 * 12


@pytest.mark.parametrize(
    "fname, dtype, kw",
    [
        ("sum", "float32", {"dtype": np.float64}),
        ("sum", "int32", {"dtype": np.float32}),
        ("sum", "int16", {"dtype": np.int32}),
        ("sum", "int16", {"dtype": np.int16}),  # wraps, as NumPy's
        ("mean", "float32", {"dtype": np.float64}),
        ("mean", "int32", {"dtype": np.float32}),
        ("nansum", "float32", {"dtype": np.float64}),
        ("nansum", "int16", {"dtype": np.int8}),
        ("nanmean", "float64", {"dtype": np.float32}),
        ("nanmean", "int16", {"dtype": np.float32}),
    ],
)
def test_dtype_keyword_equals_dask_on_numpy(fname, dtype, kw):
    pairs = reduction_pairs(fname, dtype, ("C", "strided"), ("ragged", "blocks"), **kw)
    compute_pairs(pairs, "threads")


def test_three_dimensions_and_tuple_axes():
    base = BASES["float32"].reshape(-1)[: 6 * 7 * 9 * 2].reshape(12, 7, 9)[::2]
    pairs = []
    for chunks, axis, kd, se in itertools.product(
        [(6, 7, 9), (2, 3, 4), ((1, 5), (7,), (2, 2, 5))],
        [None, (0, 2), (1,), (2, 1), -2],
        [False, True],
        [None, 2],
    ):
        x = da.from_array(base, chunks=chunks)
        for fname in REDUCTIONS:
            kw = dict(axis=axis, keepdims=kd, split_every=se)
            pairs.append(
                (f"{fname} {chunks} {kw}", getattr(da, fname)(x, **kw), getattr(rd, fname)(x, **kw))
            )
    compute_pairs(pairs, "threads")


def test_out_keyword_is_dask_s():
    x = da.from_array(sources(BASES["float32"])["strided"], chunks=(10, 9))
    for fname in REDUCTIONS:
        ref_out, got_out = da.zeros(SHAPE[1], np.float32), da.zeros(SHAPE[1], np.float32)
        ref = getattr(da, fname)(x, axis=0, out=ref_out)
        got = getattr(rd, fname)(x, axis=0, out=got_out)
        assert ref is ref_out and got is got_out
        compute_pairs([(fname, ref, got)], "threads")


def test_bool_and_all_nan_and_empty():
    f = np.full((9, 8), np.nan, np.float32)
    f[:, :3] = 1.5  # some all-NaN columns: nanmean gives NaN there, as dask's
    f[1, 0], f[2, 0] = np.inf, -np.inf  # a block whose nansum is NaN: dask's tree keeps it
    b = BASES["int16"][:9, :8] > 0
    e = np.zeros((0, 8), np.float64)
    pairs = []
    for src, chunks in ((f, (4, 3)), (b, (4, 3)), (e, (0, 3))):
        x = da.from_array(src, chunks=chunks)
        for fname, axis in itertools.product(REDUCTIONS, [None, 0, 1]):
            with np.errstate(all="ignore"):
                ref, got = getattr(da, fname)(x, axis=axis), getattr(rd, fname)(x, axis=axis)
            pairs.append((f"{fname} {src.dtype} {src.shape} axis={axis}", ref, got))
    for what, ref, got in pairs:  # the same warnings, too (all-NaN slices, empty means)
        with warnings.catch_warnings(record=True) as ref_warnings:
            warnings.simplefilter("always")
            ref_result = ref.compute(scheduler="sync")
        with warnings.catch_warnings(record=True) as got_warnings:
            warnings.simplefilter("always")
            got_result = got.compute(scheduler="sync")
        same_bits(got_result, ref_result, what)
        assert [(w.category, str(w.message)) for w in got_warnings] == [
            (w.category, str(w.message)) for w in ref_warnings
        ], what


def elementwise_pairs():
    pairs = []
    f32 = sources(BASES["float32"])
    f64 = sources(BASES["float64"])
    for sname, src in f32.items():
        x = da.from_array(src, chunks=CHUNKINGS["ragged"] if sname != "C" else (10, 9))
        others = {
            "same chunks": da.from_array(f32["C"], chunks=x.chunks),
            "other chunks": da.from_array(f32["reversed"], chunks=(7, 20)),
            "float64 array": da.from_array(f64[sname], chunks=(12, 53)),
            "numpy row": np.ascontiguousarray(f32["strided"][0]),
            "numpy column": f32["F"][:, :1],
            "dask row": da.from_array(f32["C"][:1], chunks=(1, 11)),
            "python float": 0.1,
            "python int": 3,
            "numpy float64": np.float64(1e-3),
            "0-d float32": np.array(2.5, np.float32),
        }
        for (fname, op), (oname, y) in itertools.product(BINARY.items(), others.items()):
            fn = getattr(rd, fname)
            pairs.append((f"{fname} {sname} {oname}", op(x, y), fn(x, y)))
            if oname.startswith(("numpy", "python", "0-d")):
                pairs.append((f"{fname} {oname} {sname}", op(y, x), fn(y, x)))
        for factor in (2.5, 0.1, -3, np.float32(1.1), np.float64(0.3), 1e39):
            with np.errstate(over="ignore"):
                pairs.append((f"scale {sname} {factor!r}", x * factor, rd.scale(x, factor)))
    x = da.from_array(f64["strided"], chunks=(8, 53))
    pairs.append(("scale float64", x * 0.7, rd.scale(x, 0.7)))
    return pairs


def test_elementwise_equal_dask_on_numpy_threaded():
    with np.errstate(over="ignore"):
        compute_pairs(elementwise_pairs(), "threads")


def test_results_are_lazy_dask_arrays():
    x = da.from_array(sources(BASES["float32"])["C"], chunks=10)
    for r in (rd.sum(x), rd.nanmean(x, axis=0), rd.add(x, 1.0), rd.scale(x, 2.0)):
        assert isinstance(r, da.Array)
        assert all(name.startswith(("raptors-", "array-")) for name in r.dask.layers)


def test_float32_counts_round_past_2_24_as_dask_s():
    """dask keeps a mean's counts in the mean's dtype: float32 counts of more than 2**24
    elements round, differently in each split_every tree. (A count kept in float64 gives
    n = 2**24 + 4 here for split_every=3, where dask has 2**24.)"""
    x = da.from_array(np.ones(2**24 + 3, np.float32), chunks=((2**24, 1, 1, 1),))
    pairs = []
    for fname, se in itertools.product(["mean", "nanmean"], [None, 2, 3]):
        pairs.append(
            (
                f"{fname} split_every={se}",
                getattr(da, fname)(x, split_every=se),
                getattr(rd, fname)(x, split_every=se),
            )
        )
    compute_pairs(pairs, "threads")


def test_the_tree_above_the_chunks_runs_in_one_task_where_partials_are_small(monkeypatch):
    """dask's combine levels run inside one task per output block -- one scheduler round trip
    instead of one per level -- with its groups and order, so its bits; partial results larger
    than FUSE_MAX_BYTES keep dask's tree of tasks."""
    x = da.from_array(BASES["float32"], chunks=(5, 7))  # 15 x 16 blocks
    cases = [(None, None), (None, 3), (0, 2), (1, {1: 3}), ((0, 1), {0: 2, 1: 4}), (-1, None)]
    for fname, (axis, se) in itertools.product(REDUCTIONS, cases):
        ref = getattr(da, fname)(x, axis=axis, split_every=se)
        got = getattr(rd, fname)(x, axis=axis, split_every=se)
        assert any("-partial-" in name for name in ref.dask.layers), (fname, axis, se)
        assert not any("-partial-" in name for name in got.dask.layers), (fname, axis, se)
        assert len(got.dask) < len(ref.dask)
        same_bits(*dask.compute(got, ref, scheduler="sync"), f"{fname} {axis} {se}")
    monkeypatch.setattr(rd, "FUSE_MAX_BYTES", 0)
    for fname in REDUCTIONS:
        got = getattr(rd, fname)(x, axis=0, split_every=2)
        assert any("-partial-" in name for name in got.dask.layers)
        same_bits(*dask.compute(got, getattr(da, fname)(x, axis=0, split_every=2)), fname)


def test_mean_intermediates_are_dask_s():
    """Each mean task's output -- a count and a total per block -- equals dask's, dtype
    and bits, for chunk, combine and aggregate."""
    x = BASES["float32"][:20, :30]
    blocks = [x[:7], x[7:]]
    for nan, dt in itertools.product([False, True], [np.float32, np.float64]):
        dask_chunk = dask_reductions.mean_chunk
        if nan:
            dask_chunk = lambda b, **kw: dask_reductions.mean_chunk(  # noqa: E731
                b, sum=np.nansum, numel=dask_reductions.nannumel, **kw
            )
        ours = [rd._mean_chunk_for(nan)(b, dtype=dt, axis=(0,), keepdims=True) for b in blocks]
        theirs = [dask_chunk(b, dtype=dt, axis=(0,), keepdims=True) for b in blocks]
        for o, t in zip(ours, theirs):
            for key in ("n", "total"):
                same_bits(o[key], t[key], f"chunk {key}")
        o = rd._mean_combine(ours, axis=(0,), keepdims=True)
        t = dask_reductions.mean_combine(theirs, axis=(0,), keepdims=True)
        for key in ("n", "total"):
            same_bits(o[key], t[key], f"combine {key}")
        same_bits(
            rd._mean_agg([o, o], dtype=dt, axis=(0,), keepdims=False),
            dask_reductions.mean_agg([t, t], dtype=dt, axis=(0,), keepdims=False),
            "aggregate",
        )


# ---- Raptors computes, on one thread per task -------------------------------------------------

KERNELS = [
    (rp_reductions, "sum"),
    (rp_reductions, "nansum"),
    (rp_reductions, "_nancount"),
    (rp_reductions, "_nansum_count"),
    (rp_elementwise, "add"),
    (rp_elementwise, "subtract"),
    (rp_elementwise, "multiply"),
    (raptors.api, "scale"),
]


class Spy:
    """Wraps the Raptors functions raptors.dask calls: counts calls, and records the thread
    count each ran with."""

    def __init__(self, monkeypatch):
        self.threads_per_call = []  # (list.append is atomic: tasks run on several threads)
        for module, name in KERNELS:
            monkeypatch.setattr(module, name, self._wrap(getattr(module, name)))

    def _wrap(self, f):
        def spy(*args, **kwargs):
            self.threads_per_call.append(raptors.get_num_threads())
            return f(*args, **kwargs)

        return spy


# Raptors calls per task of dask.array's graph of the same call, by layer: raptors.dask makes
# one where dask makes a NumPy call (its tree above the chunks may run in fewer tasks).
CALLS_PER_TASK = {
    "sum": {"chunk": 1, "partial": 1, "aggregate": 1},
    "nansum": {"chunk": 1, "partial": 1, "aggregate": 1},
    "mean": {"chunk": 1, "partial": 2, "aggregate": 2},  # the total; the counts are shapes
    "nanmean": {"chunk": 1, "partial": 2, "aggregate": 2},  # chunk: the total and count at once
}


def expected_calls(reference, inputs, fname):
    """The NumPy calls of dask.array's graph ``reference``, the layers of its inputs left out."""
    calls = 0
    for name, layer in reference.dask.layers.items():
        if any(name in x.dask.layers for x in inputs):
            continue
        kind = (
            "partial" if "-partial-" in name else "aggregate" if "-aggregate-" in name else "chunk"
        )
        calls += CALLS_PER_TASK.get(fname, {}).get(kind, 1) * len(layer)
    return calls


def test_every_task_computes_with_raptors_on_one_thread(monkeypatch):
    """No task computes with NumPy instead (the results could not tell: they are equal), and
    each runs Raptors on one thread; the count in effect before is restored after."""
    x = da.from_array(sources(BASES["float32"])["strided"], chunks=(6, 7))
    graphs = {
        (f, a): (getattr(rd, f)(x, axis=a, split_every=3), getattr(da, f)(x, axis=a, split_every=3))
        for f in REDUCTIONS
        for a in (None, 0)
    }
    graphs.update({(f, None): (getattr(rd, f)(x, x[0]), op(x, x[0])) for f, op in BINARY.items()})
    graphs["scale", None] = (rd.scale(x, 0.5), x * 0.5)
    raptors.set_num_threads(2)
    for (fname, axis), (graph, reference) in graphs.items():
        spy = Spy(monkeypatch)
        graph.compute(scheduler="threads")
        calls = expected_calls(reference, [x, x[0]], fname)
        assert len(spy.threads_per_call) == calls > 0, (fname, axis)
        assert set(spy.threads_per_call) == {1}, (fname, axis)
        monkeypatch.undo()
    assert raptors.get_num_threads() == 2


def test_import_raptors_does_not_import_dask():
    code = textwrap.dedent(
        """
        import sys
        import raptors
        assert not {"dask", "distributed"} & set(sys.modules), "raptors imported dask"
        import raptors.dask
        assert "dask" in sys.modules
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_with_dask_s_array_query_planning_too():
    """dask.array's array expressions (``array.query-planning``, off by default in 2026.8.0,
    chosen once per process): the same bits there as well."""
    code = textwrap.dedent(
        """
        import itertools
        import dask, dask.array as da, numpy as np
        import raptors.dask as rd
        assert da.array_expr_enabled()
        rng = np.random.default_rng(7)
        src = (rng.standard_normal((74, 106)) * 10.0 ** rng.uniform(-3, 3, (74, 106)))
        src = src.astype(np.float32)[::2, ::2]
        src[rng.random(src.shape) < 0.02] = np.nan
        x = da.from_array(src, chunks=((5, 20, 12), (30, 1, 22)))
        pairs = []
        for f, axis, se in itertools.product(
            ["sum", "mean", "nansum", "nanmean"], [None, 0, (0, 1)], [None, 2]
        ):
            kw = dict(axis=axis, split_every=se, keepdims=axis == 0)
            pairs.append((getattr(da, f)(x, **kw), getattr(rd, f)(x, **kw)))
        # (dask's own x + row fails there unless the row's chunks are x's)
        row = da.from_array(src[0].copy(), chunks=((30, 1, 22),))
        # (there a scalar is a 0-d array: x - 0.5 is float64, as np.float32 array - array(0.5))
        pairs += [(x + row, rd.add(x, row)), (x - 0.5, rd.subtract(x, 0.5)),
                  (x * x.T.T, rd.multiply(x, x.T.T)), (x * 0.1, rd.scale(x, 0.1)),
                  (x * 3, rd.scale(x, 3)), (x * np.float32(0.1), rd.scale(x, np.float32(0.1)))]
        results = dask.compute(*[r for pair in pairs for r in pair], scheduler="threads")
        for ref, got in zip(results[::2], results[1::2]):
            ref, got = np.asarray(ref), np.asarray(got)
            assert (ref.dtype, ref.shape, ref.tobytes()) == (got.dtype, got.shape, got.tobytes())
        print(len(pairs))
        """
    )
    env = dict(os.environ, DASK_ARRAY__QUERY_PLANNING="True")
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["30"]


# ---- Errors: dask's kind, at dask's stage ----------------------------------------------------


def outcome(build):
    """('graph', error type) if building the graph raises, ('compute', type) if computing
    it does, else ('ok', None)."""
    try:
        graph = build()
    except Exception as e:
        return "graph", type(e)
    try:
        graph.compute(scheduler="sync")
    except Exception as e:
        return "compute", type(e)
    return "ok", None


X = da.from_array(sources(BASES["float32"])["C"], chunks=10)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.sum(X, axis=2),
        lambda m: m.nanmean(X, axis=-3),
        lambda m: m.mean(X, axis=1.5),
        lambda m: m.nansum(X, axis=(0, 0)),
        lambda m: m.sum(X, split_every="a"),
        lambda m: m.mean(X, axis=0, out=da.zeros(3)),
        lambda m: m.sum(X, dtype="not a dtype"),
        lambda m: m.add(X, np.ones(5, np.float32)),
        lambda m: m.multiply(X, da.ones((2, 53), chunks=1)),
        lambda m: m.subtract(X[:, :, None], X),
    ],
    ids=[
        "axis out of range",
        "negative axis out of range",
        "float axis",
        "duplicate axis",
        "split_every",
        "out of another shape",
        "unknown dtype",
        "shapes that do not broadcast",
        "dask shapes that do not broadcast",
        "3-d and 2-d that do not broadcast",
    ],
)
def test_errors_are_dask_s_kind_at_dask_s_stage(call):
    class Dask:  # dask.array on NumPy, as raptors.dask spells it
        sum, mean, nansum, nanmean = da.sum, da.mean, da.nansum, da.nanmean
        add, subtract, multiply = BINARY["add"], BINARY["subtract"], BINARY["multiply"]

    expected = outcome(lambda: call(Dask))
    assert expected[0] != "ok"
    assert outcome(lambda: call(rd)) == expected


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: rd.sum(da.ones(4, dtype=np.float16)), "float16"),
        (lambda: rd.nanmean(da.ones(4, dtype=np.complex64)), "complex"),
        (lambda: rd.mean(da.ones(4, dtype=np.float32), dtype=np.float16), "float16"),
        (lambda: rd.nansum(da.ones(4, dtype=np.float32), dtype=np.int64), "int64"),
        (lambda: rd.add(da.ones(4, dtype=np.int16), da.ones(4, dtype=np.int16)), "int16"),
        (lambda: rd.scale(da.ones(4, dtype=np.float16), 2.0), "float16"),
        (lambda: rd.scale(da.ones(4), da.ones(4)), "factor"),
        (lambda: rd.scale(da.ones(4), "2"), "factor"),
        (lambda: rd.multiply(da.ones(4), 1j), "complex"),
        (lambda: rd.sum(da.ma.masked_equal(da.ones(4), 1)), "MaskedArray"),
        (lambda: rd.add(2.0, 3.0), "array"),
    ],
)
def test_what_raptors_does_not_support_is_a_type_error_when_the_graph_is_built(call, words):
    """Never a silent NumPy fallback: a TypeError naming what is refused, before any task."""
    with pytest.raises(TypeError, match=words):
        call()


# ---- A LocalCluster of worker processes -------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as c,
    ):
        yield c


def test_local_cluster_equals_dask_on_numpy(client):
    pairs = []
    for fname, dtype in itertools.product(REDUCTIONS, ["float32", "int16"]):
        pairs += reduction_pairs(fname, dtype, ("strided", "F"), ("ragged", "columns"))[::4]
    pairs += elementwise_pairs()[::13]
    assert compute_pairs(pairs, client) > 70


def test_local_cluster_one_raptors_thread_per_task(client):
    def install():
        import raptors
        import raptors.dask as rd

        raptors.set_num_threads(2)  # more than the task has: the rule must bring it to 1
        seen = rd.__dict__.setdefault("_test_seen", set())
        for module, name in [(raptors.reductions, "nansum"), (raptors.elementwise, "add")]:
            f = getattr(module, name)
            if getattr(f, "_test_original", None) is None:

                def spy(*args, _f=f, **kwargs):
                    seen.add(raptors.get_num_threads())
                    return _f(*args, **kwargs)

                spy._test_original = f
                setattr(module, name, spy)

    def collect():
        import raptors
        import raptors.dask as rd

        for module, name in [(raptors.reductions, "nansum"), (raptors.elementwise, "add")]:
            setattr(module, name, getattr(module, name)._test_original)
        return sorted(rd.__dict__.pop("_test_seen")), raptors.get_num_threads()

    client.run(install)
    x = da.from_array(BASES["float32"], chunks=(20, 30))
    client.compute([rd.nansum(x), rd.add(x, x)], sync=True)
    seen = client.run(collect)
    assert seen and all(v == ([1], 2) for v in seen.values()), seen


def test_a_worker_killed_mid_computation_gives_the_same_bits(client, tmp_path):
    """One input task kills its own worker process the first time it runs; the nanny starts
    a new worker, the scheduler reruns the lost tasks, and the bits are the same."""
    marker = str(tmp_path / "killed")

    def die_once(block, block_info=None):
        # Half-way through the input blocks: tasks have finished on both workers by then.
        if block_info[0]["chunk-location"] == (3, 3) and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return block

    pids = set(client.run(os.getpid).values())
    src = sources(BASES["float32"])["strided"]
    x = da.from_array(src, chunks=(6, 7))
    slow = x.map_blocks(die_once, dtype=x.dtype)
    ref = [da.nanmean(x, axis=0, split_every=2), da.sum(x), x + 0.5]
    got = [rd.nanmean(slow, axis=0, split_every=2), rd.sum(slow), rd.add(slow, 0.5)]
    results = client.gather(client.compute(ref + got))
    assert os.path.exists(marker)
    assert set(client.run(os.getpid).values()) != pids  # a worker was killed and replaced
    for i in range(len(ref)):
        same_bits(results[len(ref) + i], results[i], f"result {i}")
