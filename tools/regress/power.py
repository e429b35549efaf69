"""How good is the gate? Plant known slowdowns, run the gate many times, count.

    python tools/regress/power.py [--trials 20] [--slowdowns 10,25] [--seconds 2]

In a temporary clone (.cache/regress/power/clone, sharing this repository's
objects) it makes, on top of the current commit HEAD:
  - "identical": an empty commit (same tree, a separate build of it),
  - "slow+P%": a commit whose kernels take P% longer (tools/regress/plant.py)
and builds each once (tools/regress/libs.py). Then it runs the gate
(tools/regress/gate.py, prebuilt libraries, BASE = HEAD's build) TRIALS times
per condition, conditions interleaved round-robin so that the machine's moods
fall on all of them alike, and prints per condition how often the gate said
"regression": the detection rate for planted slowdowns, the false-alarm rate
for identical commits. The time layer and the whole gate (time + instructions)
are reported separately: instruction counts are deterministic, so they are
taken once per condition.

Set REGRESS_LOCK=/path/to/lockfile to hold that lock (flock) around each round
(one trial of every condition, well under a minute), so that other benchmark runs
on a shared machine do not overlap it; results are rewritten after every round.

Progress (builds, then one step per gate run, with an ETA) goes to stderr
(tools/progress.py); --no-progress or TQDM_DISABLE=1 turns it off.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # tools/progress.py
import icount  # noqa: E402
import libs  # noqa: E402
import plant  # noqa: E402
import progress  # noqa: E402
import stats  # noqa: E402

POWER_DIR = os.path.join(libs.CACHE, "power")


def git(repo, *args, capture=True):
    r = subprocess.run(["git", "-C", repo, *args], capture_output=capture, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {r.stderr}")
    return r.stdout.strip()


def make_clone(head_sha: str) -> str:
    clone = os.path.join(POWER_DIR, "clone")
    shutil.rmtree(clone, ignore_errors=True)
    os.makedirs(POWER_DIR, exist_ok=True)
    subprocess.run(
        ["git", "clone", "-q", "--shared", "--no-checkout", libs.REPO, clone], check=True
    )
    git(clone, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", head_sha)
    git(clone, "config", "user.name", "regress-power")
    git(clone, "config", "user.email", "regress-power@localhost")
    return clone


def commit_variant(clone: str, head_sha: str, percent: int) -> str:
    git(clone, "checkout", "-q", "--detach", head_sha)
    if percent == 0:
        git(clone, "commit", "-q", "--allow-empty", "-m", "identical: no change")
    else:
        names = plant.plant(clone, percent)
        git(
            clone,
            "commit",
            "-q",
            "-am",
            f"planted: kernels {', '.join(names)} take {percent}% longer",
        )
    sha = git(clone, "rev-parse", "HEAD")
    git(clone, "checkout", "-q", "--detach", head_sha)
    return sha


def cond_name(p: int) -> str:
    return "identical" if p == 0 else f"slow+{p}%"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="measure the regression gate's detection and false-alarm rates"
    )
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--slowdowns", default="10,25", help="planted slowdowns in percent")
    ap.add_argument("--seconds", type=float, default=2.0, help="gate timing per case")
    ap.add_argument("--factor", type=float, default=stats.FACTOR)
    ap.add_argument("--alpha", type=float, default=stats.ALPHA)
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--json", default=os.path.join(POWER_DIR, "results.json"))
    ap.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    args = ap.parse_args(argv)
    t0 = time.time()
    lock = os.environ.get("REGRESS_LOCK")

    head_sha = libs.resolve(args.rev)
    percents = [0] + [int(p) for p in args.slowdowns.split(",") if p]
    print(
        f"regress-power: HEAD {head_sha[:12]}; conditions {', '.join(map(cond_name, percents))}; "
        f"{args.trials} trials each; gate factor {args.factor:g}, alpha {args.alpha:g}, "
        f"{args.seconds:g} s per timing case"
        + (f"; each trial under flock {lock}" if lock else ""),
        flush=True,
    )
    # Builds: one step for HEAD, one per condition (cached builds take no time, so the ETA here
    # is rough; the trials below have a steady one).
    bar = progress.Progress(1 + len(percents), "build HEAD", "build", no_progress=args.no_progress)
    clone = make_clone(head_sha)
    _, base_lib = libs.build_rev(head_sha, "native", repo=clone)
    conds = {}
    have_vg = icount.valgrind() is not None
    base_ic = libs.build_rev(head_sha, "icount", repo=clone)[1] if have_vg else None
    bar.update()
    for p in percents:
        bar.doing(f"build {cond_name(p)}")
        sha = commit_variant(clone, head_sha, p)
        lib = libs.build_rev(sha, "native", repo=clone)[1]
        ic = libs.build_rev(sha, "icount", repo=clone)[1] if have_vg else None
        insn, insn_flag = [], None
        if have_vg:
            try:
                insn = [
                    stats.judge_insn(c, icount.count(base_ic, c), icount.count(ic, c))
                    for c in ("f32", "f64", "f32-strided")
                ]
                insn_flag = any(v.verdict == "regression" for v in insn)
            except icount.IcountError as e:
                bar.say(f"  instructions unavailable: {e}")
        conds[p] = {
            "name": cond_name(p),
            "sha": sha,
            "lib": lib,
            "insn": insn,
            "insn_flag": insn_flag,
            "flags": [],
            "ratios": {},
            "secs": [],
        }
        bar.say(
            f"  built {cond_name(p):10s} {sha[:12]}"
            + (f"; instructions f32 x{insn[0].ratio:.3f}" if insn else "")
        )
        bar.update()
    bar.close()
    print(f"  builds done in {time.time() - t0:.0f} s", flush=True)

    out_json = os.path.join(POWER_DIR, "trial.json")
    order = list(percents)
    rng = random.Random(12345)
    # One step per gate run; the bar moves only between them (each gate times in its own process).
    bar = progress.Progress(
        args.trials * len(percents), "trials", "gate", no_progress=args.no_progress
    )
    for t in range(args.trials):
        rng.shuffle(order)
        lock_fd = None
        if lock:
            lock_fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            for p in order:
                c = conds[p]
                bar.doing(f"{c['name']} (round {t + 1}/{args.trials})")
                cmd = [
                    sys.executable,
                    os.path.join(HERE, "gate.py"),
                    "--base",
                    "HEAD",
                    "--head",
                    c["name"],
                    "--base-lib",
                    base_lib,
                    "--head-lib",
                    c["lib"],
                    "--no-insn",
                    "--seconds",
                    str(args.seconds),
                    "--factor",
                    str(args.factor),
                    "--alpha",
                    str(args.alpha),
                    "--json",
                    out_json,
                    "--quiet",
                ]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode not in (0, 1):
                    bar.close()
                    bar.say(
                        f"  trial failed (exit {r.returncode}): {r.stderr.strip()}", file=sys.stderr
                    )
                    return 2
                with open(out_json) as f:
                    res = json.load(f)
                c["flags"].append(res["verdict"] == "regression")
                c["secs"].append(res["seconds"])
                for v in res["timing"]:
                    c["ratios"].setdefault(v["case"], []).append(v["ratio"])
                bar.update()
        finally:
            if lock_fd is not None:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)
                os.close(lock_fd)
        done = ", ".join(
            f"{conds[p]['name']} {sum(conds[p]['flags'])}/{len(conds[p]['flags'])}"
            for p in percents
        )
        bar.say(f"  round {t + 1}/{args.trials}: flagged {done}  ({time.time() - t0:.0f} s)")
        report(args, head_sha, percents, conds, have_vg, time.time() - t0, final=False)
    bar.close()
    return report(args, head_sha, percents, conds, have_vg, time.time() - t0, final=True)


def report(args, head_sha, percents, conds, have_vg, total, final):
    out = print if final else (lambda *a, **k: None)
    cpu = platform.processor() or platform.machine()
    try:
        for ln in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if ln.startswith("Model name:"):
                cpu = ln.split(":", 1)[1].strip()
    except OSError:
        pass
    out()
    out(
        f"Gate power on {cpu} ({os.cpu_count()} CPUs), HEAD {head_sha[:12]}: "
        f"factor {args.factor:g}, alpha {args.alpha:g}, {args.seconds:g} s per timing case"
    )
    cases = sorted({k for p in percents for k in conds[p]["ratios"]})
    out(
        f"  {'condition':11s} {'trials':>6s} {'time layer flagged':>19s} {'whole gate':>11s} "
        f"{'gate s/trial':>12s}  median HEAD/BASE per case ({', '.join(cases)})"
    )
    summary = []
    for p in percents:
        c = conds[p]
        n, k = len(c["flags"]), sum(c["flags"])
        gate_k = n if c["insn_flag"] else k
        meds = [statistics.median(c["ratios"][cs]) for cs in cases if cs in c["ratios"]]
        what = "false alarms" if p == 0 else "detected"
        out(
            f"  {c['name']:11s} {n:6d} {k:4d} = {100 * k / n:5.1f}% "
            f"{gate_k:4d} = {100 * gate_k / n:3.0f}% "
            f"{statistics.mean(c['secs']):12.1f}  {' '.join(f'{m:.3f}' for m in meds)}   ({what})"
        )
        summary.append(
            {
                "condition": c["name"],
                "percent": p,
                "trials": n,
                "time_flagged": k,
                "gate_flagged": gate_k,
                "insn_flag": c["insn_flag"],
                "median_ratio": dict(zip(cases, meds)),
                "flags": c["flags"],
                "ratios": c["ratios"],
                "mean_trial_seconds": statistics.mean(c["secs"]),
            }
        )
    out(
        "  instruction counts (deterministic, once per condition): "
        + ", ".join(
            f"{conds[p]['name']} {'flagged' if conds[p]['insn_flag'] else 'not flagged'}"
            for p in percents
            if conds[p]["insn_flag"] is not None
        )
        if have_vg
        else "  instruction counts: valgrind absent"
    )
    ok = []
    for s in summary:
        rate = s["time_flagged"] / s["trials"]
        if s["percent"] == 0:
            ok.append(rate <= 0.05)
        elif s["percent"] >= 25:
            ok.append(rate == 1.0)
        elif s["percent"] >= 10:
            ok.append(rate >= 0.95)
        # below 10%: no target, reported for information (where the factor bites)
    out(
        f"  targets (identical <= 5%, 10% >= 95%, 25% = 100%, time layer alone): "
        f"{'MET' if all(ok) else 'NOT MET'}; total {total / 60:.1f} min"
    )
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(
            {
                "cpu": cpu,
                "head": head_sha,
                "factor": args.factor,
                "alpha": args.alpha,
                "seconds_per_case": args.seconds,
                "total_seconds": total,
                "final": final,
                "conditions": summary,
            },
            f,
            indent=1,
        )
    out(f"  results: {args.json}")
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
