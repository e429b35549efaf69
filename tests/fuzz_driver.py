"""The command-line driver both fuzzers share (tests/fuzz_scale.py, tests/fuzz_ops.py): seeded,
replayable cases, a time or case budget, and a trace file naming the case about to run (what
a crash leaves behind). USAGE ends each fuzzer's --help."""

from __future__ import annotations

import argparse
import os
import time
import traceback
import warnings
from collections.abc import Callable

import raptors

USAGE = """\
Case i of seed S is drawn from its own generator, so any case replays alone:
    python tests/{name}.py --seed S --start i --cases 1 -v
Every few cases the thread count and SIMD variant change too.

    python tests/{name}.py [--seed S] [--cases N | --time SECONDS] [--trace FILE]

--trace FILE: the case about to run is written there first (overwritten each
time), so a crash of the interpreter still names it. Exit status 0: all cases
passed; 1: some failed (each is printed); a crash is a signal/ASan abort."""


def main(name: str, doc: str, run_case: Callable[[int, int, bool], str | None], argv=None) -> int:
    """Run the cases of one fuzzer; run_case(seed, i, verbose) returns a failure message or None."""
    p = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=USAGE.format(name=name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--cases", type=int, default=None)
    p.add_argument("--time", type=float, default=None, help="seconds (default 60 unless --cases)")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--trace", default=None, help="file naming the case about to run")
    p.add_argument("--max-failures", type=int, default=20)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    limit = args.time if args.time is not None else (None if args.cases is not None else 60.0)
    trace = (
        os.open(args.trace, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if args.trace else None
    )
    print(
        f"{name}: seed {seed}, {args.cases or 'unlimited'} cases, "
        f"{limit or 'no'} time limit, simd {raptors.get_simd()}, "
        f"library {raptors.build_info()['library']}",
        flush=True,
    )
    t0 = time.monotonic()
    failures = 0
    i = args.start
    while True:
        if args.cases is not None and i - args.start >= args.cases:
            break
        if limit is not None and time.monotonic() - t0 > limit:
            break
        if trace is not None:
            line = (
                f"seed {seed} case {i}: replay with python tests/{name}.py --seed {seed} "
                f"--start {i} --cases 1 -v\n".encode()
            )
            os.pwrite(trace, line.ljust(200), 0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                msg = run_case(seed, i, args.verbose)
        except Exception:
            msg = f"case {i}: the harness raised\n{traceback.format_exc()}"
        if msg:
            failures += 1
            print(f"FAIL (replay: --seed {seed} --start {i} --cases 1 -v)\n{msg}", flush=True)
            if failures >= args.max_failures:
                print("too many failures, stopping", flush=True)
                break
        i += 1
    n = i - args.start
    print(
        f"{name}: seed {seed}: {n} cases in {time.monotonic() - t0:.1f} s, {failures} failed",
        flush=True,
    )
    return 1 if failures else 0
