"""The regression gate: is HEAD slower than BASE? Exit 0 no, 1 yes, 2 could not tell.

    python tools/regress/gate.py --base REV [--head REV] [--factor 1.05] [--alpha 0.01] ...

1. Builds the libraptors of BASE and of HEAD from their own committed sources
   (tools/regress/libs.py; cached per commit under .cache/regress/).
2. Instructions (deterministic): callgrind counts what one library call executes
   on fixed inputs, per case -- scale, add, subtract, multiply, a row broadcast,
   sum, mean and mean along each axis -- for both builds (tools/regress/icount.py).
   More than INSN_TOL more instructions than BASE is a regression. Skipped, saying
   so, where valgrind is absent; a case whose entry point BASE lacks is skipped
   and named.
3. Time (statistical), through the whole call path: each commit's own `raptors`
   package (its committed Python sources) with its own library, both copies side
   by side in one process with NumPy; rounds of interleaved, shuffled timings on
   the same operands (tools/regress/ab.py, on raptors/_measure.py), one thread and
   every CPU. Per case: median HEAD/BASE time ratio over the rounds, a 95%
   bootstrap interval, a one-sided sign test. A regression is a ratio above
   FACTOR with p below ALPHA / cases (tools/regress/stats.py). A case whose
   operation BASE lacks is skipped and named.
4. Optionally (--asv) `asv continuous` on the headline benchmark, printed; its
   verdict counts only with --asv-strict (see docs/regress.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ab  # noqa: E402
import icount  # noqa: E402
import libs  # noqa: E402
import stats  # noqa: E402

#: Instruction-count cases: every icount case but scale's in-place one (the same kernel as f32).
ICOUNT_CASES = [c for c in icount.CASES if c != "f32-inplace"]


def fmt_t(s: float) -> str:
    if not math.isfinite(s):
        return "-"
    for unit, k in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s:.3g} s"


def run_icount(base_lib, head_lib, tol, log, cases=None):
    """Instruction verdicts per case; cases whose entry point a library lacks are skipped.
    Returns (verdicts, status, {case: why skipped}). Two valgrind runs at a time."""
    if icount.valgrind() is None:
        log(
            "instructions: SKIPPED - valgrind is not installed (apt-get install valgrind); "
            "the gate decides from timings alone"
        )
        return [], "skipped", {}
    cases = list(cases or ICOUNT_CASES)
    out, skipped = [], {}
    try:
        icount.driver()  # compiled once, before the parallel counts
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futs = {
                (c, side): pool.submit(icount.count, lib, c)
                for c in cases
                for side, lib in (("BASE", base_lib), ("HEAD", head_lib))
            }
            counts = {}
            for key, f in futs.items():
                try:
                    counts[key] = f.result()
                except icount.IcountMissing:
                    counts[key] = None
        for c in cases:
            b, h = counts[(c, "BASE")], counts[(c, "HEAD")]
            if b is None or h is None:
                lacking = " and ".join(s for s, v in (("BASE", b), ("HEAD", h)) if v is None)
                skipped[c] = f"{lacking} has no raptors.{icount.CASE_OP[c]}"
                continue
            out.append(stats.judge_insn(c, b, h, tol))
    except icount.IcountError as e:
        log(f"instructions: SKIPPED - {e}")
        return [], "skipped", {}
    return out, "ok", skipped


PACKAGE_FILES = (".py", ".typed")


def make_package(src_tree: str, lib: str, dest: str, side: str) -> str:
    """dest/raptors_<side>/: the commit's raptors/ Python sources (from its exported tree)
    and its own library. Returns dest (the directory to put on sys.path)."""
    pkg_src = os.path.join(src_tree, "raptors")
    if not os.path.isfile(os.path.join(pkg_src, "__init__.py")):
        raise RuntimeError(f"{src_tree} has no raptors package (raptors/__init__.py)")
    pkg = os.path.join(dest, ab.NAMES[side])
    os.makedirs(pkg)
    for f in os.listdir(pkg_src):
        if f.endswith(PACKAGE_FILES) and os.path.isfile(os.path.join(pkg_src, f)):
            shutil.copyfile(os.path.join(pkg_src, f), os.path.join(pkg, f))
    shutil.copyfile(lib, os.path.join(pkg, libs.LIBNAME))
    return dest


def run_timing(base, head, cases, seconds, seed, factor, alpha, python, log):
    """base, head: (source tree, library). Both packages timed side by side (ab.py)."""
    tmp = tempfile.mkdtemp(prefix="raptors-regress-")
    try:
        dirs = {}
        for side, (src, lib) in (("base", base), ("head", head)):
            dirs[side] = make_package(src, lib, os.path.join(tmp, side), side)
        cmd = [
            python,
            os.path.join(HERE, "ab.py"),
            dirs["base"],
            dirs["head"],
            "--cases",
            ",".join(cases),
            "--seconds",
            str(seconds),
            "--seed",
            str(seed),
        ]
        env = dict(os.environ)
        env.pop("RAPTORS_LIBRARY", None)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"timing run failed (exit {r.returncode}):\n{r.stderr.strip()}")
        data = json.loads(r.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ncases = max(1, len(data["cases"]))
    a = alpha / ncases
    verdicts = [
        stats.judge_timing(c, v["base"], v["head"], v["numpy"], factor, a)
        for c, v in data["cases"].items()
    ]
    for v in verdicts:
        v.threads = int(data["cases"][v.case].get("threads", 1))
    return verdicts, data


def print_timing(verdicts, factor, alpha, ncases, simd, log):
    log(
        f"Time, whole call path (each commit's package + library), in-process interleaved A/B "
        f"(SIMD {simd}; median of rounds). Regression: HEAD/BASE > {factor:g} and sign-test "
        f"p < {alpha:g}/{ncases} = {alpha / max(ncases, 1):.2g}"
    )
    hdr = (
        f"  {'case':28s} {'thr':>3s} {'rounds':>6s} {'numpy':>9s} {'base':>9s} {'head':>9s} "
        f"{'x np base':>9s} {'x np head':>9s} {'head/base':>9s} {'95% CI':>15s} "
        f"{'p(slower)':>9s}  verdict"
    )
    log(hdr)
    for v in verdicts:
        ci = f"[{v.ci_lo:.3f}, {v.ci_hi:.3f}]"
        verdict = v.verdict.upper() if v.verdict == "regression" else v.verdict
        log(
            f"  {v.case:28s} {v.threads:3d} {v.rounds:6d} {fmt_t(v.t_numpy):>9s} "
            f"{fmt_t(v.t_base):>9s} {fmt_t(v.t_head):>9s} {v.speedup_base:9.3f} "
            f"{v.speedup_head:9.3f} {v.ratio:9.4f} {ci:>15s} {v.p_slower:9.2g}  {verdict}"
        )
    log(
        "  (x np = speedup over NumPy, NumPy time / Raptors time in the same rounds; "
        "head/base > 1 means HEAD is slower)"
    )


def print_skipped(what, skipped, log):
    if not skipped:
        return
    by_reason = {}
    for case, why in skipped.items():
        by_reason.setdefault(why, []).append(case)
    for why, cases in by_reason.items():
        log(f"  {what} skipped ({why}; compared what both commits have): {', '.join(cases)}")


def print_insn(insn, tol, variant, log):
    if not insn:
        return
    log(
        f"Instructions per library call (callgrind, deterministic; {variant}, 1 thread, "
        f"fixed inputs). "
        f"Regression: HEAD > BASE x {1 + tol:g}"
    )
    log(f"  {'case':15s} {'base':>14s} {'head':>14s} {'head/base':>9s}  verdict")
    for v in insn:
        log(
            f"  {v.case:15s} {v.base:14,d} {v.head:14,d} {v.ratio:9.4f}  "
            f"{v.verdict.upper() if v.verdict == 'regression' else v.verdict}"
        )


def asv_config() -> str | None:
    """A copy of asv.conf.json whose environments and results live in .cache/regress/asv/, so
    the gate never reinstalls a commit into (or writes results beside) `make bench`'s own."""
    repo = libs.REPO
    conf = os.path.join(repo, "asv.conf.json")
    if not os.path.isfile(conf) or not os.path.isdir(os.path.join(repo, "benchmarks")):
        return None
    from asv import util as asv_util

    c = asv_util.load_json(conf, js_comments=True)
    d = os.path.join(libs.CACHE, "asv")
    os.makedirs(d, exist_ok=True)
    c["repo"] = repo
    c["benchmark_dir"] = os.path.join(repo, c.get("benchmark_dir", "benchmarks"))
    c["env_dir"] = os.path.join(d, "env")
    c["results_dir"] = os.path.join(d, "results")
    c["html_dir"] = os.path.join(d, "html")
    out = os.path.join(d, "asv.conf.json")
    with open(out, "w") as f:
        json.dump(c, f, indent=1)
    return out


def run_asv(base_sha, head_sha, factor, bench, log) -> str:
    """asv continuous on `bench`; returns 'ok', 'regression' or 'skipped'."""
    try:
        conf = asv_config()
    except ImportError:
        conf = None
        log("asv: SKIPPED - asv is not installed (make bench-setup)")
        return "skipped"
    if conf is None:
        log("asv: SKIPPED - no asv.conf.json / benchmarks/ in this tree")
        return "skipped"
    subprocess.run(
        [sys.executable, "-m", "asv", "machine", "--yes", "--config", conf],
        capture_output=True,
        text=True,
    )
    cmd = [
        sys.executable,
        "-m",
        "asv",
        "continuous",
        "--config",
        conf,
        "--factor",
        str(factor),
        "--split",
        "--interleave-rounds",
        "-b",
        bench,
        base_sha,
        head_sha,
    ]
    log(
        f"asv (advisory unless ASV_STRICT=1; its own factor {factor:g} and Mann-Whitney test): "
        f"$ asv continuous --factor {factor:g} --split --interleave-rounds -b '{bench}' "
        f"{base_sha[:12]} {head_sha[:12]}"
    )
    r = subprocess.run(cmd, cwd=libs.REPO, capture_output=True, text=True)
    text = (r.stdout + r.stderr).strip().splitlines()
    keep = [
        ln
        for ln in text
        if ln.strip().startswith(("|", "+", "-", "Change", "before", "BENCH"))
        or "SIGNIFICANTLY" in ln
        or "PERFORMANCE" in ln
        or "ratio" in ln
    ]
    for ln in keep or text[-30:]:
        log("  " + ln)
    if any("PERFORMANCE DECREASED" in ln for ln in text):
        return "regression"
    if r.returncode == 0:
        return "ok"
    log(f"asv: could not compare (exit {r.returncode})")
    return "skipped"


def main(argv=None) -> int:
    # Both commits run untuned: a machine's stored tuning (python -m raptors tune) applies to
    # the commits that know it, and would be charged to HEAD against an older BASE.
    os.environ.setdefault("RAPTORS_TUNING", "off")
    ap = argparse.ArgumentParser(description="Raptors regression gate (HEAD vs BASE)")
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--head", default="HEAD", help="git revision under test (default HEAD)")
    ap.add_argument("--base-lib", help="use this built library for BASE (skips the build)")
    ap.add_argument("--head-lib", help="use this built library for HEAD")
    ap.add_argument(
        "--base-src",
        help="BASE's source tree (its raptors/ package is timed); default with --base-lib: "
        "this work tree",
    )
    ap.add_argument("--head-src", help="HEAD's source tree (as --base-src)")
    ap.add_argument("--base-icount-lib", help="valgrind-runnable BASE library")
    ap.add_argument("--head-icount-lib", help="valgrind-runnable HEAD library")
    ap.add_argument("--factor", type=float, default=stats.FACTOR)
    ap.add_argument("--alpha", type=float, default=stats.ALPHA)
    ap.add_argument("--insn-tol", type=float, default=stats.INSN_TOL)
    ap.add_argument("--seconds", type=float, default=2.0, help="timing per case (seconds)")
    ap.add_argument("--cases", default=",".join(ab.DEFAULT_CASES))
    ap.add_argument("--insn-cases", default=",".join(ICOUNT_CASES))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--no-insn", action="store_true", help="skip the instruction counts")
    ap.add_argument("--no-time", action="store_true", help="skip the timings")
    ap.add_argument("--asv", action="store_true", help="also run asv continuous (slow)")
    ap.add_argument("--asv-strict", action="store_true", help="asv's verdict counts too")
    ap.add_argument("--asv-bench", default=r"bench_headline\.ScaleF32At2048\.time_")
    ap.add_argument("--json", help="write the verdicts here")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    log = (lambda s: None) if args.quiet else (lambda s: print(s, flush=True))
    t_start = time.time()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")

    try:
        base_sha = head_sha = None
        if args.base_lib and args.head_lib:
            base_lib, head_lib = args.base_lib, args.head_lib
            base_ic, head_ic = args.base_icount_lib, args.head_icount_lib
            base_src, head_src = args.base_src or libs.REPO, args.head_src or libs.REPO
            base_name, head_name = args.base, args.head
        else:
            base_sha, base_lib = libs.build_rev(args.base, "native")
            head_sha, head_lib = libs.build_rev(args.head, "native")
            base_src, head_src = libs.export(base_sha), libs.export(head_sha)
            base_ic = head_ic = None
            if not args.no_insn and icount.valgrind():
                base_ic = libs.build_rev(args.base, "icount")[1]
                head_ic = libs.build_rev(args.head, "icount")[1]
            base_name, head_name = (
                f"{args.base} ({base_sha[:12]})",
                f"{args.head} ({head_sha[:12]})",
            )
    except libs.BuildError as e:
        print(f"regress: {e}", file=sys.stderr)
        return 2
    log(f"Raptors regression gate: HEAD = {head_name} vs BASE = {base_name}")
    log(
        f"  factor {args.factor:g} (a case regresses when HEAD is more than "
        f"{(args.factor - 1) * 100:.0f}% slower), alpha {args.alpha:g}, instruction tolerance "
        f"{args.insn_tol * 100:g}%, {args.seconds:g} s per timing case, seed {seed}"
    )

    insn, insn_status, insn_skipped = [], "off", {}
    if not args.no_insn:
        if base_ic and head_ic:
            insn_cases = [c for c in args.insn_cases.split(",") if c]
            insn, insn_status, insn_skipped = run_icount(
                base_ic, head_ic, args.insn_tol, log, insn_cases
            )
        elif icount.valgrind() is None:
            log("instructions: SKIPPED - valgrind is not installed (apt-get install valgrind)")
            insn_status = "skipped"
        print_insn(insn, args.insn_tol, icount.DEFAULT_VARIANT, log)
        print_skipped("instructions", insn_skipped, log)

    timing, data = [], {}
    cases = [c for c in args.cases.split(",") if c]
    if not args.no_time:
        try:
            timing, data = run_timing(
                (base_src, base_lib),
                (head_src, head_lib),
                cases,
                args.seconds,
                seed,
                args.factor,
                args.alpha,
                sys.executable,
                log,
            )
        except RuntimeError as e:
            print(f"regress: {e}", file=sys.stderr)
            return 2
        simd = data["simd"]["head"]
        if data["simd"]["base"] != simd:
            simd = f"base {data['simd']['base']}, head {simd}"
        print_timing(timing, args.factor, args.alpha, len(timing), simd, log)
        print_skipped("time", data.get("skipped", {}), log)

    asv_status = "off"
    if args.asv:
        if base_sha is None:
            log("asv: SKIPPED - needs revisions, not prebuilt libraries")
        else:
            asv_status = run_asv(base_sha, head_sha, args.factor, args.asv_bench, log)
            if asv_status == "regression" and not args.asv_strict:
                log("asv: flagged a change; advisory only (pass ASV_STRICT=1 to let it decide)")

    verdict = stats.overall(timing, insn)
    if args.asv_strict and asv_status == "regression":
        verdict = "regression"
    reasons = [f"time {v.case} x{v.ratio:.3f}" for v in timing if v.verdict == "regression"]
    reasons += [f"instructions {v.case} x{v.ratio:.3f}" for v in insn if v.verdict == "regression"]
    if args.asv_strict and asv_status == "regression":
        reasons.append("asv continuous")
    elapsed = time.time() - t_start
    skipped = sorted(set(insn_skipped) | set(data.get("skipped", {})))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "verdict": verdict,
                    "timing": [v.as_dict() for v in timing],
                    "insn": [v.as_dict() for v in insn],
                    "insn_status": insn_status,
                    "skipped": {"insn": insn_skipped, "time": data.get("skipped", {})},
                    "asv": asv_status,
                    "seconds": elapsed,
                    "seed": seed,
                },
                f,
            )
    compared = f"{len(timing)} timing case(s), {len(insn)} instruction count(s)"
    if skipped:
        compared += f"; {len(skipped)} skipped (see above)"
    if verdict == "regression":
        log(f"REGRESSION: {', '.join(reasons)}  ({compared}; {elapsed:.0f} s)")
        return 1
    log(
        f"OK: no regression beyond factor {args.factor:g} (p < {args.alpha:g}) in time, "
        f"none beyond {args.insn_tol * 100:g}% in instructions ({compared}; {elapsed:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
