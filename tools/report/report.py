"""Raptors against NumPy, every operation, on this machine: `make report` writes
reports/report-<date>.md, its .json (every number; --rerender writes the report again from it)
and the PNGs it shows.

What is measured (raptors/_measure.py builds every case: the cases the asv suite tracks):

1. The matrix, the original Raptors' 36 cases: sum, mean, mean over axis 0, mean over axis 1, a
   broadcast add of a row and scale, each allocating its result as a user writes it, x 512²,
   1024², 2048² x float32, float64.
2. Sizes and modes: every element-wise operation (scale, add, subtract, multiply), float32, from
   a 16-element call to arrays beyond the L3, into a new array, into out= and in place; out=
   again at one thread where one core's caches, and then the memory, limit.
3. The call path: a 16-element float32 call of every operation.

Each case times NumPy, Raptors (default threads unless the row says) and the fastest plain copy
of the input (numpy.copyto, memmove, or memmove on every CPU, picked in a short pass first)
interleaved in one process, one sample each per round in shuffled order; the speedup is the
median of the per-round ratios NumPy time / Raptors time. GB/s counts bytes read + written
(STREAM's convention); the roofline is Raptors' GB/s over the copy's, per round, median. Each
case holds the shared benchmark lock while it runs. Progress (a step per case) goes to stderr
(tools/progress.py); --no-progress or TQDM_DISABLE=1 turns it off.

Usage: python tools/report/report.py [--quick] [--out reports] [--budget SECONDS] [--no-progress]
       python tools/report/report.py --rerender reports/report-<date>.json [--out reports]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import raptors
from raptors import _cpu, _tuning
from raptors import _measure as measure

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import progress  # tools/progress.py

LOCK_PATH = measure.LOCK_PATH
#: Duration of one sample (the mean of k back-to-back calls).
SAMPLE_SECONDS = 3e-4

LABELS = [m[0] for m in measure.MATRIX_OPS]
SHAPES = list(measure.MATRIX_SHAPES)
QUICK_SHAPES = ["512x512", "2048x2048"]
DTYPES = measure.MATRIX_DTYPES
#: What each matrix row calls, on both sides.
WHAT = {
    "sum": "raptors.sum(x) vs np.sum(x)",
    "mean": "raptors.mean(x) vs np.mean(x)",
    "mean-axis0": "raptors.mean(x, axis=0) vs np.mean(x, axis=0)",
    "mean-axis1": "raptors.mean(x, axis=1) vs np.mean(x, axis=1)",
    "add-row": "raptors.add(x, row) vs x + row (row of shape (n,))",
    "scale": "raptors.scale(x, 2.5) vs x * float(2.5) in x's dtype",
}
ELEMENTWISE = [("scale", "contig"), ("add", "same"), ("subtract", "same"), ("multiply", "same")]
#: The call; in L2; in L3; beyond it (64 MiB per float32 array).
SIZES: dict[str, tuple[int, ...]] = {
    "16": (16,),
    "64K": (65536,),
    "1024²": (1024, 1024),
    "4096²": (4096, 4096),
}
QUICK_SIZES = ["64K", "1024²"]
MODES = ["new", "out", "inplace"]
ONE_THREAD_SIZES = ["64K", "4096²"]
SIXTEEN = [
    ("scale", "contig"),
    ("add", "same"),
    ("subtract", "same"),
    ("multiply", "same"),
    ("sum", "all"),
    ("mean", "all"),
]

#: The wider reductions (issue 21's goals, set on the Zen 4 VM): (label, operation, variant,
#: dtype, shape's name, threads or None for the default, goal speedup). nan* inputs hold 2 % NaN.
WIDE_SHAPES = {"2048²": (2048, 2048), "8192²": (8192, 8192)}
WIDE: list[tuple[str, str, str, str, str, int | None, float]] = [
    ("nansum float32", "nansum", "all", "float32", "2048²", None, 15),
    ("nanmean float32", "nanmean", "all", "float32", "2048²", None, 25),
    ("nanmean float32, 1 thread", "nanmean", "all", "float32", "2048²", 1, 12),
    ("nanmean(axis=0) float32", "nanmean", "axis0", "float32", "2048²", None, 5),
    ("nansum float64", "nansum", "all", "float64", "2048²", None, 5),
    ("sum int32", "sum", "all", "int32", "2048²", None, 10),
    ("mean int32", "mean", "all", "int32", "2048²", None, 6),
    ("sum uint8", "sum", "all", "uint8", "2048²", None, 15),
    ("sum bool", "sum", "all", "bool", "2048²", None, 15),
    ("sum(float32, dtype=float64)", "sum", "all-f64", "float32", "2048²", None, 6),
    ("nanmean float32 (from DRAM)", "nanmean", "all", "float32", "8192²", None, 8),
]


@dataclass(frozen=True)
class Spec:
    """One case of the report: which section, what it is called there, and what it calls."""

    section: str  # "matrix", "sizes" or "wide"
    label: str  # a matrix label ("mean-axis0") or an operation ("add")
    op: str
    variant: str
    mode: str
    size: str  # the shape's name
    shape: tuple[int, ...]
    dtype: str
    threads: int | None = None  # None: Raptors' default

    def name(self) -> str:
        one = " t=1" if self.threads == 1 else ""
        return f"{self.label} {self.mode} {self.size} {self.dtype}{one}"


def plan(quick: bool) -> list[Spec]:
    """Every case, in the order they run: the matrix, then the sizes and modes."""
    specs = [
        Spec("matrix", lbl, op, var, mode, s, measure.MATRIX_SHAPES[s], d)
        for lbl, op, var, mode in measure.MATRIX_OPS
        for s in (QUICK_SHAPES if quick else SHAPES)
        for d in DTYPES
    ]
    sizes = QUICK_SIZES if quick else list(SIZES)
    for op, var in ELEMENTWISE:
        specs += [
            Spec("sizes", op, op, var, mode, s, SIZES[s], "float32")
            for s in sizes
            for mode in MODES
        ]
        specs += [
            Spec("sizes", op, op, var, "out", s, SIZES[s], "float32", 1)
            for s in sizes
            if s in ONE_THREAD_SIZES
        ]
    specs += [
        Spec("wide", label, op, var, "new", size, WIDE_SHAPES[size], dt, thr)
        for label, op, var, dt, size, thr, _goal in WIDE
        if not (quick and size == "8192²")
    ]
    return specs


# ---- measuring ----------------------------------------------------------------------------
def best_copy(case: measure.Case, seconds: float) -> str:
    """Which plain copy of the input is fastest here (a short interleaved pass)."""
    cands = measure.copy_candidates(case.src, case.copy_dst())
    try:
        t = measure.interleaved(cands, seconds=seconds, min_rounds=5, target=SAMPLE_SECONDS)
        return min(cands, key=t.median)
    finally:
        measure.close_candidates(cands)


def measure_case(spec: Spec, seconds: float) -> dict[str, Any]:
    c = measure.make_case(spec.op, spec.shape, spec.dtype, raptors, spec.variant, spec.mode)
    default = raptors.get_num_threads()
    raptors.set_num_threads(spec.threads or default)
    try:
        c.raptors()  # first touch, pool, threads: not timed
        c.numpy()
        which = best_copy(c, seconds / 4)
        cands = measure.copy_candidates(c.src, c.copy_dst())
        try:
            t = measure.interleaved(
                {"numpy": c.numpy, "raptors": c.raptors, "copy": cands[which]},
                seconds=seconds,
                min_rounds=9 if c.src.nbytes > 8 << 20 else 15,
                target=SAMPLE_SECONDS,
            )
        finally:
            measure.close_candidates(cands)
    finally:
        raptors.set_num_threads(default)
    copy_bytes = 2 * c.src.nbytes
    row: dict[str, Any] = {
        "section": spec.section,
        "label": spec.label,
        "operation": spec.op,
        "mode": spec.mode,
        "shape": spec.size,
        "dtype": spec.dtype,
        "threads": spec.threads or default,
        "what": measure.describe(c),
        "nbytes": c.nbytes,
        "rounds": t.rounds,
        "calls_per_sample": t.k,
        "numpy": measure.summary(t["numpy"]),
        "raptors": measure.summary(t["raptors"]),
        "speedup": measure.ratio_median(t["numpy"], t["raptors"]),
        "copy": which,
        "copy_s": measure.median(t["copy"]),
    }
    row["gbps_numpy"] = c.nbytes / row["numpy"]["median"] / 1e9
    row["gbps_raptors"] = c.nbytes / row["raptors"]["median"] / 1e9
    row["gbps_copy"] = copy_bytes / row["copy_s"] / 1e9
    row["roofline"] = measure.ratio_median(
        [x / copy_bytes for x in t["copy"]], [x / c.nbytes for x in t["raptors"]]
    )
    return row


def sixteen(seconds: float) -> dict[str, dict[str, float]]:
    """Raptors time / NumPy time of a 16-element call per operation (new result)."""
    out = {}
    for op, variant in SIXTEEN:
        if not measure.has_op(raptors, op):
            continue
        c = measure.make_case(op, (16,), "float32", raptors, variant, "new")
        t = measure.interleaved(
            {"numpy": c.numpy, "raptors": c.raptors}, seconds=seconds, min_rounds=30
        )
        out[op] = {
            "ratio": measure.ratio_median(t["raptors"], t["numpy"]),
            "numpy_s": t.median("numpy"),
            "raptors_s": t.median("raptors"),
        }
    return out


def on_dask(seconds: float) -> dict[str, Any]:
    """The Dask cases on a 2-worker LocalCluster (tools/report/dask_bounds.py), `seconds` in
    all; {"rows": [...]} or {"skipped": why} without the dask extra."""
    try:
        import dask_bounds
    except ImportError as e:  # the extra is missing: say so in the report
        return {"skipped": f"needs the dask extra: {e}"}
    cases = dask_bounds.bench_dask.CASES
    with measure.lock(LOCK_PATH):
        rows = dask_bounds.measure_cases(
            cases, seconds / len(cases), say=lambda m: print(m, file=sys.stderr)
        )
    return {"rows": rows}


def run(specs: list[Spec], budget: float, bar: Any) -> list[dict[str, Any]]:
    """Every case, each under the shared lock, a progress step between cases."""
    per_case = max(0.05, budget / len(specs))
    rows = []
    for i, spec in enumerate(specs):
        bar.doing(f"report {spec.name()}")
        with measure.lock(LOCK_PATH):
            row = measure_case(spec, per_case)
        rows.append(row)
        bar.say(
            f"[{i + 1}/{len(specs)}] {spec.name()}: speedup {row['speedup']:.2f}, "
            f"{row['gbps_raptors']:.1f} GB/s, roofline {row['roofline']:.2f}"
        )
        bar.update()
    return rows


def machine() -> dict[str, Any]:
    """The machine: its processor type named as the benchmark results name it, and the rest."""
    named = _cpu.machine_info()
    info: dict[str, Any] = {
        "machine": named["machine"],
        "cpu": named["cpu"],
        "processor": _cpu.describe(_tuning.cpu_identity()),
        "tuning": _tuning.STATUS.summary(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        with open("/proc/loadavg") as f:
            info["loadavg"] = " ".join(f.read().split()[:3])
    except OSError:  # not Linux
        pass
    return info


# ---- the report -----------------------------------------------------------------------------
def us(s: float) -> str:
    """Seconds as microseconds, for the tables."""
    return f"{s * 1e6:.1f}" if s < 1e-2 else f"{s * 1e6:.0f}"


Column = tuple[str, Callable[[dict[str, Any]], str]]
TIMES: list[Column] = [
    ("NumPy mean ± std", lambda r: f"{us(r['numpy']['mean'])} ± {us(r['numpy']['std'])}"),
    ("CV", lambda r: f"{r['numpy']['cv']:.0%}"),
    ("best", lambda r: us(r["numpy"]["best"])),
    ("Raptors mean ± std", lambda r: f"{us(r['raptors']['mean'])} ± {us(r['raptors']['std'])}"),
    ("CV", lambda r: f"{r['raptors']['cv']:.0%}"),
    ("best", lambda r: us(r["raptors"]["best"])),
    ("speedup", lambda r: f"**{r['speedup']:.2f}**"),
    ("GB/s NumPy", lambda r: f"{r['gbps_numpy']:.1f}"),
    ("GB/s Raptors", lambda r: f"{r['gbps_raptors']:.1f}"),
    ("copy GB/s", lambda r: f"{r['gbps_copy']:.1f}"),
    ("roofline", lambda r: f"{r['roofline']:.2f}"),
]


def fields(*names: str) -> list[Column]:
    """Columns that show a row's fields as they are ("title=field" to head one otherwise)."""
    cols: list[Column] = []
    for name in names:
        title, _, key = name.rpartition("=")
        cols.append((title or key, lambda r, key=key: str(r[key])))
    return cols


def table(header: list[str], body: list[list[str]]) -> list[str]:
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "| --- " * len(header) + "|"]
    return out + ["| " + " | ".join(cells) + " |" for cells in body]


def cases_table(rows: list[dict[str, Any]], keys: list[Column]) -> list[str]:
    """One row per case: the columns that name it, then its times, speedup, GB/s and roofline."""
    cols = keys + TIMES
    return table([h for h, _ in cols], [[f(r) for _, f in cols] for r in rows])


def speedup_grid(
    rows: list[dict[str, Any]], down: list[tuple[str, Any]], across: list[tuple[str, Any]]
) -> list[str]:
    """Speedups at a glance: a line per `down` key, a column per `across` key (each a (title,
    match) pair, match a dict of row fields)."""
    body = []
    for title, want in down:
        cells = [title]
        for _, more in across:
            key = {**want, **more}
            r = next((r for r in rows if all(r.get(k) == v for k, v in key.items())), None)
            cells.append(f"{r['speedup']:.2f}" if r else "")
        body.append(cells)
    return table([""] + [t for t, _ in across], body)


def plot(rows: list[dict[str, Any]], outdir: str, stem: str) -> dict[str, str]:
    """A PNG per matrix family (x: the shape) and one of the sizes (x: bytes moved), each
    speedup and Raptors' GB/s (with the copy's). Returns {plot: file name, or why none}."""
    groups: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}
    matrix = [r for r in rows if r["section"] == "matrix"]
    for family, labels in measure.FAMILIES.items():
        lines = [
            (f"{lbl} {d}", [r for r in matrix if r["label"] == lbl and r["dtype"] == d])
            for lbl in labels
            for d in DTYPES
        ]
        groups[family] = lines
    sizes = [r for r in rows if r["section"] == "sizes" and r["threads"] != 1]
    groups["sizes"] = [
        (f"{op} {mode}", [r for r in sizes if r["label"] == op and r["mode"] == mode])
        for op, _ in ELEMENTWISE
        for mode in MODES
    ]
    groups = {g: [(n, rs) for n, rs in lines if rs] for g, lines in groups.items()}
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:
        return {g: f"(no plot: {exc})" for g, lines in groups.items() if lines}
    out = {}
    for group, lines in groups.items():
        if not lines:
            continue
        fig, (ax_s, ax_g) = plt.subplots(1, 2, figsize=(12, 4.5))
        for k, (name, rs) in enumerate(lines):
            xs = [r["nbytes"] if group == "sizes" else r["shape"] for r in rs]
            style = ("o-", "s--")[k % 2] if group != "sizes" else ("o-", "s--", "^:")[k % 3]
            color = "C%d" % (k // (2 if group != "sizes" else 3))
            ax_s.plot(xs, [r["speedup"] for r in rs], style, color=color, label=name)
            ax_g.plot(xs, [r["gbps_raptors"] for r in rs], style, color=color, label=name)
            if k == 0:
                ax_g.plot(xs, [r["gbps_copy"] for r in rs], ":", color="k", label="copy roofline")
        ax_s.axhline(1.0, color="grey", lw=0.8)
        ax_s.set_ylabel("speedup (NumPy time / Raptors time)")
        ax_g.set_ylabel("Raptors GB/s (bytes read + written)")
        for ax in (ax_s, ax_g):
            if group == "sizes":
                ax.set_xscale("log", base=2)
            ax.set_xlabel("bytes moved per call" if group == "sizes" else "shape")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
        ax_s.set_title(f"{group}: speedup vs NumPy")
        ax_g.set_title(f"{group}: bandwidth")
        fig.tight_layout()
        name = f"{stem}-{group}.png"
        fig.savefig(os.path.join(outdir, name), dpi=90)
        plt.close(fig)
        out[group] = name
    return out


LIMITS = {
    "sum": "the order of additions is NumPy's pairwise order (bit for bit), so speed can come "
    "from summing independent leaves side by side and from threads, never from reassociating. "
    "One input stream and no output array: at 2048² the read bandwidth bounds it.",
    "mean": "as sum (the mean is the same sum, divided once in double precision).",
    "mean-axis0": "the order is sequential along axis 0 (NumPy adds row after row into an "
    "accumulator row), so each column's additions are one chain; Raptors streams the rows past "
    "a block of columns held in L1, in that order. Where it is below NumPy, the column-block "
    "path of libraptors/reduce.c is the place to look (both sides were timed in the same "
    "rounds: not a measurement artefact).",
    "mean-axis1": "each row is one pairwise sum in NumPy's order, one output per row: the rows "
    "are independent, so threads split them freely.",
    "add-row": "a result of the input's size is written. Raptors' results of 4 MiB and more come "
    "from its pool (no page faults on reuse); NumPy's come from malloc, which for the largest "
    "(32 MiB, float64 2048², glibc's largest mmap threshold) maps fresh pages on every call: "
    "the largest speedups are there. The row stays in cache and is read once per row.",
    "scale": "one read and one write stream, the result allocated as for add-row.",
    "add": "two read streams and one write stream (out= and new), or a read-modify-write of x "
    "(in place); beyond the L3 the memory bandwidth bounds both libraries, and streaming stores "
    "(above the tuned threshold) skip the read-for-ownership of the result.",
    "subtract": "as add.",
    "multiply": "as add.",
}


def where(r: dict[str, Any]) -> str:
    """A case in a few words: dtype, shape, and for the sizes the mode and one thread."""
    one = ", 1 thread" if r["section"] == "sizes" and r["threads"] == 1 else ""
    mode = f" {r['mode']}" if r["section"] == "sizes" else ""
    return f"{r['dtype']} {r['shape']}{mode}{one}"


def findings(rows: list[dict[str, Any]], small: dict[str, Any]) -> dict[str, list[str]]:
    """Findings and limits per matrix label and per element-wise operation, from the numbers."""
    out = {}
    for label in dict.fromkeys(LABELS + [op for op, _ in ELEMENTWISE]):
        rs = [r for r in rows if r["label"] == label]
        if not rs:
            continue
        best = max(rs, key=lambda r: r["speedup"])
        worst = min(rs, key=lambda r: r["speedup"])
        slower = [where(r) for r in rs if r["speedup"] < 1]
        lines = [
            f"Speedup {worst['speedup']:.2f}–{best['speedup']:.2f}× (lowest {where(worst)}, "
            f"highest {where(best)}); "
            + (f"slower than NumPy in {len(slower)}: " + ", ".join(slower[:6]) if slower else "")
            + (", ..." if len(slower) > 6 else "")
            + ("" if slower else "faster than NumPy in every case")
            + "."
        ]
        big = [r for r in rs if r["shape"] in ("2048x2048", "4096²") and r["threads"] != 1]
        if big:
            lines.append(
                "Largest arrays: "
                + "; ".join(
                    f"{where(r)} {r['gbps_raptors']:.0f} GB/s ({r['roofline']:.2f} of the "
                    f"copy's {r['gbps_copy']:.0f}; NumPy {r['gbps_numpy']:.0f})"
                    for r in big
                )
                + "."
            )
        op = {"add-row": "add"}.get(label, label)
        if op in small:
            lines.append(
                f"A 16-element call takes {small[op]['ratio']:.2f}× NumPy's time "
                f"({small[op]['raptors_s'] * 1e9:.0f} ns vs {small[op]['numpy_s'] * 1e9:.0f} ns)."
            )
        lines.append("Limit: " + LIMITS[label])
        out[label] = lines
    return out


def render(doc: dict[str, Any]) -> str:
    """The report's Markdown, from its JSON document alone (so --rerender writes it again)."""
    rows, small, bi = doc["rows"], doc["sixteen"], doc["build_info"]
    matrix = [r for r in rows if r["section"] == "matrix"]
    sizes = [r for r in rows if r["section"] == "sizes"]
    lines = [
        f"# Raptors vs NumPy, every operation — {doc['date']}",
        "",
        f"Made by `make report` ({'--quick' if doc['quick'] else 'full'}; "
        f"`python tools/report/report.py`) at {doc['made_at']}, commit "
        f"`{bi.get('git_commit', '?')}`, on {doc['machine']['cpu']}.",
        "",
        "Method: NumPy, Raptors (default threads unless a row says 1) and the fastest plain copy "
        "of the input (numpy.copyto, memmove, or memmove on every CPU) run interleaved in one "
        "process (raptors/_measure.py), one sample each per round in shuffled order; a sample is "
        "the mean of k back-to-back calls (k sized to ~0.3 ms). Speedup = median over rounds of "
        "NumPy time / Raptors time. GB/s counts bytes read + bytes written (STREAM's "
        "convention: the inputs, a broadcast row once, plus the result). Roofline = median over "
        "rounds of Raptors' GB/s / the copy's GB/s (the copy moving 2 × the input's bytes). "
        "Times in µs; CV = std / mean over rounds.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in doc["machine"].items()]
    lines += ["", "`raptors.build_info()`:", "", "```json", json.dumps(bi, indent=1), "```", ""]
    shapes = [s for s in SHAPES if any(r["shape"] == s for r in matrix)]
    lines += [
        f"## The matrix: {len(matrix)} cases",
        "",
        "The original Raptors' 2-D matrix; each operation allocates its result, as a user "
        "writes it.",
        "",
    ]
    lines += cases_table(matrix, fields("operation=label", "shape", "dtype"))
    lines += ["", "Speedup per case (NumPy time / Raptors time):", ""]
    lines += speedup_grid(
        matrix,
        [(lbl, {"label": lbl}) for lbl in LABELS],
        [
            (f"{d.replace('float', 'f')} {s.split('x')[0]}²", {"dtype": d, "shape": s})
            for d in DTYPES
            for s in shapes
        ],
    )
    sizes_in = [s for s in SIZES if any(r["shape"] == s for r in sizes)]
    lines += [
        "",
        "## Sizes and modes: every element-wise operation",
        "",
        "float32, from the call itself (16 elements) through L2 (64K) and L3 (1024²) to memory "
        "(4096², 64 MiB an array); new = a new result array, out = `out=`, inplace = `out=x`.",
        "",
    ]
    lines += cases_table(sizes, fields("operation=label", "mode", "size=shape", "thr=threads"))
    lines += ["", "Speedup per case (NumPy time / Raptors time; t=1: one thread):", ""]
    one = [s for s in sizes_in if any(r["shape"] == s and r["threads"] == 1 for r in sizes)]
    lines += speedup_grid(
        [r for r in sizes if r["threads"] != 1]
        + [dict(r, mode="out t=1") for r in sizes if r["threads"] == 1],
        [
            (f"{op} {m}", {"label": op, "mode": m})
            for op, _ in ELEMENTWISE
            for m in MODES + (["out t=1"] if one else [])
        ],
        [(s, {"shape": s}) for s in sizes_in],
    )
    lines.append("")
    wide = {r["label"]: r for r in rows if r["section"] == "wide"}
    if wide:
        lines += [
            "## The wider reductions: NaN-aware, integer and bool, cast",
            "",
            "Each allocates its result, as a user writes it; nan* inputs hold 2 % NaN. The goals "
            "were set on the Zen 4 VM (AMD EPYC family 25 model 17), from its read speed: on "
            "another machine type a goal holds or not with that machine's own bound (the float32 "
            "sum's time of the same bytes, `sum` rows of the matrix).",
            "",
        ]
        lines += table(
            ["case", "shape", "threads", "NumPy", "Raptors", "speedup", "goal (Zen 4)"],
            [
                [
                    label,
                    r["shape"],
                    str(r["threads"]),
                    us(r["numpy"]["median"]),
                    us(r["raptors"]["median"]),
                    f"{r['speedup']:.2f}",
                    f"≥ {goal:g}" + (" ✓" if r["speedup"] >= goal else ""),
                ]
                for label, _op, _v, _d, _s, _t, goal in WIDE
                if (r := wide.get(label)) is not None
            ],
        )
        lines.append("")
    if small:
        lines += ["## The call path: a 16-element float32 call", ""]
        lines += table(
            ["operation", "NumPy", "Raptors", "Raptors / NumPy time"],
            [
                [
                    op,
                    f"{v['numpy_s'] * 1e9:.0f} ns",
                    f"{v['raptors_s'] * 1e9:.0f} ns",
                    f"{v['ratio']:.2f}",
                ]
                for op, v in small.items()
            ],
        )
        lines.append("")
    dask = doc.get("dask")
    if dask:
        lines += [
            "## On Dask",
            "",
            "`raptors.dask` against dask.array on NumPy on a LocalCluster of 2 worker processes "
            "× 1 thread, an 8192² array persisted in 2048² chunks, each computation timed from "
            "the client (graph, scheduling, result), interleaved "
            "(`tools/report/dask_bounds.py`). The read bound is the same graph whose chunk task "
            "only reads its chunk: NumPy / bound is the most any kernel can give on this cluster, "
            "bound / Raptors how much of it Raptors gives.",
            "",
        ]
        if "rows" in dask:
            import dask_bounds

            lines += dask_bounds.table(dask["rows"])
        else:
            lines.append(f"Skipped: {dask['skipped']}.")
        lines.append("")
    lines += ["## Plots", ""]
    for group, name in doc["plots"].items():
        lines += [f"![{group}]({name})" if name.endswith(".png") else name, ""]
    lines += ["## Findings and limits, per operation", ""]
    l2, l3 = int(bi.get("l2_bytes") or 0), int(bi.get("l3_bytes") or 0)
    if l2 and l3:
        lines += [
            f"L2 {l2 >> 10} KiB per core, L3 {l3 >> 20} MiB (shared): a 512² float32 array "
            "(1 MiB) lives in L2 and L3, 1024² (4-8 MiB) in L3, 2048² (16-32 MiB) fills the L3 "
            "and, with its result, spills to DRAM.",
            "",
        ]
    for label, found in findings(rows, small).items():
        lines += [f"### {label} — {WHAT.get(label, 'raptors.' + label + ' vs np.' + label)}", ""]
        lines += [f"- {x}" for x in found] + [""]
    lines += [
        "## Limits of this report",
        "",
        "- One run on a shared machine: the load average above says how shared; the CV columns "
        "how steady each side was. Multi-threaded figures move most, since a second thread only "
        "helps when the second core is free.",
        "- Every Raptors result is bit-identical to NumPy's (`make test` checks it): the speedups "
        "are for the same answers.",
        "",
    ]
    return "\n".join(lines)


def write(doc: dict[str, Any], outdir: str, stem: str) -> str:
    """The plots, the Markdown and the JSON; returns the Markdown's path."""
    doc["plots"] = plot(doc["rows"], outdir, stem)
    path = os.path.join(outdir, f"{stem}.md")
    with open(path, "w") as f:
        f.write(render(doc))
    with open(os.path.join(outdir, f"{stem}.json"), "w") as f:
        json.dump(doc, f, indent=1, default=str)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer shapes and sizes, shorter runs")
    ap.add_argument("--out", default="reports")
    ap.add_argument(
        "--budget", type=float, default=None, help="seconds for the cases (default 180, quick 40)"
    )
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    ap.add_argument(
        "--no-dask", action="store_true", help="leave out the Dask cluster cases (--quick does)"
    )
    ap.add_argument(
        "--rerender", metavar="JSON", help="write the report again from a report-<date>.json"
    )
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.rerender:
        with open(args.rerender) as f:
            doc = json.load(f)
        path = write(doc, args.out, os.path.basename(args.rerender)[: -len(".json")])
        print(f"wrote {path} again from {args.rerender}")
        return 0
    budget = args.budget or (40.0 if args.quick else 180.0)
    specs = plan(args.quick)
    bar = progress.Progress(len(specs) + 1, "report", "case", no_progress=args.no_progress)
    rows = run(specs, budget, bar)
    bar.doing("report 16-element calls")
    with measure.lock(LOCK_PATH):
        small = sixteen(min(0.3 if args.quick else 1.0, budget / 20))
    bar.update()
    bar.close()
    dask = None if args.quick or args.no_dask else on_dask(budget / 3)
    date = dt.date.today().isoformat()
    doc = {
        "date": date,
        "made_at": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "quick": args.quick,
        "machine": machine(),
        "build_info": raptors.build_info(),
        "rows": rows,
        "sixteen": small,
        "dask": dask,
    }
    path = write(doc, args.out, f"report-{date}")
    print(f"\nwrote {path} (and .json, " + ", ".join(doc["plots"].values()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
