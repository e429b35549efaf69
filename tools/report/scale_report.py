"""Measure raptors.scale against NumPy (and peers) and write reports/scale-<date>.md + a PNG.

Every case times NumPy, Raptors and a plain copy interleaved in one process
(tools/measure.py, the measurement core the asv suite and the gate use too),
in shuffled order, one sample each per round (each peer runs in a pass of its
own against Raptors, so that its threads do not tax the pairs); the speedup is the median of the
per-round ratios NumPy time / Raptors time, so a slow moment of the shared
machine hits both sides of a pair alike. GB/s counts bytes read + bytes
written (STREAM's convention: 2 x nbytes for y = a*x, allocation or not).
The copy roofline is the fastest plain copy of the same bytes, run in the same rounds
(np.copyto and libc memcpy through ctypes.memmove, the better of the two).

Each case holds the shared benchmark lock (/tmp/raptors-bench.lock, or
$RAPTORS_BENCH_LOCK) only while it runs, so other users of the machine get turns.

Progress (one step per case, with an ETA) goes to stderr, updated between cases only
(tools/progress.py); --no-progress or TQDM_DISABLE=1 turns it off.

Usage: python tools/report/scale_report.py [--quick] [--out reports] [--budget SECONDS]
       [--no-progress]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import raptors

# tools/progress.py (the progress bar) and tools/measure.py (the measurement core shared with the
# asv suite and the regression gate).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import progress

from raptors import _measure as measure

LOCK_PATH = measure.LOCK_PATH
now = time.perf_counter
#: Duration of one sample (the mean of k back-to-back calls).
SAMPLE_SECONDS = 3e-4

try:
    from scipy.linalg import blas as _blas
except Exception:  # optional peer
    _blas = None
try:
    import numexpr as _ne
except Exception:  # optional peer
    _ne = None


def Lock():
    """The shared benchmark lock, held for one case (measure.lock)."""
    return measure.lock(LOCK_PATH)


def interleaved(fns: dict, seconds: float, min_rounds=15, max_rounds=400):
    """Per-call times (seconds) of each fn, sampled in shuffled order round after round
    (measure.interleaved, one k for all: the slowest side's), and k."""
    t = measure.interleaved(
        fns,
        seconds=seconds,
        min_rounds=min_rounds,
        max_rounds=max_rounds,
        target=SAMPLE_SECONDS,
        same_k=True,
    )
    return dict(t), next(iter(t.k.values()))


stats = measure.summary
ratio_median = measure.ratio_median


SIZES = [
    ("16", (16,)),
    ("1K", (1024,)),
    ("64K", (65536,)),
    ("512²", (512, 512)),
    ("1024²", (1024, 1024)),
    ("2048²", (2048, 2048)),
    ("4096²", (4096, 4096)),
]
QUICK_SIZES = [SIZES[0], SIZES[2], SIZES[5], SIZES[6]]
MODES = ["out", "alloc", "inplace"]


def make_case(dtype, shape, mode, rng):
    x = rng.standard_normal(shape).astype(dtype)
    y = np.empty_like(x)
    a = 1.0001  # in place stays finite for the whole run (no inf/NaN slow paths)
    s = x.dtype.type(a)
    nbytes = x.nbytes
    fns, peers = {}, {}
    if mode == "out":
        fns["numpy"] = lambda: np.multiply(x, s, out=y)
        fns["raptors"] = lambda: raptors.scale(x, a, out=y)
        if _ne is not None:
            peers["numexpr"] = lambda: _ne.evaluate("x * s", out=y, local_dict={"x": x, "s": s})
    elif mode == "alloc":
        fns["numpy"] = lambda: x * a
        fns["raptors"] = lambda: raptors.scale(x, a)
        if _ne is not None:
            peers["numexpr"] = lambda: _ne.evaluate("x * s", local_dict={"x": x, "s": s})
    else:
        z = x.copy()
        fns["numpy"] = lambda: np.multiply(z, s, out=z)
        fns["raptors"] = lambda: raptors.scale(z, a, out=z)
        if _blas is not None:
            flat = z.reshape(-1)
            scal = _blas.sscal if x.dtype == np.float32 else _blas.dscal
            peers["openblas-scal"] = lambda: scal(a, flat)
        if _ne is not None:
            peers["numexpr"] = lambda: _ne.evaluate("z * s", out=z, local_dict={"z": z, "s": s})
    return fns, peers, nbytes, (x, y)


def copy_roofline(x, y, seconds):
    """Fastest plain copy of x's bytes into y: np.copyto vs libc memcpy."""
    cands = measure.copy_candidates(x, y, threads=False)
    samples, _ = interleaved(
        {"copyto": cands["numpy.copyto"], "memcpy": cands["memmove"]}, seconds, min_rounds=9
    )
    best = {k: statistics.median(v) for k, v in samples.items()}
    which = min(best, key=best.get)
    return best[which], which


def plan_cases(quick: bool):
    """(dtype, size label, shape, mode, threads or None) of each case, in the order they run."""
    sizes = QUICK_SIZES if quick else SIZES
    plan = []
    for dtype in (np.float32, np.float64):
        for label, shape in sizes:
            for mode in MODES:
                plan.append((dtype, label, shape, mode, None))
    # One thread: parity where the caches limit, and what the pool adds beyond them.
    for label, shape in sizes:
        if label in ("64K", "2048²", "4096²"):
            plan.append((np.float32, label, shape, "out", 1))
    return plan


def run_cases(quick: bool, budget: float, bar):
    rng = np.random.default_rng(0)
    sizes = QUICK_SIZES if quick else SIZES
    plan = plan_cases(quick)
    per_case = max(0.5, budget / (len(plan) + len(sizes) * 2))
    rows, roof = [], {}
    default_threads = raptors.get_num_threads()
    for i, (dtype, label, shape, mode, threads) in enumerate(plan):
        dname = np.dtype(dtype).name
        bar.doing(f"report {dname} {label} {mode}" + (f" t={threads}" if threads else ""))
        fns, peers, nbytes, (x, y) = make_case(dtype, shape, mode, rng)
        raptors.set_num_threads(threads or default_threads)
        with Lock():
            if (dname, label) not in roof:  # which copy is faster here, once per size
                roof[(dname, label)] = copy_roofline(x, y, per_case / 3)
            # The roofline copy runs in the same rounds, so a busy moment of the
            # shared machine slows it as much as the pair it is compared with.
            # (B023: these closures only run within this iteration.)
            cands = measure.copy_candidates(x, y, threads=False)
            fns["copy"] = cands[
                "memmove" if roof[(dname, label)][1] == "memcpy" else "numpy.copyto"
            ]
            samples, k = interleaved(fns, per_case, min_rounds=9 if nbytes > 8 << 20 else 15)
            # Each peer in its own interleaved pass against Raptors: a peer's
            # threads (OpenBLAS spins after each call) must not tax the
            # NumPy/Raptors pairs; that effect is measured on its own below.
            peer_samples = {}
            for p, f in peers.items():
                ps, _ = interleaved({p: f, "raptors": fns["raptors"]}, per_case / 2, min_rounds=7)
                peer_samples[p] = ps
        raptors.set_num_threads(default_threads)
        n_t, r_t = samples["numpy"], samples["raptors"]
        row = {
            "dtype": dname,
            "size": label,
            "n": int(np.prod(shape)),
            "mode": mode,
            "threads": threads or default_threads,
            "nbytes": nbytes,
            "pairs": len(n_t),
            "calls_per_sample": k,
            "numpy": stats(n_t),
            "raptors": stats(r_t),
            "speedup": ratio_median(n_t, r_t),
            "copy_s": statistics.median(samples["copy"]),
            "copy_kind": roof[(dname, label)][1],
            "peers": {},
        }
        for p, ps in peer_samples.items():
            med = statistics.median(ps[p])
            row["peers"][p] = {
                "median": med,
                "speedup": row["numpy"]["median"] / med,
                "vs_raptors": ratio_median(ps[p], ps["raptors"]),
            }
        moved = 2 * nbytes
        row["gbps_numpy"] = moved / row["numpy"]["median"] / 1e9
        row["gbps_raptors"] = moved / row["raptors"]["median"] / 1e9
        row["gbps_copy"] = moved / row["copy_s"] / 1e9
        row["roofline"] = ratio_median(samples["copy"], r_t)
        rows.append(row)
        bar.say(
            f"[{i + 1}/{len(plan)}] {dname} {label} {mode} t={row['threads']}: "
            f"speedup {row['speedup']:.2f}, {row['gbps_raptors']:.1f} GB/s, "
            f"roofline {row['roofline']:.2f}"
        )
        bar.update()
    return rows


def small_call(seconds):
    """A 16-element call: Raptors' time as a multiple of NumPy's x * a."""
    x = np.ones(16, np.float32)
    with Lock():
        s, _ = interleaved(
            {"numpy": lambda: x * 2.5, "raptors": lambda: raptors.scale(x, 2.5)},
            seconds,
            min_rounds=30,
        )
    return ratio_median(s["raptors"], s["numpy"])


def blas_contention(seconds):
    """2048² f32 out= right after an OpenBLAS call (its threads spin ~0.1 s
    afterwards, holding a core): default threads vs one thread, interleaved."""
    if _blas is None:
        return None
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2048, 2048)).astype(np.float32)
    y = np.empty_like(x)
    m = rng.standard_normal((256, 256)).astype(np.float32)
    default = raptors.get_num_threads()

    def after_blas(threads):
        def f():
            _blas.sgemm(1.0, m, m)  # wakes OpenBLAS's pool, which then spins
            raptors.set_num_threads(threads)
            t0 = now()
            raptors.scale(x, 1.5, out=y)
            t = now() - t0
            raptors.set_num_threads(default)
            return t

        return f

    fa, f1 = after_blas(default), after_blas(1)
    ta, t1 = [], []
    with Lock():
        t_end = time.monotonic() + seconds
        while len(ta) < 15 or (time.monotonic() < t_end and len(ta) < 200):
            ta.append(fa())
            t1.append(f1())
    return {
        "threads": default,
        "median_s": statistics.median(ta),
        "one_thread_median_s": statistics.median(t1),
        "ratio": ratio_median(t1, ta),
    }


def machine():
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in (
                "Model name",
                "CPU family",
                "Model",
                "CPU(s)",
                "L1d cache",
                "L2 cache",
                "L3 cache",
                "Thread(s) per core",
                "Hypervisor vendor",
                "Flags",
            ):
                v = v.strip()
                if k.strip() == "Flags":
                    v = " ".join(f for f in v.split() if f.startswith(("avx512f", "avx2")))
                info[k.strip()] = v
    except OSError:
        pass
    try:
        with open("/proc/loadavg") as f:
            info["loadavg"] = f.read().split()[:3]
    except OSError:  # not Linux
        pass
    try:
        import scipy

        info["scipy"] = scipy.__version__
    except Exception:
        pass
    if _ne is not None:
        info["numexpr"] = _ne.__version__
    return info


def find(rows, dtype, size, mode, threads=None):
    for r in rows:
        if (
            r["dtype"] == dtype
            and r["size"] == size
            and r["mode"] == mode
            and ((threads is None and r["threads"] != 1) or r["threads"] == threads)
        ):
            return r
    return None


def targets(rows, small, contention):
    """(name, wanted, measured, met) for each target of issue 4."""
    t = []

    def add(name, want, value, ok):
        t.append((name, want, value, ok))

    for d in ("float32", "float64"):
        r = find(rows, d, "2048²", "out")
        if r:
            add(f"{d} 2048² out=, default threads", "≥ 1.9", r["speedup"], r["speedup"] >= 1.9)
    r = find(rows, "float32", "2048²", "alloc")
    if r:
        add("float32 2048² allocating", "≥ 1.9", r["speedup"], r["speedup"] >= 1.9)
    r = find(rows, "float32", "4096²", "alloc")
    if r:
        add("float32 4096² allocating", "≥ 3.0", r["speedup"], r["speedup"] >= 3.0)
    r = find(rows, "float32", "2048²", "inplace")
    if r:
        add("float32 2048² in place", "≥ 1.9", r["speedup"], r["speedup"] >= 1.9)
        b = r["peers"].get("openblas-scal")
        if b:
            rel = b["vs_raptors"]
            add(
                "float32 2048² in place vs OpenBLAS sscal (sscal time / Raptors time)",
                "≥ 1.0",
                rel,
                rel >= 1.0,
            )
    r = find(rows, "float32", "2048²", "out", 1)
    if r:
        add("float32 2048² out=, 1 thread", "≥ 0.98", r["speedup"], r["speedup"] >= 0.98)
    r = find(rows, "float32", "4096²", "out", 1)
    if r:
        add("float32 4096² out=, 1 thread", "≥ 1.6", r["speedup"], r["speedup"] >= 1.6)
    r = find(rows, "float32", "64K", "out", 1)
    if r:
        add("float32 65,536 elements out=, 1 thread", "≥ 0.9", r["speedup"], r["speedup"] >= 0.9)
    if small is not None:
        add("16-element call, Raptors time / NumPy x*a time", "≤ 3.0", small, small <= 3.0)
    r = find(rows, "float32", "2048²", "out")
    if r:
        add(
            "float32 2048² out=, fraction of copy roofline",
            "≥ 0.9",
            r["roofline"],
            r["roofline"] >= 0.9,
        )
    if contention:
        add(
            "2048² right after an OpenBLAS call: 1-thread time / default-threads time",
            "≥ ~0.9 (never far slower than one thread)",
            contention["ratio"],
            contention["ratio"] >= 0.9,
        )
    return t


def us(s):
    """Seconds as microseconds, for the tables."""
    return f"{s * 1e6:.1f}" if s < 1e-2 else f"{s * 1e6:.0f}"


def plot(rows, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:
        return f"(no plot: {exc})"
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for col, d in enumerate(("float32", "float64")):
        ax_s, ax_g = axes[0][col], axes[1][col]
        for mode in MODES:
            rs = [r for r in rows if r["dtype"] == d and r["mode"] == mode and r["threads"] != 1]
            if not rs:
                continue
            ns = [r["nbytes"] for r in rs]
            color = {"out": "C0", "alloc": "C1", "inplace": "C2"}[mode]
            ax_s.plot(ns, [r["speedup"] for r in rs], "o-", color=color, label=f"Raptors {mode}")
            ax_g.plot(
                ns, [r["gbps_raptors"] for r in rs], "o-", color=color, label=f"Raptors {mode}"
            )
            if mode == "out":
                ax_g.plot(
                    ns, [r["gbps_numpy"] for r in rs], "s--", color="grey", label="NumPy out="
                )
                ax_g.plot(ns, [r["gbps_copy"] for r in rs], "k:", label="copy roofline")
        rs1 = [r for r in rows if r["dtype"] == d and r["threads"] == 1]
        if rs1:
            ax_s.plot(
                [r["nbytes"] for r in rs1],
                [r["speedup"] for r in rs1],
                "x",
                color="C3",
                markersize=10,
                label="Raptors out=, 1 thread",
            )
        ax_s.axhline(1.0, color="grey", lw=0.8)
        for ax in (ax_s, ax_g):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("array bytes")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        ax_s.set_ylabel("speedup (NumPy time / Raptors time)")
        ax_g.set_ylabel("GB/s (read + written)")
        ax_s.set_title(f"{d}: speedup vs NumPy")
        ax_g.set_title(f"{d}: bandwidth")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return None


def limits_text(rows, info):
    l2 = info.get("l2_bytes", 0)
    l3 = info.get("l3_bytes", 0)
    return [
        "- **16 – 1K elements**: the call itself. NumPy's ufunc machinery costs well under a "
        "microsecond; Raptors pays a Python function, ctypes' argument conversion and the "
        "foreign call (~0.4 us of it is ctypes alone), then a few nanoseconds of kernel.",
        f"- **64K elements (256–512 KiB)**: the L2 ({l2 // 1024} KiB per core) holds x and y; "
        f"one core's load/store ports limit both libraries alike, and a second thread only pays "
        f"when a call moves more than ~{2 * (l2 // 4) // 1024} KiB (the run-time threshold, "
        "L2/4 per thread).",
        f"- **512² – 2048²**: x + y from 2 MiB to 32 MiB sit in the L3 ({l3 >> 20} MiB, shared): "
        f"the L3 bandwidth per core bounds one thread, so two threads on two cores roughly "
        f"double it, when the second core is free. This machine is shared with other jobs, "
        f"which is the main source of spread at these sizes.",
        "- **4096²** (64 MiB per f32 array): DRAM. Streaming stores (above x + y > L3/2) skip "
        "the read-for-ownership of y, and the pool skips the page faults and zeroing that "
        "NumPy's fresh 64 MiB allocation pays on every call.",
    ]


def write_report(rows, small, contention, info, bi, outdir, png_name, plot_err, args):
    date = dt.date.today().isoformat()
    lines = [
        f"# Raptors scale vs NumPy — {date}",
        "",
        f"Made by `make report` ({'--quick' if args.quick else 'full'}; "
        f"`python tools/report/scale_report.py`) at "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        "Method: NumPy, Raptors and the peers run interleaved in one process "
        "(tools/measure.py), one sample each per round in shuffled order; a sample is the "
        "mean of k back-to-back calls "
        "(k sized to ~0.3 ms). Speedup = median over rounds of NumPy time / Raptors time. "
        "GB/s counts bytes read + bytes written (2 × array bytes). Roofline = median over "
        "rounds of copy time / Raptors time, the copy being the fastest plain copy of the "
        "same bytes (np.copyto or libc memcpy, whichever is faster at that size) run in the "
        "same rounds; copy GB/s is that copy's median. Times in µs.",
        "",
        "## Machine",
        "",
    ]
    for k, v in info.items():
        lines.append(f"- {k}: {v}")
    lines += ["", "`raptors.build_info()`:", "", "```json", json.dumps(bi, indent=1), "```", ""]

    tt = targets(rows, small, contention)
    lines += [
        "## Targets (issue 4)",
        "",
        "| target | wanted | measured | met |",
        "| --- | --- | --- | --- |",
    ]
    for name, want, val, ok in tt:
        lines.append(f"| {name} | {want} | {val:.2f} | {'yes' if ok else '**no**'} |")
    lines.append("")

    peer_names = sorted({p for r in rows for p in r["peers"]})
    head = (
        "| dtype | size | mode | thr | NumPy mean ± std | CV | best | Raptors mean ± std | CV "
        "| best | speedup | GB/s NumPy | GB/s Raptors | copy GB/s | roofline |"
    )
    sep = "| --- " * 15 + "|"
    for p in peer_names:
        head += f" {p} speedup |"
        sep += " --- |"
    lines += ["## All cases", "", head, sep]
    for r in rows:
        n, ra = r["numpy"], r["raptors"]
        line = (
            f"| {r['dtype']} | {r['size']} | {r['mode']} | {r['threads']} "
            f"| {us(n['mean'])} ± {us(n['std'])} | {n['cv']:.0%} | {us(n['best'])} "
            f"| {us(ra['mean'])} ± {us(ra['std'])} | {ra['cv']:.0%} | {us(ra['best'])} "
            f"| **{r['speedup']:.2f}** | {r['gbps_numpy']:.1f} | {r['gbps_raptors']:.1f} "
            f"| {r['gbps_copy']:.1f} | {r['roofline']:.2f} |"
        )
        for p in peer_names:
            pv = r["peers"].get(p)
            line += f" {pv['speedup']:.2f} |" if pv else " |"
        lines.append(line)
    lines.append("")
    lines.append(
        "Peer columns: NumPy time / peer time (>1: the peer is faster than NumPy; "
        "compare with the speedup column), from a separate pass interleaving the peer "
        "with Raptors, so that a peer's spinning threads do not tax the NumPy/Raptors "
        "pairs; the effect of a co-running OpenBLAS pool on Raptors is measured on its "
        "own below."
    )
    lines.append("")
    if plot_err:
        lines += [plot_err, ""]
    else:
        lines += [f"![speedup and GB/s vs size]({png_name})", ""]
    if small is not None:
        lines += [f"A 16-element call: Raptors takes {small:.2f}× NumPy's `x * a` time.", ""]
    if contention:
        lines += [
            "Co-running OpenBLAS (2048² f32 `out=` timed right after an `sgemm`, whose "
            f"threads then spin): {contention['threads']} threads "
            f"{us(contention['median_s'])} µs vs 1 thread "
            f"{us(contention['one_thread_median_s'])} µs (1-thread time / default time = "
            f"{contention['ratio']:.2f}).",
            "",
        ]

    lines += ["## Findings", ""]
    best = max((r for r in rows if r["threads"] != 1), key=lambda r: r["speedup"])
    worst = min(
        (r for r in rows if r["threads"] != 1 and r["size"] not in ("16", "1K")),
        key=lambda r: r["speedup"],
    )
    lines += [
        f"- Largest speedup: {best['dtype']} {best['size']} {best['mode']} at "
        f"{best['speedup']:.2f}×; lowest above 1K elements: {worst['dtype']} "
        f"{worst['size']} {worst['mode']} at {worst['speedup']:.2f}×."
    ]
    unmet = [name for name, _, _, ok in tt if not ok]
    lines.append(
        f"- Targets met: {len(tt) - len(unmet)} of {len(tt)}"
        + (f"; not met: {'; '.join(unmet)}." if unmet else ".")
    )
    lines.append(
        "- Every Raptors result here is bit-identical to NumPy's "
        "(`make test` checks it); no fast-math, no FTZ/DAZ."
    )
    lines += ["", "## What limits each size", ""] + limits_text(rows, bi) + [""]
    lines += [
        "## Next steps",
        "",
        "- Re-run on an idle machine: the load average above says how shared this one was.",
        "- A C-level entry taking the ndarray itself (a CPython extension) would cut the "
        "small-call cost below ctypes' floor.",
        "- Find why OpenBLAS `sscal` turns bimodal (~0.5 ms or ~7 ms at 2048²) in a process "
        "where a Raptors worker exists (not seen with RAPTORS_NUM_THREADS=1).",
        "- Static first assignment of chunks per thread (then stealing), so repeated calls "
        "on L2-sized arrays find their half in the same core's L2.",
        "- Per-size tuning of the thread threshold and streaming threshold from a "
        "calibration run at import, instead of fixed fractions of the cache sizes.",
        "",
    ]
    date_path = os.path.join(outdir, f"scale-{date}.md")
    with open(date_path, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(outdir, f"scale-{date}.json"), "w") as f:
        json.dump(
            {
                "rows": rows,
                "small_call": small,
                "contention": contention,
                "machine": info,
                "build_info": bi,
                "targets": tt,
            },
            f,
            indent=1,
            default=str,
        )
    return date_path, tt


def summary(rows, tt, info, small, path):
    """The short table for the README's Performance section."""
    date = dt.date.today().isoformat()
    cpu = info.get("Model name", platform.machine())
    lines = [
        f"Measured {date} on {cpu} ({info.get('CPU(s)', '?')} CPUs, L2 "
        f"{info.get('L2 cache', '?')}, L3 {info.get('L3 cache', '?')}; load average "
        f"{' '.join(info.get('loadavg', []))}), NumPy {np.__version__}, by `make report`. "
        "Speedup = NumPy time / Raptors time (median of interleaved pairs), default threads; "
        "GB/s = bytes read + written.",
        "",
        "| size | f32 out= | f32 new | f32 in place | f64 out= | f64 new | f64 in place "
        "| f32 out= GB/s |",
        "| --- " * 8 + "|",
    ]
    sizes = []
    for r in rows:
        if r["size"] not in sizes:
            sizes.append(r["size"])
    for size in sizes:
        cells = []
        for d in ("float32", "float64"):
            for mode in MODES:
                r = find(rows, d, size, mode)
                cells.append(f"{r['speedup']:.2f}" if r else "")
        r = find(rows, "float32", size, "out")
        cells.append(f"{r['gbps_raptors']:.1f}" if r else "")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    lines += ["", "| target (issue 4) | wanted | measured | met |", "| --- | --- | --- | --- |"]
    for name, want, val, ok in tt:
        lines.append(f"| {name} | {want} | {val:.2f} | {'yes' if ok else 'no'} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes, shorter runs")
    ap.add_argument("--out", default="reports")
    ap.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds for the main table (default 90, quick 30)",
    )
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    args = ap.parse_args()
    budget = args.budget or (30.0 if args.quick else 90.0)
    os.makedirs(args.out, exist_ok=True)
    # One step per case, then the 16-element call and the OpenBLAS contention run (seconds each).
    bar = progress.Progress(
        len(plan_cases(args.quick)) + 2, "report", "case", no_progress=args.no_progress
    )
    rows = run_cases(args.quick, budget, bar)
    bar.doing("report 16-element call")
    small = small_call(2.0)
    bar.update()
    bar.doing("report after an OpenBLAS call")
    contention = blas_contention(3.0)
    bar.update()
    bar.close()
    info = machine()
    bi = raptors.build_info()
    png_name = f"scale-{dt.date.today().isoformat()}.png"
    plot_err = plot(rows, os.path.join(args.out, png_name))
    path, tt = write_report(rows, small, contention, info, bi, args.out, png_name, plot_err, args)
    summary(rows, tt, info, small, path.replace(".md", "-summary.md"))
    print(f"\nwrote {path} (and -summary.md, .json, .png)")
    for name, want, val, ok in tt:
        print(f"  {'ok ' if ok else 'NO '} {name}: {val:.2f} (want {want})")


if __name__ == "__main__":
    main()
