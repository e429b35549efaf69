"""The one measurement core of Raptors: `python -m raptors tune` (raptors/_tune/), the asv suite
(benchmarks/), `make report` (tools/report/) and the regression gate (tools/regress/) all time,
count bytes and build their cases here.

Timing. interleaved() times several zero-argument callables in one process, in rounds: each round
takes one sample of every callable, in a freshly shuffled order, a sample being the mean time of
k back-to-back calls (k calibrated so that a sample lasts about `target` seconds). Whatever slows
the machine during a round (another job, a frequency dip) slows every side of that round alike,
so a per-round ratio of two sides cancels it; quote the median of such ratios (ratio_median()).
Every time is in seconds per call. The garbage collector is off while a measurement runs.

Bytes. A case counts the bytes it moves as STREAM does: every input element read once, every
output element written once (a broadcast operand once, not per use), whatever the hardware moves
on top (write-allocate traffic is not counted). GB/s = bytes / median time.

Roofline. roofline() compares an operation's GB/s with the fastest plain copy of the input's
bytes into another buffer (numpy.copyto, libc memmove, memmove split across every usable CPU),
timed in the same rounds: 1.0 means the operation moves its bytes as fast as the machine copies.

Cases. The operations of Raptors and their NumPy equivalents (OPERATIONS), built by make_case()
around a given package module -- never an import of raptors here, since the regression gate holds
two copies of the package (BASE's and HEAD's) in one process and times each through its own.
MATRIX is the original Raptors' 2-D matrix (6 operations x 3 shapes x 2 dtypes).

Locking. lock() holds the machine's shared benchmark lock (RAPTORS_BENCH_LOCK, default
/tmp/raptors-bench.lock) so that cooperating measurements on a shared machine take turns.

numpy and the standard library only; no raptors, no asv. So the tools that must not import the
package (the gate, which holds two other copies of it; the asv suite, which measures an installed
raptors of another commit) load this file by its path.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import os
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Fn = Callable[[], Any]
_pc = time.perf_counter

#: Default duration of one sample (the mean of k calls).
TARGET = 5e-4
#: Rounds of a quick measurement (asv run --quick, make bench QUICK=1).
QUICK_ROUNDS = 3


# ---- timing -------------------------------------------------------------------------------
def calls_per_sample(fn: Fn, target: float = TARGET, max_calls: int = 1 << 20) -> int:
    """How many back-to-back calls of fn make one sample last about `target` seconds (after a
    warm-up call: first touch, thread-pool start, lazy dispatch)."""
    fn()
    n = 1
    while True:
        t0 = _pc()
        for _ in range(n):
            fn()
        dt = _pc() - t0
        if dt >= target or n >= max_calls:
            return n
        grow = 10 if dt <= 0 else min(10, max(2, int(target / dt) + 1))
        n = min(max_calls, n * grow)


def _sampler(fn: Fn, k: int) -> Callable[[], float]:
    def sample() -> float:
        t0 = _pc()
        for _ in range(k):
            fn()
        return (_pc() - t0) / k

    return sample


def _bracketed(
    sample: Callable[[], float], before: Callable[[], object], after: Callable[[], object]
) -> Callable[[], float]:
    def bracketed() -> float:
        before()
        try:
            return sample()
        finally:
            after()

    return bracketed


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off (reference counting still frees everything)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Timings(dict):  # type: ignore[type-arg]
    """{side: [seconds per call, one per round]}, plus .k (calls per sample of each side)."""

    k: dict[str, int]

    @property
    def rounds(self) -> int:
        return len(next(iter(self.values()))) if self else 0

    def median(self, side: str) -> float:
        return float(statistics.median(self[side]))


def interleaved(
    fns: Mapping[str, Fn] | Sequence[Fn],
    *,
    seconds: float = 0.6,
    rounds: int | None = None,
    min_rounds: int = 15,
    max_rounds: int = 400,
    target: float = TARGET,
    same_k: bool = False,
    warmup: int = 2,
    seed: int = 0,
    quick: bool = False,
    around: Mapping[str, tuple[Callable[[], object], Callable[[], object]]] | None = None,
) -> Timings:
    """Time callables in rounds, in this process (see the module's docstring).

    fns: {side: callable} (or a sequence: sides "0", "1", ...). Rounds run until `seconds` have
    passed and at least min_rounds are done, at most max_rounds; `rounds` fixes the count
    instead; quick: QUICK_ROUNDS rounds of one call per sample, no warm-up rounds. same_k: every
    side takes the same number of calls per sample (the slowest side's), as the gate's BASE/HEAD
    comparison wants; else each its own. `warmup` rounds are run first and discarded. The order
    within a round is shuffled (random.Random(seed)), so no side is systematically first or
    after another. around: {side: (before, after)}, called untimed just before and just after
    each of that side's samples (the gate's multi-threaded cases wake a side's thread pool
    before its sample and put it to sleep after, so it does not spin on the cores the next
    side's sample runs on).
    """
    sides = dict(fns) if isinstance(fns, Mapping) else {str(i): f for i, f in enumerate(fns)}
    names = list(sides)
    out = Timings({n: [] for n in names})
    with gc_paused():
        if quick:  # a smoke check: one warm-up call, one call per sample, QUICK_ROUNDS rounds
            for n in names:
                sides[n]()
            ks = {n: 1 for n in names}
            warmup = 0
        else:
            ks = {n: calls_per_sample(sides[n], target) for n in names}
        if same_k:
            k = min(ks.values())
            ks = {n: k for n in names}
        out.k = ks
        samplers = {n: _sampler(sides[n], ks[n]) for n in names}
        for n, (before, after) in (around or {}).items():
            samplers[n] = _bracketed(samplers[n], before, after)
        rng = random.Random(seed)
        order = list(names)
        for _ in range(warmup):
            for n in order:
                samplers[n]()
        if quick:
            rounds = QUICK_ROUNDS
        deadline = _pc() + seconds
        r = 0
        while True:
            if rounds is not None:
                if r >= rounds:
                    break
            elif r >= max_rounds or (r >= min_rounds and _pc() >= deadline):
                break
            rng.shuffle(order)
            for n in order:
                out[n].append(samplers[n]())
            r += 1
    return out


# ---- statistics ---------------------------------------------------------------------------
def summary(ts: Sequence[float]) -> dict[str, float]:
    """mean, std (population), cv, best (fastest), median of per-round times."""
    m = statistics.fmean(ts)
    s = statistics.pstdev(ts)
    return {"mean": m, "std": s, "cv": s / m if m else 0.0, "best": min(ts), "median": median(ts)}


def median(ts: Sequence[float]) -> float:
    return float(statistics.median(ts))


def ratio_median(a: Sequence[float], b: Sequence[float]) -> float:
    """Median over rounds of a_i / b_i: with a = NumPy's times and b = Raptors', the speedup."""
    return float(statistics.median(x / y for x, y in zip(a, b)))


def speedup(numpy_fn: Fn, raptors_fn: Fn, **kw: Any) -> float:
    """NumPy time / Raptors time, the median of interleaved rounds (> 1: Raptors is faster)."""
    t = interleaved({"numpy": numpy_fn, "raptors": raptors_fn}, **kw)
    return ratio_median(t["numpy"], t["raptors"])


def median_time(fn: Fn, **kw: Any) -> float:
    return median(interleaved({"fn": fn}, **kw)["fn"])


# ---- the copy roofline --------------------------------------------------------------------
_memmove = ctypes.memmove  # a CFUNCTYPE: releases the GIL while it copies


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _addr(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


class ThreadedCopy:
    """memmove of several slices at once: worker threads wait on a barrier, copy, wait again."""

    def __init__(self, parts: list[tuple[int, int, int]]):
        self.parts = parts
        self.start = threading.Barrier(len(parts))
        self.done = threading.Barrier(len(parts))
        self.stop = False
        self.threads = [
            threading.Thread(target=self._work, args=(p,), daemon=True) for p in parts[1:]
        ]
        for t in self.threads:
            t.start()

    def _work(self, part: tuple[int, int, int]) -> None:
        while True:
            self.start.wait()
            if self.stop:
                return
            _memmove(*part)
            self.done.wait()

    def __call__(self) -> None:
        self.start.wait()
        _memmove(*self.parts[0])
        self.done.wait()

    def close(self) -> None:
        self.stop = True
        self.start.wait()
        for t in self.threads:
            t.join()


def copy_candidates(src: np.ndarray, dst: np.ndarray, threads: bool = True) -> dict[str, Fn]:
    """Plain copies of src's bytes into dst (C-contiguous, same size), each a zero-argument
    callable: NumPy's copyto, libc memmove, and memmove split across the usable CPUs."""
    nbytes = src.nbytes
    s, d = _addr(src), _addr(dst)
    cands: dict[str, Fn] = {
        "numpy.copyto": lambda: np.copyto(dst, src),
        "memmove": lambda: _memmove(d, s, nbytes),
    }
    ncpu = usable_cpus()
    if threads and ncpu > 1 and nbytes >= (1 << 20):
        # Slices on 4 KiB boundaries, a persistent pool of workers woken per copy.
        step = -(-nbytes // ncpu)
        step = -(-step // 4096) * 4096
        parts = [(d + o, s + o, min(step, nbytes - o)) for o in range(0, nbytes, step)]
        cands["memmove x%d threads" % len(parts)] = ThreadedCopy(parts)
    return cands


def close_candidates(cands: Mapping[str, Fn]) -> None:
    for c in cands.values():
        if isinstance(c, ThreadedCopy):
            c.close()


@dataclass
class Roofline:
    fraction: float  # the operation's GB/s / the fastest copy's GB/s (median of rounds)
    copy: str  # which copy was fastest
    copy_gbps: float
    timings: Timings


def roofline(fn: Fn, nbytes: int, src: np.ndarray, dst: np.ndarray, **kw: Any) -> Roofline:
    """fn's bandwidth (nbytes per call) as a fraction of the fastest plain copy of src into dst,
    the copies timed in the same rounds as fn: per round (copy time / copy bytes) / (fn time /
    nbytes), for the copy with the lowest median; the median of the rounds."""
    cands = copy_candidates(src, dst)
    try:
        t = interleaved({"op": fn, **cands}, **kw)
    finally:
        close_candidates(cands)
    best = min(cands, key=t.median)
    copy_bytes = 2 * src.nbytes
    frac = ratio_median([c / copy_bytes for c in t[best]], [o / nbytes for o in t["op"]])
    return Roofline(frac, best, copy_bytes / t.median(best) / 1e9, t)


# ---- the shared benchmark lock ------------------------------------------------------------
LOCK_PATH = os.environ.get("RAPTORS_BENCH_LOCK", "/tmp/raptors-bench.lock")


@contextlib.contextmanager
def lock(path: str | None = None) -> Iterator[None]:
    """Hold the shared benchmark lock (flock) for the duration of the block."""
    with open(path or LOCK_PATH, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---- arrays -------------------------------------------------------------------------------
def make_array(shape: Sequence[int], dtype: Any, offset: int = 0) -> np.ndarray:
    """A filled (touched, resident) C array of normal numbers in [1, 2): no zeros, subnormals,
    inf or NaN. A repeated 1021-value pattern (started `offset` values in), quick at 4096²."""
    n = int(np.prod(shape))
    pattern = (1.0 + (np.arange(1021) + offset) % 1021 / 1021.0).astype(dtype)
    return np.resize(pattern, n).reshape(tuple(shape))


def aligned(shape: Sequence[int], dtype: Any, align: int = 64) -> np.ndarray:
    """An uninitialised C array whose data starts on an `align`-byte boundary."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    raw = np.empty(n * dt.itemsize + align, dtype=np.uint8)
    off = (-_addr(raw)) % align
    out: np.ndarray = raw[off : off + n * dt.itemsize].view(dt).reshape(tuple(shape))
    return out


def same_bits(a: Any, b: Any) -> bool:
    """Equal dtype, shape and bytes (what "equal to NumPy bit for bit" means here)."""
    a, b = np.asarray(a), np.asarray(b)
    return bool(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes())


# ---- the operations -----------------------------------------------------------------------
#: The scale factor; in place the same array is scaled call after call, so a factor just above
#: 1 keeps it finite (still a full multiply).
FACTOR = 2.5
FACTOR_INPLACE = 1.0000001

#: Operation -> its variants (the first is the default) and modes. A variant says how the
#: operands are shaped: binary "same" (x and y of one shape), "row" (y of shape (n,) against an
#: (m, n) x), "column" (y of shape (m, 1)), "scalar" (y a Python float); "transposed" (x is the
#: transpose of a C array: the strided path); reductions "all" (axis=None), "axis0", "axis1".
#: A mode says where the result goes: "new" (a new array), "out" (into a preallocated array),
#: "inplace" (into x). Reductions always make a new (small) result.
OPERATIONS: dict[str, dict[str, list[str]]] = {
    "scale": {"variants": ["contig", "transposed"], "modes": ["new", "out", "inplace"]},
    "add": {"variants": ["same", "row", "column", "scalar"], "modes": ["new", "out", "inplace"]},
    "subtract": {
        "variants": ["same", "row", "column", "scalar"],
        "modes": ["new", "out", "inplace"],
    },
    "multiply": {
        "variants": ["same", "row", "column", "scalar"],
        "modes": ["new", "out", "inplace"],
    },
    "sum": {"variants": ["all", "axis0", "axis1", "all-f64"], "modes": ["new"]},
    "mean": {"variants": ["all", "axis0", "axis1", "all-f64"], "modes": ["new"]},
    "nansum": {"variants": ["all", "axis0", "axis1", "all-f64"], "modes": ["new"]},
    "nanmean": {"variants": ["all", "axis0", "axis1", "all-f64"], "modes": ["new"]},
}
BINARY = ("add", "subtract", "multiply")
REDUCTIONS = ("sum", "mean", "nansum", "nanmean")
#: The NaN fraction of a nan* reduction's float input (every NAN_EVERY-th element).
NAN_EVERY = 50
_NP_BINARY: dict[str, Callable[..., Any]] = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
}
_NP_REDUCE: dict[str, Callable[..., Any]] = {
    "sum": np.sum,
    "mean": np.mean,
    "nansum": np.nansum,
    "nanmean": np.nanmean,
}


@dataclass
class Case:
    """One operation on fixed operands, for NumPy and for one Raptors package."""

    op: str
    variant: str
    mode: str
    dtype: str
    shape: tuple[int, ...]
    numpy: Fn  # the NumPy equivalent, on the same operands
    raptors: Fn
    nbytes: int  # STREAM-counted bytes per call
    src: np.ndarray  # the input whose bytes the copy roofline copies
    allocates: bool  # the call makes a new array of the input's size
    arrays: dict[str, Any] = field(default_factory=dict)
    binder: Callable[[Any], Fn] | None = None

    def call(self, pkg: Any) -> Fn:
        """The same call through another package (a copy of raptors: the gate's BASE or HEAD)
        on the very same operands, so that no side gets other buffers than another."""
        assert self.binder is not None
        return self.binder(pkg)

    def copy_dst(self) -> np.ndarray:
        """A C array of src's size for the roofline copy to write (not an operand)."""
        return np.empty(self.src.shape, self.src.dtype)


_NONE: Any = object()


def _bind(
    f: Callable[..., Any],
    x: Any,
    y: Any = _NONE,
    out: Any = _NONE,
    axis: Any = _NONE,
    dtype: Any = _NONE,
) -> Fn:
    """A zero-argument call of f, spelled out (no *args/**kwargs: at 16 elements the extra
    ~50 ns would be a tenth of NumPy's call)."""
    if dtype is not _NONE:
        return lambda: f(x, axis=None if axis is _NONE else axis, dtype=dtype)
    if y is _NONE:
        return (lambda: f(x)) if axis is _NONE else (lambda: f(x, axis=axis))
    return (lambda: f(x, y)) if out is _NONE else (lambda: f(x, y, out=out))


def make_case(
    op: str,
    shape: Sequence[int],
    dtype: Any,
    pkg: Any,
    variant: str | None = None,
    mode: str | None = None,
) -> Case:
    """The operation `op` (a key of OPERATIONS) on fresh operands of `shape` and `dtype`, as a
    NumPy callable and a callable of `pkg` (the raptors module, or a copy of it), both on the
    same arrays. The callables return what the call returns (out for out= and in place)."""
    spec = OPERATIONS[op]
    variant = variant or spec["variants"][0]
    mode = mode or spec["modes"][0]
    if variant not in spec["variants"] or mode not in spec["modes"]:
        raise ValueError(f"{op}: no variant {variant!r} / mode {mode!r}")
    dt = np.dtype(dtype)
    shape = tuple(int(s) for s in shape)
    es = dt.itemsize
    n = int(np.prod(shape))
    fr = getattr(pkg, op)
    fn: Callable[..., Any]
    if op in REDUCTIONS:
        if not variant.startswith("all") and len(shape) < 2:
            raise ValueError(f"{op} {variant}: needs a 2-D shape")
        x = make_array(shape, dt)
        if op.startswith("nan") and dt.kind == "f":
            x.reshape(-1)[::NAN_EVERY] = np.nan  # 2 % missing values
        axis = _NONE if variant.startswith("all") else int(variant[-1])
        kw: dict[str, Any] = {"axis": axis}
        if variant == "all-f64":
            kw["dtype"] = np.float64  # the additions in float64: NumPy's cast buffer
        outn = 1 if axis is _NONE else n // shape[axis]
        c = Case(op, variant, mode, dt.name, shape, _bind(_NP_REDUCE[op], x, **kw),
                 _bind(fr, x, **kw), (n + outn) * es, x, False)  # fmt: skip
        c.arrays["x"] = x
        c.binder = lambda p: _bind(getattr(p, op), x, **kw)
        return c
    y: Any
    if op == "scale":
        # transposed: a view of a C array, F-ordered, which takes the strided kernel
        x = make_array(shape[::-1], dt).T if variant == "transposed" else make_array(shape, dt)
        y = dt.type(FACTOR_INPLACE if mode == "inplace" else FACTOR)
        read = n
        fn = np.multiply
    elif op in BINARY:
        if len(shape) < 2 and variant in ("row", "column"):
            raise ValueError(f"{op} {variant}: needs a 2-D shape")
        x = make_array(shape, dt)
        if variant == "same":
            y = make_array(shape, dt, offset=500)
            read = 2 * n
        elif variant == "row":
            y = make_array(shape[-1:], dt, offset=500)
            read = n + shape[-1]
        elif variant == "column":
            y = make_array(shape[:-1] + (1,), dt, offset=500)
            read = n + n // shape[-1]
        else:
            y = 0.75  # a Python float: NumPy 2 gives it x's dtype (NEP 50)
            read = n
        if op == "multiply" and mode == "inplace":
            # x *= y call after call: y in [1, 2) would overflow x to inf, 0.75 wear it down to
            # subnormals (NumPy then times its overflow warnings, or both sides a slow path).
            y = FACTOR_INPLACE if isinstance(y, float) else np.full_like(y, FACTOR_INPLACE)
        fn = _NP_BINARY[op]
    else:
        raise ValueError(f"unknown operation {op!r}")
    if mode == "inplace":
        x = np.ascontiguousarray(x)
        out = x
    else:
        out = np.empty(shape, dt) if mode == "out" else _NONE
    c = Case(op, variant, mode, dt.name, shape, _bind(fn, x, y, out), _bind(fr, x, y, out),
             (read + n) * es, x, mode == "new")  # fmt: skip
    c.arrays.update(x=x, y=y)
    if out is not _NONE:
        c.arrays["out"] = out
    c.binder = lambda p: _bind(getattr(p, op), x, y, out)
    return c


def has_op(pkg: Any, op: str) -> bool:
    """Does this package (a commit's raptors) have the operation?"""
    return callable(getattr(pkg, op, None))


# ---- the original Raptors' 2-D matrix -----------------------------------------------------
#: (label, operation, variant, mode): each allocates its result, as a user writes it.
MATRIX_OPS: list[tuple[str, str, str, str]] = [
    ("sum", "sum", "all", "new"),
    ("mean", "mean", "all", "new"),
    ("mean-axis0", "mean", "axis0", "new"),
    ("mean-axis1", "mean", "axis1", "new"),
    ("add-row", "add", "row", "new"),
    ("scale", "scale", "contig", "new"),
]
MATRIX_SHAPES: dict[str, tuple[int, int]] = {
    "512x512": (512, 512),
    "1024x1024": (1024, 1024),
    "2048x2048": (2048, 2048),
}
MATRIX_DTYPES = ["float32", "float64"]
#: Operation families, one plot each in the report.
FAMILIES = {
    "reductions": ["sum", "mean", "mean-axis0", "mean-axis1"],
    "elementwise": ["add-row"],
    "scale": ["scale"],
}


def matrix_case(label: str, shape: str | Sequence[int], dtype: Any, pkg: Any) -> Case:
    """One case of the matrix by its label ("mean-axis0", ...) and shape name or shape."""
    _lbl, op, variant, mode = next(m for m in MATRIX_OPS if m[0] == label)
    sh = MATRIX_SHAPES[shape] if isinstance(shape, str) else tuple(shape)
    return make_case(op, sh, dtype, pkg, variant, mode)


def describe(case: Case) -> str:
    """What a case calls, in NumPy's words (for tables and docs)."""
    if case.op == "scale":
        return {"new": "x * a", "out": "np.multiply(x, a, out=y)", "inplace": "x *= a"}[case.mode]
    if case.op in BINARY:
        sym = {"add": "+", "subtract": "-", "multiply": "*"}[case.op]
        y = {"same": "y", "row": "row", "column": "col", "scalar": "0.75"}[case.variant]
        return {
            "new": f"x {sym} {y}",
            "out": f"np.{case.op}(x, {y}, out=o)",
            "inplace": f"x {sym}= {y}",
        }[case.mode]
    axis = "" if case.variant == "all" else f", axis={case.variant[-1]}"
    return f"np.{case.op}(x{axis})"
