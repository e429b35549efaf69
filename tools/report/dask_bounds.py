"""How far raptors.dask can go on this machine: the Dask cases of benchmarks/bench_dask.py (its
cluster -- a LocalCluster of 2 worker processes x 1 thread --, its persisted 8192² data in 2048²
chunks, its calls), each timed three ways, interleaved in the same rounds:

- dask.array on NumPy (``da.sum(x)``, ...);
- raptors.dask (``rd.sum(x)``, ...);
- the read bound: a reduction of the same chunks with the same tasks (one per chunk, then one
  per output block, as raptors.dask's graph has) whose chunk task only reads its chunk, as
  64-bit words (``np.bitwise_or.reduce``: memory speed), and returns zeros of the partial
  result's shape. No kernel of the same graph costs less: what it adds over the bound is its
  own time beyond a read; what the bound costs is the cluster's (scheduling, transfers, the
  result's fetch) and the read's.

Prints, per case, the medians of the three times and NumPy / Raptors, NumPy / bound -- the most
any kernel can give here -- and Raptors' share of that most (bound / Raptors time). The
element-wise case (``x + 1.5``, persisted) has no bound: it is timed against dask on NumPy only.
`make report` includes this table (section "On Dask").

Usage: python tools/report/dask_bounds.py [--seconds S] [CASE ...]   (needs the dask extra)
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from benchmarks import bench_dask  # noqa: E402
from raptors import _measure as measure  # noqa: E402


def read_words(words: np.ndarray) -> Any:
    return np.bitwise_or.reduce(words)


def read_chunk(x: np.ndarray, axis: Any = None, keepdims: bool = True, **_kw: Any) -> np.ndarray:
    """Read every byte of x (64-bit words where it has them), then zeros of the partial shape."""
    flat = np.ascontiguousarray(x).reshape(-1)
    words = flat.view(np.uint64) if flat.nbytes % 8 == 0 else flat.view(np.uint8)
    read_words(words)
    axes = range(x.ndim) if axis is None else axis
    return np.zeros(tuple(1 if d in axes else n for d, n in enumerate(x.shape)))


def add_partials(p: np.ndarray, axis: Any = None, keepdims: bool = False, **_kw: Any) -> Any:
    return p.sum(axis=axis, keepdims=keepdims)


def bound_graph(x: Any, axis: tuple[int, ...]) -> Any:
    """The read bound's graph over the dask array x: a task per chunk that reads it, then one
    level above the chunks (a task per output block), as raptors.dask's reductions build."""
    import dask.array as da

    every = {a: len(x.chunks[a]) for a in axis}
    return da.reduction(x, read_chunk, add_partials, axis=axis, dtype=np.float64, split_every=every)


#: Issue 23's goals: NumPy-path time / raptors.dask time on this cluster.
GOALS = {
    "nanmean-float32": 3.0,
    "nanmean-float32-axis0": 3.0,
    "nansum-float64": 2.0,
    "sum-int32": 2.0,
    "mean-int16": 2.0,
    "add-scalar-float32": 0.9,
}


def measure_cases(cases: list[str], seconds: float, say: Any = print) -> list[dict[str, Any]]:
    """Each case timed interleaved (NumPy path, raptors.dask, and for a reduction its read
    bound); one dict per case with the medians (s), the ratios and the goal."""
    client = bench_dask._cluster()
    rows = []
    for case in cases:
        bench = bench_dask.DaskClusterSpeedup()
        bench.setup(case)  # the asv case's data and calls, each called once
        fns = {"numpy": bench.numpy_fn, "raptors": bench.raptors_fn}
        if not case.startswith("add"):
            graph = bound_graph(bench.x, (0,) if case.endswith("axis0") else (0, 1))
            fns["bound"] = lambda g=graph: client.compute(g, sync=True)
        t = measure.interleaved(fns, seconds=seconds, min_rounds=7, target=0.0)
        row: dict[str, Any] = {"case": case, "goal": GOALS.get(case), "rounds": len(t["numpy"])}
        row.update({f"{k}_s": measure.median(v) for k, v in t.items()})
        row["speedup"] = measure.ratio_median(t["numpy"], t["raptors"])
        if "bound" in t:
            row["bound_speedup"] = measure.ratio_median(t["numpy"], t["bound"])
            row["share_of_bound"] = measure.ratio_median(t["bound"], t["raptors"])
        rows.append(row)
        say(f"dask {case}: speedup {row['speedup']:.2f}")
        bench.teardown()
        del fns
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as Markdown: times, the ratios, the goal."""

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v * 1e3:.1f} ms"

    def ratio(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    out = [
        "| case | dask on NumPy | raptors.dask | read bound | NumPy / Raptors | NumPy / bound "
        "| bound / Raptors | goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        goal = r.get("goal")
        mark = "" if goal is None else f"≥ {goal:g}" + (" ✓" if r["speedup"] >= goal else "")
        out.append(
            f"| {r['case']} | {ms(r['numpy_s'])} | {ms(r['raptors_s'])} | {ms(r.get('bound_s'))} "
            f"| {ratio(r['speedup'])} | {ratio(r.get('bound_speedup'))} "
            f"| {ratio(r.get('share_of_bound'))} | {mark} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", default=bench_dask.CASES, choices=bench_dask.CASES)
    ap.add_argument("--seconds", type=float, default=10.0, help="rounds per case (default 10)")
    args = ap.parse_args(argv)
    rows = measure_cases(args.cases, args.seconds, say=lambda m: print(m, file=sys.stderr))
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
