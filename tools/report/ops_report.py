"""Measure every operation against NumPy on the original Raptors' 2-D matrix and write
reports/ops-<date>.md (+ .json and one PNG per operation family).

The 36 cases: operation (sum, mean, mean axis 0, mean axis 1, broadcast add of a row, scale;
each allocating its result, as a user writes it) x shape (512², 1024², 2048²) x dtype (float32,
float64), built by tools/measure.py (MATRIX_OPS, make_case) -- the same cases the asv suite tracks
as bench_matrix.Matrix.track_speedup. For each case NumPy, Raptors and the fastest plain copy of
the input run interleaved in one process (tools/measure.py, the measurement core the suite and
the regression gate use too), one sample each per round in shuffled order; the speedup is the
median of the per-round ratios NumPy time / Raptors time. GB/s counts bytes read + bytes written
(STREAM's convention); the roofline fraction is Raptors' GB/s over the copy's, per round, median.
Then a 16-element call per operation (the call path alone), and findings and limits per
operation. Each case holds the shared benchmark lock while it runs.

Usage: python tools/report/ops_report.py [--quick] [--out reports] [--budget SECONDS]
       [--no-progress]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys

import raptors

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tools/measure.py, tools/progress.py
sys.path.insert(0, HERE)
import progress  # noqa: E402
import scale_report  # noqa: E402  (machine(), us())

from raptors import _measure as measure  # noqa: E402

LABELS = [m[0] for m in measure.MATRIX_OPS]
SHAPES = list(measure.MATRIX_SHAPES)
QUICK_SHAPES = ["512x512", "2048x2048"]
DTYPES = measure.MATRIX_DTYPES
SAMPLE_SECONDS = 3e-4
WHAT = {
    "sum": "raptors.sum(x) vs np.sum(x)",
    "mean": "raptors.mean(x) vs np.mean(x)",
    "mean-axis0": "raptors.mean(x, axis=0) vs np.mean(x, axis=0)",
    "mean-axis1": "raptors.mean(x, axis=1) vs np.mean(x, axis=1)",
    "add-row": "raptors.add(x, row) vs x + row (row of shape (n,))",
    "scale": "raptors.scale(x, 2.5) vs x * float(2.5) in x's dtype",
}
SIXTEEN = [("scale", "contig"), ("add", "same"), ("subtract", "same"), ("multiply", "same"),
           ("sum", "all"), ("mean", "all")]  # fmt: skip


def plan(quick: bool) -> list[tuple[str, str, str]]:
    shapes = QUICK_SHAPES if quick else SHAPES
    return [(lbl, s, d) for lbl in LABELS for s in shapes for d in DTYPES]


def best_copy(case: measure.Case, seconds: float) -> str:
    """Which plain copy of the input is fastest here (a short interleaved pass)."""
    cands = measure.copy_candidates(case.src, case.copy_dst())
    try:
        t = measure.interleaved(cands, seconds=seconds, min_rounds=5, target=SAMPLE_SECONDS)
        return min(cands, key=t.median)
    finally:
        measure.close_candidates(cands)


def measure_case(label: str, shape: str, dtype: str, seconds: float) -> dict:
    c = measure.matrix_case(label, shape, dtype, raptors)
    c.raptors()  # first touch, pool, threads: not timed
    c.numpy()
    which = best_copy(c, seconds / 4)
    dst = c.copy_dst()
    cands = measure.copy_candidates(c.src, dst)
    try:
        t = measure.interleaved(
            {"numpy": c.numpy, "raptors": c.raptors, "copy": cands[which]},
            seconds=seconds,
            min_rounds=9 if c.src.nbytes > 8 << 20 else 15,
            target=SAMPLE_SECONDS,
        )
    finally:
        measure.close_candidates(cands)
    copy_bytes = 2 * c.src.nbytes
    row = {
        "operation": label,
        "shape": shape,
        "dtype": dtype,
        "what": WHAT[label],
        "threads": raptors.get_num_threads(),
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


def sixteen(seconds: float) -> dict:
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


def run(quick: bool, budget: float, bar) -> list[dict]:
    cases = plan(quick)
    per_case = max(0.05, budget / len(cases))
    rows = []
    for i, (label, shape, dtype) in enumerate(cases):
        bar.doing(f"report {label} {shape} {dtype}")
        with measure.lock(scale_report.LOCK_PATH):
            row = measure_case(label, shape, dtype, per_case)
        rows.append(row)
        bar.say(
            f"[{i + 1}/{len(cases)}] {label} {shape} {dtype}: speedup {row['speedup']:.2f}, "
            f"{row['gbps_raptors']:.1f} GB/s, roofline {row['roofline']:.2f}"
        )
        bar.update()
    return rows


# ---- the report ---------------------------------------------------------------------------
def plot(rows: list[dict], outdir: str, stem: str) -> dict[str, str]:
    """One PNG per operation family: speedup and Raptors GB/s (with NumPy's and the copy's) per
    shape, a line per operation x dtype. Returns {family: file name} (or {family: error})."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:
        return {f: f"(no plot: {exc})" for f in measure.FAMILIES}
    out = {}
    for family, labels in measure.FAMILIES.items():
        rs = [r for r in rows if r["operation"] in labels]
        if not rs:
            continue
        fig, (ax_s, ax_g) = plt.subplots(1, 2, figsize=(12, 4.5))
        for k, label in enumerate(labels):
            for d, style in (("float32", "o-"), ("float64", "s--")):
                pts = [r for r in rs if r["operation"] == label and r["dtype"] == d]
                if not pts:
                    continue
                xs = [r["shape"].split("x")[0] + "²" for r in pts]
                color = "C%d" % k
                ax_s.plot(xs, [r["speedup"] for r in pts], style, color=color, label=f"{label} {d}")
                ax_g.plot(xs, [r["gbps_raptors"] for r in pts], style, color=color,
                          label=f"Raptors {label} {d}")  # fmt: skip
                if k == 0:
                    ax_g.plot(xs, [r["gbps_copy"] for r in pts], ":", color="k" if d == "float32"
                              else "grey", label=f"copy roofline {d}")  # fmt: skip
        ax_s.axhline(1.0, color="grey", lw=0.8)
        ax_s.set_ylabel("speedup (NumPy time / Raptors time)")
        ax_g.set_ylabel("GB/s (bytes read + written)")
        for ax in (ax_s, ax_g):
            ax.set_xlabel("shape (n x n)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
        ax_s.set_title(f"{family}: speedup vs NumPy")
        ax_g.set_title(f"{family}: bandwidth")
        fig.tight_layout()
        name = f"{stem}-{family}.png"
        fig.savefig(os.path.join(outdir, name), dpi=90)
        plt.close(fig)
        out[family] = name
    return out


def _find(rows, label, shape, dtype):
    return next(
        (r for r in rows if (r["operation"], r["shape"], r["dtype"]) == (label, shape, dtype)),
        None,
    )


def findings(rows: list[dict], small: dict, bi: dict) -> dict[str, list[str]]:
    """Findings and limits per operation, from the numbers measured and the caches."""
    l2, l3 = int(bi.get("l2_bytes") or 0), int(bi.get("l3_bytes") or 0)
    out = {}
    for label in LABELS:
        rs = [r for r in rows if r["operation"] == label]
        if not rs:
            continue
        best = max(rs, key=lambda r: r["speedup"])
        worst = min(rs, key=lambda r: r["speedup"])
        slower = [r for r in rs if r["speedup"] < 1]
        lines = [
            f"Speedup {worst['speedup']:.2f}–{best['speedup']:.2f}× (lowest {worst['dtype']} "
            f"{worst['shape']}, highest {best['dtype']} {best['shape']}); "
            + (
                "slower than NumPy in " + ", ".join(f"{r['dtype']} {r['shape']}" for r in slower)
                if slower
                else "faster than NumPy in every case measured"
            )
            + "."
        ]
        big = [r for r in rs if r["shape"] == "2048x2048"]
        if big:
            lines.append(
                "At 2048²: "
                + "; ".join(
                    f"{r['dtype']} {r['gbps_raptors']:.0f} GB/s ({r['roofline']:.2f} of the "
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
        lines += LIMITS.get(label, [])
        out[label] = lines
    if l2 and l3:
        out["_caches"] = [
            f"L2 {l2 >> 10} KiB per core, L3 {l3 >> 20} MiB (shared): a 512² float32 array "
            f"(1 MiB) lives in L2 and L3, 1024² (4-8 MiB) in L3, 2048² (16-32 MiB) fills the L3 "
            "and, with its result, spills to DRAM."
        ]
    return out


LIMITS = {
    "sum": [
        "Limit: the order of additions is NumPy's pairwise order (bit for bit), so speed can come "
        "from summing independent leaves side by side and from threads, never from "
        "reassociating. One input stream and no output array: at 2048² the read bandwidth "
        "bounds it.",
    ],
    "mean": [
        "Limit: as sum (the mean is the same sum, divided once in double precision).",
    ],
    "mean-axis0": [
        "Limit: the order is sequential along axis 0 (NumPy adds row after row into an "
        "accumulator row), so each column's additions are one chain; Raptors streams the rows "
        "past a block of columns held in L1, in that order. Where it is below NumPy, the "
        "column-block path of libraptors/reduce.c is the place to look (both sides were timed in "
        "the same rounds: not a measurement artefact).",
    ],
    "mean-axis1": [
        "Limit: each row is one pairwise sum in NumPy's order, one output per row: the rows are "
        "independent, so threads split them freely.",
    ],
    "add-row": [
        "Limit: a result of the input's size is written. Raptors' results of 4 MiB and more come "
        "from its pool (no page faults on reuse); NumPy's come from malloc, which for the largest "
        "(32 MiB, float64 2048², glibc's largest mmap threshold) maps fresh pages on every call: "
        "the largest speedups are there. The row stays in cache and is read once per row.",
    ],
    "scale": [
        "Limit: one read and one write stream, the result allocated as for add-row; see "
        "reports/scale-<date>.md (`make report`) for the sizes x modes analysis, the peers and "
        "the issue-4 targets.",
    ],
}


def write(rows, small, info, bi, outdir, plots, args, stem=None, made_at=None) -> str:
    stem = stem or f"ops-{dt.date.today().isoformat()}"
    date = stem[len("ops-") :]
    made_at = made_at or f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    us = scale_report.us
    lines = [
        f"# Raptors vs NumPy, every operation — {date}",
        "",
        f"Made by `make report` ({'--quick' if args.quick else 'full'}; "
        f"`python tools/report/ops_report.py`) at {made_at}, commit "
        f"`{bi.get('git_commit', '?')}`.",
        "",
        "Method: the original Raptors' 2-D matrix, operation × shape × dtype (36 cases in a "
        "full run), each operation allocating its result as a user writes it. NumPy, Raptors "
        "(default threads) and the fastest plain copy of the input (numpy.copyto, memmove, or "
        "memmove on every CPU) run interleaved in one process (tools/measure.py), one sample "
        "each per round in shuffled order; a sample is the mean of k back-to-back calls (k "
        "sized to ~0.3 ms). Speedup = median over rounds of NumPy time / Raptors time. GB/s "
        "counts bytes read + bytes written (STREAM's convention: x, plus the row for add-row, "
        "plus the result). Roofline = median over rounds of Raptors' GB/s / the copy's GB/s "
        "(the copy moving 2 × the input's bytes). Times in µs; CV = std / mean over rounds.",
        "",
        "## Machine",
        "",
    ]
    for k, v in info.items():
        lines.append(f"- {k}: {v}")
    lines += ["", "`raptors.build_info()`:", "", "```json", json.dumps(bi, indent=1), "```", ""]
    lines += [
        "## The 36 cases",
        "",
        "| operation | shape | dtype | NumPy mean ± std | CV | best | Raptors mean ± std | CV "
        "| best | speedup | GB/s NumPy | GB/s Raptors | copy GB/s | roofline |",
        "| --- " * 14 + "|",
    ]
    for r in rows:
        n, ra = r["numpy"], r["raptors"]
        lines.append(
            f"| {r['operation']} | {r['shape']} | {r['dtype']} "
            f"| {us(n['mean'])} ± {us(n['std'])} | {n['cv']:.0%} | {us(n['best'])} "
            f"| {us(ra['mean'])} ± {us(ra['std'])} | {ra['cv']:.0%} | {us(ra['best'])} "
            f"| **{r['speedup']:.2f}** | {r['gbps_numpy']:.1f} | {r['gbps_raptors']:.1f} "
            f"| {r['gbps_copy']:.1f} | {r['roofline']:.2f} |"
        )
    lines += ["", "Speedup per case (NumPy time / Raptors time):", ""]
    shapes = [s for s in SHAPES if any(r["shape"] == s for r in rows)]
    cols = [f"{d.replace('float', 'f')} {s.split('x')[0]}²" for d in DTYPES for s in shapes]
    head = "| operation | " + " | ".join(cols) + " |"
    lines += [head, "| --- " * (1 + len(DTYPES) * len(shapes)) + "|"]
    for label in LABELS:
        cells = []
        for d in DTYPES:
            for s in shapes:
                r = _find(rows, label, s, d)
                cells.append(f"{r['speedup']:.2f}" if r else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    if small:
        lines += [
            "## The call path: a 16-element float32 call",
            "",
            "| operation | NumPy | Raptors | Raptors / NumPy time |",
            "| --- | --- | --- | --- |",
        ]
        for op, v in small.items():
            lines.append(
                f"| {op} | {v['numpy_s'] * 1e9:.0f} ns | {v['raptors_s'] * 1e9:.0f} ns "
                f"| {v['ratio']:.2f} |"
            )
        lines.append("")
    lines += ["## Plots", ""]
    for family, name in plots.items():
        lines += [
            f"![{family}]({name})" if name.endswith(".png") else name,
            "",
        ]
    lines += ["## Findings and limits, per operation", ""]
    found = findings(rows, small, bi)
    for k in found.get("_caches", []):
        lines += [k, ""]
    for label in LABELS:
        if label not in found:
            continue
        lines += [f"### {label} — {WHAT[label]}", ""]
        lines += [f"- {x}" for x in found[label]] + [""]
    lines += [
        "## Limits of this report",
        "",
        "- One run on a shared machine: the load average above says how shared; the CV columns "
        "how steady each side was. Multi-threaded figures move most, since a second thread only "
        "helps when the second core is free.",
        "- Each operation allocates its result here (as `x + row` and `np.mean(x, axis=0)` do); "
        "`out=` and in place are in the asv suite (bench_ops) and, for scale, the scale report.",
        "- Every Raptors result is bit-identical to NumPy's (`make test` checks it): the speedups "
        "are for the same answers.",
        "",
    ]
    path = os.path.join(outdir, f"{stem}.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(outdir, f"{stem}.json"), "w") as f:
        json.dump(
            {
                "rows": rows,
                "sixteen": small,
                "machine": info,
                "build_info": bi,
                "plots": plots,
                "made_at": made_at,
            },
            f,
            indent=1,
            default=str,
        )
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two shapes, shorter runs")
    ap.add_argument("--out", default="reports")
    ap.add_argument(
        "--budget", type=float, default=None, help="seconds for the matrix (default 90, quick 20)"
    )
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    ap.add_argument(
        "--rerender", metavar="JSON", help="write the report again from an ops-<date>.json (no run)"
    )
    args = ap.parse_args(argv)
    budget = args.budget or (20.0 if args.quick else 90.0)
    os.makedirs(args.out, exist_ok=True)
    if args.rerender:
        with open(args.rerender) as f:
            d = json.load(f)
        stem = os.path.basename(args.rerender)[: -len(".json")]
        args.quick = len(d["rows"]) < 36
        plots = plot(d["rows"], args.out, stem)
        path = write(d["rows"], d["sixteen"], d["machine"], d["build_info"], args.out, plots,
                     args, stem, d.get("made_at"))  # fmt: skip
        print(f"wrote {path} again from {args.rerender}")
        return 0
    cases = plan(args.quick)
    bar = progress.Progress(len(cases) + 1, "report", "case", no_progress=args.no_progress)
    rows = run(args.quick, budget, bar)
    bar.doing("report 16-element calls")
    with measure.lock(scale_report.LOCK_PATH):
        small = sixteen(min(0.3 if args.quick else 1.0, budget / 20))
    bar.update()
    bar.close()
    info = scale_report.machine()
    bi = raptors.build_info()
    stem = f"ops-{dt.date.today().isoformat()}"
    plots = plot(rows, args.out, stem)
    path = write(rows, small, info, bi, args.out, plots, args, stem)
    print(f"\nwrote {path} (and .json, " + ", ".join(plots.values()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
