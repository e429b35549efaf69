"""Shared pieces of the Raptors asv suite: array sizes, threads, and the in-process measurements
behind the track_ benchmarks (interleaved speedup, STREAM-counted bandwidth, copy roofline).

Everything here is plain NumPy + raptors; asv imports it as `benchmarks.common`.
"""

import ctypes
import os
import statistics
import threading
import time

import numpy as np

import raptors

# The scale factor. In place, the same array is scaled again and again: 2.5 would overflow to
# inf after ~100 calls (and NumPy would then spend its time on overflow warnings), so in-place
# benchmarks use a factor just above 1 (still a full multiply, no special case for 1.0).
FACTOR = 2.5
FACTOR_INPLACE = 1.0000001

# Shapes by name: asv shows the names in its graphs. "16" is the call-overhead case.
SHAPES = {
    "16": (16,),
    "256x256": (256, 256),
    "1024x1024": (1024, 1024),
    "2048x2048": (2048, 2048),
    "4096x4096": (4096, 4096),
}
DTYPES = ["float32", "float64"]
MODES = ["new", "out", "inplace"]
# Raptors' thread count: one, or every CPU this process may run on.
THREADS = ["1", "all"]

# `make bench QUICK=1` (asv run --quick) sets this: the track_ measurements take few rounds.
QUICK = os.environ.get("RAPTORS_BENCH_QUICK", "") not in ("", "0")


def usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_threads(threads):
    """Apply a THREADS param; return the previous setting (to restore in teardown)."""
    prev = raptors.get_num_threads()
    raptors.set_num_threads(1 if threads == "1" else usable_cpus())
    return prev


def make_array(shape, dtype):
    """A filled (so touched, resident) array of normal numbers in [1, 2): no zeros, subnormals,
    inf or NaN. A repeated 1021-value pattern, quick to make even at 4096x4096."""
    n = int(np.prod(shape))
    pattern = (1.0 + np.arange(1021) / 1021.0).astype(dtype)
    return np.resize(pattern, n).reshape(shape)


def dtype_type(dtype):
    return np.dtype(dtype).type


def stream_bytes(x):
    """Bytes a scale of x moves, counted as STREAM counts: read x once + write y once."""
    return 2 * x.nbytes


# ---- the operations, one per mode -------------------------------------------------------
def _op(fn, mode, x, out, a):
    """A zero-argument callable doing fn(x, a) in `mode`: new array, into out, or in place.
    raptors.scale and np.multiply take the same arguments."""
    if mode == "new":
        return lambda: fn(x, a)
    if mode == "out":
        return lambda: fn(x, a, out=out)
    if mode == "inplace":
        return lambda: fn(out, a, out=out)
    raise ValueError(mode)


def raptors_op(mode, x, out, a):
    """One Raptors scale in `mode` (new / out / inplace)."""
    return _op(raptors.scale, mode, x, out, a)


def numpy_op(mode, x, out, a):
    """The NumPy equivalent: x * a, np.multiply(x, a, out=out), out *= a."""
    return _op(np.multiply, mode, x, out, a)


def factor(dtype, mode="out"):
    """The factor as a scalar of x's dtype (np.multiply(x, float32(a)) stays float32, as
    raptors.scale(x, 2.5) does)."""
    return dtype_type(dtype)(FACTOR_INPLACE if mode == "inplace" else FACTOR)


# ---- the copy roofline ------------------------------------------------------------------
_memmove = ctypes.memmove  # a CFUNCTYPE: releases the GIL while it copies


def _addr(a):
    return a.__array_interface__["data"][0]


def copy_candidates(src, dst):
    """Plain copies of src's bytes into dst, each a zero-argument callable: NumPy's copyto,
    libc memmove, and memmove split across the usable CPUs (threads, one slice each)."""
    nbytes = src.nbytes
    s, d = _addr(src), _addr(dst)
    cands = {
        "numpy.copyto": lambda: np.copyto(dst, src),
        "memmove": lambda: _memmove(d, s, nbytes),
    }
    ncpu = usable_cpus()
    if ncpu > 1 and nbytes >= (1 << 20):
        # Slices on 4 KiB boundaries, a persistent pool of workers woken per copy.
        step = -(-nbytes // ncpu)
        step = -(-step // 4096) * 4096
        parts = [(d + o, s + o, min(step, nbytes - o)) for o in range(0, nbytes, step)]
        cands["memmove x%d threads" % len(parts)] = _ThreadedCopy(parts)
    return cands


class _ThreadedCopy:
    """memmove of several slices at once: worker threads wait on a barrier, copy, wait again."""

    def __init__(self, parts):
        self.parts = parts
        self.start = threading.Barrier(len(parts))
        self.done = threading.Barrier(len(parts))
        self.stop = False
        self.threads = [
            threading.Thread(target=self._work, args=(p,), daemon=True) for p in parts[1:]
        ]
        for t in self.threads:
            t.start()

    def _work(self, part):
        while True:
            self.start.wait()
            if self.stop:
                return
            _memmove(*part)
            self.done.wait()

    def __call__(self):
        self.start.wait()
        _memmove(*self.parts[0])
        self.done.wait()

    def close(self):
        self.stop = True
        self.start.wait()
        for t in self.threads:
            t.join()


def close_candidates(cands):
    for c in cands.values():
        if isinstance(c, _ThreadedCopy):
            c.close()


# ---- in-process timing ------------------------------------------------------------------
def calls_per_sample(fn, min_time=2e-4):
    """How many calls make one timed sample last at least min_time (after one warm-up call)."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or n >= 1 << 20:
            return n
        n *= 2 if dt <= 0 else max(2, min(10, int(min_time / dt) + 1))


def _sample(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def rounds_for(pair_time, budget=None, lo=15, hi=201):
    """Rounds of an interleaved measurement: about `budget` seconds, between lo and hi.
    QUICK mode: 3 rounds."""
    if QUICK:
        return 3
    if budget is None:
        budget = 0.6
    return int(max(lo, min(hi, budget / max(pair_time, 1e-9))))


def interleaved(fns, rounds=None, budget=None):
    """Time several callables in alternation, in this process: per round, each once (the order
    reversed every other round, so a drift in machine speed hits all alike). Returns the list of
    per-round times (seconds per call) of each callable."""
    ns = [calls_per_sample(f) for f in fns]
    first = [_sample(f, n) for f, n in zip(fns, ns)]
    if rounds is None:
        rounds = rounds_for(sum(first), budget)
    times = [[] for _ in fns]
    order = list(range(len(fns)))
    for r in range(rounds):
        for i in order if r % 2 == 0 else order[::-1]:
            times[i].append(_sample(fns[i], ns[i]))
    return times


def speedup(numpy_fn, raptors_fn, rounds=None, budget=None):
    """Median over interleaved rounds of NumPy time / Raptors time (> 1: Raptors is faster)."""
    tn, tr = interleaved([numpy_fn, raptors_fn], rounds, budget)
    return statistics.median(n / r for n, r in zip(tn, tr))


def median_time(fn, rounds=None, budget=None):
    return statistics.median(interleaved([fn], rounds, budget)[0])


def roofline_fraction(raptors_fn, src, dst, rounds=None, budget=None):
    """Raptors' bandwidth as a fraction of the fastest plain copy of the same bytes (src -> dst),
    measured interleaved in this process: median copy time of the fastest copy / median Raptors
    time. Returns (fraction, name of the fastest copy)."""
    cands = copy_candidates(src, dst)
    try:
        names = list(cands)
        times = interleaved([raptors_fn] + [cands[k] for k in names], rounds, budget)
        med = [statistics.median(t) for t in times]
        best = min(range(1, len(med)), key=lambda i: med[i])
        return med[best] / med[0], names[best - 1]
    finally:
        close_candidates(cands)


def build_description():
    """raptors.build_info() reduced to what identifies a build, all strings."""
    info = raptors.build_info()
    return {
        "simd": str(info.get("simd")),
        "simd_available": ",".join(info.get("simd_available") or []),
        "compiler": str(info.get("compiler")),
        "cflags": str(info.get("cflags")),
        "threads": str(info.get("num_threads")),
        # Not the git commit: asv records that already, and a value that changes with every
        # commit would split the provenance graph into one series per commit.
        "raptors": str(info.get("version")),
        "numpy": np.__version__,
    }
