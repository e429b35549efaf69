"""In-process interleaved A/B timing of two Raptors commits, beside NumPy, through the whole
call path: each commit's Python package with its own library, as a user calls it.

    python tools/regress/ab.py BASE_DIR HEAD_DIR [--cases a,b] [--seconds S] [--seed N]

BASE_DIR and HEAD_DIR each hold one copy of a commit's `raptors` package under another name
(BASE_DIR/raptors_base/, HEAD_DIR/raptors_head/; gate.py makes them from each commit's
committed sources), with that commit's libraptors inside it. Both copies are imported into this
one process (two distinct library files: the loader keys libraries by inode), so a slowdown
anywhere on the path -- raptors/__init__.py, api.py, the ctypes binding, the C library -- is
in what is timed. Per case the operands are built once (raptors/_measure.py make_case) and shared
by all three sides; each round times NumPy, BASE and HEAD once each, in a freshly shuffled
order, each over a batch of calls of about SAMPLE_SECONDS (raptors/_measure.py interleaved, the
measurement core of the asv suite and `make report` too).

A case whose operation one of the commits lacks (a BASE older than the operation) is skipped
and named. Before timing, each side's result must equal NumPy's bit for bit (a broken build is
not a fast one). Prints one JSON object: per case, the per-round seconds per call of each side.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURE_PATH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "raptors", "_measure.py")
# The measurement core by its path, not through `import raptors`: this process holds BASE's and
# HEAD's copies of the package, and the work tree's would be a third.
_spec = importlib.util.spec_from_file_location("raptors_measure", MEASURE_PATH)
measure = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measure)

#: name: (operation, variant, mode, dtype, shape, threads). threads "1" or "all" (every usable
#: CPU: the library's own split, both commits' pools in one process, orders shuffled).
CASES = {
    # The call path: at 16 elements the Python layer and ctypes are nearly all of the cost.
    "scale-f32-16": ("scale", "contig", "new", "float32", (16,), "1"),
    "add-f32-16": ("add", "same", "new", "float32", (16,), "1"),
    "subtract-f64-16": ("subtract", "same", "new", "float64", (16,), "1"),
    "multiply-f32-16": ("multiply", "same", "new", "float32", (16,), "1"),
    "sum-f32-16": ("sum", "all", "new", "float32", (16,), "1"),
    "mean-f64-16": ("mean", "all", "new", "float64", (16,), "1"),
    # The kernels, one thread: in L2 (64K elements), memory-bound, strided, broadcast, axes.
    "scale-f32-64K": ("scale", "contig", "out", "float32", (65536,), "1"),
    "scale-f64-64K": ("scale", "contig", "out", "float64", (65536,), "1"),
    "scale-f32-2048x2048": ("scale", "contig", "out", "float32", (2048, 2048), "1"),
    "scale-f32-512x512-T": ("scale", "transposed", "out", "float32", (512, 512), "1"),
    "add-f32-64K": ("add", "same", "out", "float32", (65536,), "1"),
    "subtract-f64-64K": ("subtract", "same", "out", "float64", (65536,), "1"),
    "multiply-f32-64K": ("multiply", "same", "out", "float32", (65536,), "1"),
    "add-f64-512x512-row": ("add", "row", "out", "float64", (512, 512), "1"),
    "sum-f32-64K": ("sum", "all", "new", "float32", (65536,), "1"),
    "mean-f64-64K": ("mean", "all", "new", "float64", (65536,), "1"),
    "mean-f32-512x512-axis0": ("mean", "axis0", "new", "float32", (512, 512), "1"),
    "mean-f32-512x512-axis1": ("mean", "axis1", "new", "float32", (512, 512), "1"),
    # Every CPU: the threaded split of each family.
    "scale-f32-1024x1024-mt": ("scale", "contig", "out", "float32", (1024, 1024), "all"),
    "add-f32-1024x1024-mt": ("add", "same", "out", "float32", (1024, 1024), "all"),
    "sum-f64-1024x1024-mt": ("sum", "all", "new", "float64", (1024, 1024), "all"),
    "mean-f64-1024x1024-axis0-mt": ("mean", "axis0", "new", "float64", (1024, 1024), "all"),
    # The wider reductions: NaN-aware, integers and bool, a cast to float64 (dtype=).
    "nansum-f32-64K": ("nansum", "all", "new", "float32", (65536,), "1"),
    "nanmean-f32-512x512-axis0": ("nanmean", "axis0", "new", "float32", (512, 512), "1"),
    "sum-i32-64K": ("sum", "all", "new", "int32", (65536,), "1"),
    "mean-i16-512x512-axis1": ("mean", "axis1", "new", "int16", (512, 512), "1"),
    "sum-u8-64K": ("sum", "all", "new", "uint8", (65536,), "1"),
    "sum-f32-64K-as-f64": ("sum", "all-f64", "new", "float32", (65536,), "1"),
    "nanmean-f32-1024x1024-mt": ("nanmean", "all", "new", "float32", (1024, 1024), "all"),
}
DEFAULT_CASES = list(CASES)
#: Duration of one sample of the slowest side (the mean of k back-to-back calls).
SAMPLE_SECONDS = 1e-3
NAMES = {"base": "raptors_base", "head": "raptors_head"}


def load(side: str, directory: str):
    """Import the package copy DIR/raptors_<side> (its own libraptors beside it)."""
    os.environ.pop("RAPTORS_LIBRARY", None)  # each copy loads the library in its directory
    sys.path.insert(0, os.path.abspath(directory))
    try:
        return importlib.import_module(NAMES[side])
    finally:
        sys.path.pop(0)


def threads_of(spec: str) -> int:
    return 1 if spec == "1" else measure.usable_cpus()


def supports(pkg, name: str) -> bool:
    """Does this commit's raptors take the case's call (an older one refuses int32 sums)?"""
    op, variant, mode, dtype, shape, _t = CASES[name]
    small = (2, 3) if len(shape) > 1 else (4,)
    try:
        measure.make_case(op, small, dtype, pkg, variant, mode).call(pkg)()
    except TypeError:
        return False
    return True


def check(name: str, pkgs: dict) -> None:
    """Each side's result equals NumPy's bit for bit, on fresh operands."""
    op, variant, mode, dtype, shape, _t = CASES[name]
    for side, pkg in pkgs.items():
        c = measure.make_case(op, shape, dtype, pkg, variant, mode)
        ref = np.array(c.numpy(), copy=True)
        got = c.call(pkg)()
        if not measure.same_bits(ref, got):
            raise SystemExit(f"ab: the {side} package computes a wrong result for case {name}")


def quiet_pool(pkg, call, spin):
    """(before, after) for a multi-threaded side's samples: before, its pool spins `spin` us
    (its setting) and one untimed call wakes its workers; after, its spin time is 0, so its
    workers sleep at once instead of spinning (1 ms by default) on the cores the next sample --
    the other commit's, or NumPy's -- runs on. Without it that spinning made the threaded cases
    the noisiest of the gate (a planted 10% found in 2-7 of 10 trials)."""

    def before():
        pkg.set_spin_us(spin)
        call()

    def after():
        pkg.set_spin_us(0)

    return before, after


def measure_case(name: str, pkgs: dict, seconds: float, seed: int) -> dict:
    op, variant, mode, dtype, shape, threads = CASES[name]
    n = threads_of(threads)
    for pkg in pkgs.values():
        if hasattr(pkg, "set_num_threads"):
            pkg.set_num_threads(n)
    check(name, pkgs)
    c = measure.make_case(op, shape, dtype, pkgs["head"], variant, mode)
    sides = {"numpy": c.numpy, "base": c.call(pkgs["base"]), "head": c.call(pkgs["head"])}
    # A commit without set_spin_us is timed as before.
    spins = {
        s: pkgs[s].get_spin_us()
        for s in ("base", "head")
        if n > 1 and hasattr(pkgs[s], "set_spin_us") and hasattr(pkgs[s], "get_spin_us")
    }
    around = {s: quiet_pool(pkgs[s], sides[s], spin) for s, spin in spins.items()}
    try:
        t = measure.interleaved(
            sides,
            around=around,
            seconds=seconds,
            min_rounds=30,
            max_rounds=3000,
            target=SAMPLE_SECONDS,
            same_k=True,
            warmup=3,
            seed=seed,
        )
    finally:
        for s, spin in spins.items():
            pkgs[s].set_spin_us(spin)
    out: dict = {s: t[s] for s in sides}
    out["calls_per_sample"] = t.k["head"]
    out["threads"] = n
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="directory holding raptors_base/")
    ap.add_argument("head", help="directory holding raptors_head/")
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES))
    ap.add_argument("--seconds", type=float, default=2.0, help="measuring time per case")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    pkgs = {"base": load("base", args.base), "head": load("head", args.head)}
    libs = {s: os.path.realpath(p._ffi.LIBRARY_PATH) for s, p in pkgs.items()}
    if libs["base"] == libs["head"]:
        raise SystemExit("ab: BASE and HEAD must load distinct library files (copy one)")
    res: dict = {
        "simd": {s: getattr(p, "get_simd", lambda: "?")() for s, p in pkgs.items()},
        "numpy": np.__version__,
        "library": libs,
        "cases": {},
        "skipped": {},
    }
    names = [c for c in args.cases.split(",") if c]
    for name in names:
        if name not in CASES:
            raise SystemExit(f"ab: unknown case {name}; known: {', '.join(CASES)}")
    for i, name in enumerate(names):
        op = CASES[name][0]
        lacking = [s.upper() for s, p in pkgs.items() if not measure.has_op(p, op)]
        if lacking:
            res["skipped"][name] = f"{' and '.join(lacking)} has no raptors.{op}"
            continue
        refusing = [s.upper() for s, p in pkgs.items() if not supports(p, name)]
        if refusing:
            res["skipped"][name] = f"{' and '.join(refusing)} refuses this raptors.{op} call"
            continue
        res["cases"][name] = measure_case(name, pkgs, args.seconds, args.seed + i)
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
