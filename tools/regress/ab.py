"""In-process interleaved A/B timing of two libraptors builds, beside NumPy.

    python tools/regress/ab.py BASE.so HEAD.so [--cases a,b] [--seconds S] [--seed N]

Both libraries are loaded into this one process with ctypes (they must be
distinct files: the dynamic loader keys libraries by inode). For each case the
same input and output buffers serve all three sides; every round times NumPy,
BASE and HEAD once each, in a freshly shuffled order, each over a batch of calls
long enough (~1 ms) for the clock. Prints one JSON object: per case, the per-round
seconds per call of each side.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import random
import sys
import time

import numpy as np

# name: (dtype, shape, layout, threads). layout: "contig" or "transposed" (x is the
# transpose of a C array, y is C-contiguous: the strided kernel's inner loop).
CASES = {
    "f32-64K": ("float32", (65536,), "contig", 1),
    "f64-64K": ("float64", (65536,), "contig", 1),
    "f32-2048x2048": ("float32", (2048, 2048), "contig", 1),
    "f32-512x512-T": ("float32", (512, 512), "transposed", 1),
}
DEFAULT_CASES = list(CASES)
FACTOR_VALUE = 2.5


class Side:
    def __init__(self, path: str):
        self.path = path
        self.lib = ctypes.CDLL(os.path.abspath(path), mode=ctypes.RTLD_LOCAL)
        L = self.lib
        # Only the entry points every ABI has declared here (not raptors._ffi's full list):
        # BASE may be an older build that lacks the newer ones.
        vp, sz, i64p = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64)
        for suffix, factor in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
            contig = getattr(L, f"raptors_scale_{suffix}")
            strided = getattr(L, f"raptors_scale_strided_{suffix}")
            contig.argtypes = [vp, vp, sz, factor]
            strided.argtypes = [ctypes.c_int, i64p, vp, i64p, vp, i64p, factor]
            contig.restype = strided.restype = ctypes.c_int
        L.raptors_set_num_threads.argtypes = [ctypes.c_int]
        L.raptors_set_num_threads.restype = ctypes.c_int
        L.raptors_get_simd.restype = ctypes.c_char_p

    def caller(self, x: np.ndarray, y: np.ndarray, a: float, threads: int):
        """A zero-argument function doing y = a * x with this library."""
        L = self.lib
        if threads:
            L.raptors_set_num_threads(threads)
        if x.flags.c_contiguous and y.flags.c_contiguous:
            fn = L.raptors_scale_f32 if x.dtype == np.float32 else L.raptors_scale_f64
            xp, yp, n = x.ctypes.data, y.ctypes.data, x.size
            return lambda: fn(xp, yp, n, a)
        fn = L.raptors_scale_strided_f32 if x.dtype == np.float32 else L.raptors_scale_strided_f64
        arr = ctypes.c_int64 * x.ndim
        shape, xs, ys = arr(*x.shape), arr(*x.strides), arr(*y.strides)
        xp, yp, nd = x.ctypes.data, y.ctypes.data, x.ndim
        return lambda: fn(nd, shape, xp, xs, yp, ys, a)


def aligned(shape, dtype, align=64):
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    raw = np.empty(n * dtype.itemsize + align, dtype=np.uint8)
    off = (-raw.ctypes.data) % align
    return raw[off : off + n * dtype.itemsize].view(dtype).reshape(shape)


def make_case(name: str):
    dtype, shape, layout, threads = CASES[name]
    rng = np.random.default_rng(0)
    if layout == "transposed":
        base = aligned(shape, dtype)
        base[...] = rng.standard_normal(shape)
        x = base.T
    else:
        x = aligned(shape, dtype)
        x[...] = rng.standard_normal(shape)
    y = aligned(x.shape, dtype)
    y[...] = 0
    return x, y, threads


def batch_timer(fn, k: int):
    pc = time.perf_counter

    def run():
        t0 = pc()
        for _ in range(k):
            fn()
        return (pc() - t0) / k

    return run


def measure_case(
    name: str,
    base: Side,
    head: Side,
    seconds: float,
    seed: int,
    target_sample: float = 1e-3,
    min_rounds: int = 30,
    max_rounds: int = 3000,
):
    x, y, threads = make_case(name)
    a = FACTOR_VALUE
    sides = {
        "numpy": lambda: np.multiply(x, x.dtype.type(a), out=y),
        "base": base.caller(x, y, a, threads),
        "head": head.caller(x, y, a, threads),
    }
    # Results must agree (a broken build is not a fast build).
    ref = np.multiply(x, x.dtype.type(a))
    for s in ("base", "head"):
        y[...] = 0
        sides[s]()
        if not np.array_equal(y, ref):
            raise SystemExit(f"ab: {s} library computes a wrong result for case {name}")
    # Calls per sample: enough for ~target_sample seconds of the slowest side.
    t0 = time.perf_counter()
    for f in sides.values():
        f()
    one = max((time.perf_counter() - t0) / 3, 1e-7)
    k = max(1, round(target_sample / one))
    timers = {s: batch_timer(f, k) for s, f in sides.items()}
    per_round = 3 * k * one
    rounds = int(min(max_rounds, max(min_rounds, seconds / per_round)))
    rng = random.Random(seed)
    order = list(timers)
    for _ in range(3):  # warm-up rounds, discarded
        for s in order:
            timers[s]()
    out = {s: [] for s in timers}
    for _ in range(rounds):
        rng.shuffle(order)
        for s in order:
            out[s].append(timers[s]())
    out["calls_per_sample"] = k
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("head")
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES))
    ap.add_argument("--seconds", type=float, default=4.0, help="measuring time per case")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if os.path.samefile(args.base, args.head):
        raise SystemExit("ab: BASE and HEAD must be distinct files (copy one)")
    base, head = Side(args.base), Side(args.head)
    gc.disable()
    res = {
        "simd": {
            "base": base.lib.raptors_get_simd().decode(),
            "head": head.lib.raptors_get_simd().decode(),
        },
        "numpy": np.__version__,
        "cases": {},
    }
    for i, name in enumerate(c for c in args.cases.split(",") if c):
        if name not in CASES:
            raise SystemExit(f"ab: unknown case {name}; known: {', '.join(CASES)}")
        res["cases"][name] = measure_case(name, base, head, args.seconds, args.seed + i)
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
