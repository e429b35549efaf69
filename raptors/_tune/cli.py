"""`python -m raptors tune`: the command line -- measure and write, --show, --if-missing,
--compare -- and the summary it prints."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import _cpu, _measure, _tuning
from .compare import compare
from .probe import shown
from .run import METHOD, Tuner


def _load_doc(spec: str) -> dict[str, Any] | None:
    if spec in ("default", "defaults", "derived", "none"):
        return None
    return _tuning.read(Path(spec).expanduser())


def summary(doc: dict[str, Any]) -> str:
    dec = doc["decisions"]
    ev = doc.get("evidence", {})
    default = next(iter(doc.get("cpu", {}).get("simd_available", [])), "?")
    moved = {c: v for c, v in dec["simd"].items() if v != default}
    lines = [
        f"CPU: {_cpu.describe(doc['cpu'])}; key {doc.get('key')}",
        f"measured {doc.get('measured', '?')} in {doc.get('seconds', '?')} s "
        f"({doc.get('raptors', {}).get('threads', '?')} threads)",
        f"SIMD: {default} everywhere"
        + (", except " + ", ".join(f"{c}={v}" for c, v in moved.items()) if moved else ""),
    ]
    for k, label, what in (
        ("stream_above_bytes", "stream", "streaming stores above"),
        ("stream_above_bytes_one_thread", "stream", "streaming stores above, one thread"),
        ("bytes_per_thread", "threads", "bytes per thread"),
    ):
        v = dec.get(k) or {}
        v = v if isinstance(v, dict) else {"all": v}
        d = ev.get(label, {}).get("derived")
        lines.append(
            f"{what}: "
            + (", ".join(f"{f} {shown(x)}" for f, x in v.items()) or "not tuned")
            + f" (derived: {shown(d)})"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m raptors tune",
        description="Measure this machine's best SIMD variant per size and the streaming-store "
        "and thread thresholds; store them for this processor type.",
    )
    parser.add_argument("--output", help=f"write here (default: ${_tuning.ENV} or the cache)")
    parser.add_argument("--if-missing", action="store_true", help="only if none exists yet")
    parser.add_argument("--dry-run", action="store_true", help="measure and print; write nothing")
    parser.add_argument("--quick", action="store_true", help="3 rounds each (a smoke test)")
    parser.add_argument("--visits", type=int, default=4, help="visits per case")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per visit")
    parser.add_argument("--show", action="store_true", help="print the tuning in effect")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="TUNING",
        help="A [B]: time the cases where tunings A and B (files, or 'default') differ",
    )
    parser.add_argument("--no-lock", action="store_true", help="skip the shared benchmark lock")
    args = parser.parse_args(argv)

    path = Path(args.output).expanduser() if args.output else _tuning.tuning_path()
    if args.show:
        st = _tuning.STATUS
        if args.json:
            print(json.dumps(st.__dict__))
        else:
            print(st.summary())
            if st.state == "tuned":
                print(summary(_tuning.read(Path(st.path))))
        return 0
    if args.if_missing and path.is_file():
        try:
            old = _tuning.read(path)
            if int(old.get("method", 1)) >= METHOD:
                print(f"raptors tune: {path} exists; not measuring again", file=sys.stderr)
                return 0
            print(f"raptors tune: {path} was measured by an older method; again", file=sys.stderr)
        except (_tuning.TuningError, ValueError, TypeError) as exc:
            print(f"raptors tune: {exc}; measuring again", file=sys.stderr)
    overridden = [v for v in _tuning.THRESHOLD_ENV if os.environ.get(v)]
    if overridden:
        print(
            f"raptors tune: unset {', '.join(overridden)} first (they override what is measured)",
            file=sys.stderr,
        )
        return 2

    if args.if_missing and _tuning.is_off():
        print(f"raptors tune: {_tuning.ENV}=off; not measuring", file=sys.stderr)
        return 0
    if not args.no_lock and not _lock_free(_measure.LOCK_PATH):
        print(
            f"raptors tune: waiting for the shared benchmark lock {_measure.LOCK_PATH} "
            "(another measurement is running)",
            file=sys.stderr,
            flush=True,
        )
    lock = _measure.lock() if not args.no_lock else contextlib.nullcontext()
    with lock:
        tuner = Tuner(visits=args.visits, rounds=args.rounds, quick=args.quick)
        if args.compare:
            if len(args.compare) > 2:
                parser.error("--compare takes one or two tunings")
            a = _load_doc(args.compare[0])
            b = _load_doc(args.compare[1]) if len(args.compare) == 2 else None
            res = compare(a, b, tuner)
            _tuning.load_at_import()
            if args.json:
                print(json.dumps(res, indent=1))
            else:
                print(
                    f"{res['cases_differing']} cases run differently; time under B / time under "
                    f"A: {res['min_b_over_a']:.3f} .. {res['max_b_over_a']:.3f} (quiet rounds), "
                    f"{res['min_b_over_a_best']:.3f} .. {res['max_b_over_a_best']:.3f} (best times)"
                )
            return 0
        doc = tuner.run()
    if not args.dry_run:
        _tuning.write(doc, path)
        _tuning.load_at_import()
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(summary(doc))
        print(f"written to {path}" if not args.dry_run else "(dry run: nothing written)")
    return 0


def _lock_free(path: str) -> bool:
    """Is the shared benchmark lock free right now (a probe: taken and released at once)?"""
    import fcntl

    try:
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_UN)
        return True
    except OSError:
        return False
