"""`python -m raptors tune`: measure, on this machine, the choices libraptors would otherwise
derive from cache sizes, and store them per processor type (raptors/_tuning.py applies them).

What is measured (every family -- scale, element-wise binary, reductions -- and both dtypes;
sizes in bytes a call moves, read + written, as libraptors counts them):

1. SIMD variant per size regime and store kind: in each regime (within L2, within L3, beyond)
   and for each store kind (plain, streaming, in place; reductions only read), the best
   variant (AVX-512) against every other one (AVX2), at one thread and at the default thread
   count, plain stores into NumPy's arrays and into cache-line-aligned ones. Decided on both
   dtypes' measurements together: another variant only when it is faster by more than MARGIN
   (median over configurations), the 95% bootstrap interval of that gain is above 1, and three
   configurations in four lose at most MARGIN with it; ties and noise keep the default.
2. Streaming-store threshold, for several threads and for one: plain against streaming stores
   on a ladder from L3/4 to 4 x L3, with the variants chosen in 1.
3. Bytes per thread: one thread against two on a ladder from 64 KiB to 8 MiB.

A threshold is the candidate that minimises the summed cost (the time lost against the better
option at each ladder size, as a log ratio, summed over a family's dtypes and configurations);
the derived default stays unless another candidate is cheaper by more than TOLERANCE per series.

Timing: raptors/_measure.py's interleaved rounds (every side timed once per round, in shuffled
order), under the shared benchmark lock. On a shared 2-core VM the machine changes under the
measurement, so: every case is visited several times, in turn with the other cases of its
phase, in two passes half a run apart (a neighbour's busy stretch cannot fill every visit of a
case); a variant comparison counts only the quietest quarter of its rounds (a round in which
either side lost a time slice is left out, pairs kept); and a ladder compares each side's best
time -- the threshold is about where the data lives and what a second core adds, and a
neighbour that evicts the shared L3 or holds the other core makes streaming, or one thread,
look better than they are on a machine to oneself. How much CPU others took meanwhile is
recorded (others_cpu) and reported.

`--compare A [B]` times the cases where two tunings decide differently (B: the derived
defaults), to measure what a difference costs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, _cpu, _ffi, _measure, _tuning
from .api import scale
from .elementwise import add
from .reductions import sum as rsum

#: The measuring method's version, recorded in the file: `tune --if-missing` (make bench, make
#: report) measures again over a file an older method wrote.
METHOD = 2
#: A tuned variant must beat the default by this much (and never lose by more).
MARGIN = 0.03
#: A tuned threshold must save this much per measured series over the derived one (log ratio).
TOLERANCE = math.log(1.01)
#: What two threads must do for the largest calls of the thread ladder (1-thread time /
#: 2-thread time) for the ladder to count: less means the second core was busy throughout.
SECOND_CORE = 1.2
#: Seconds the measurement aims to stay within on a busy machine (the second pass thins out).
BUDGET = 42.0
Fn = Callable[[], Any]
NEVER = _ffi.NEVER
ALL = _ffi.FAMILY_ALL


def _mib(n: float) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.3g} MiB"
    return f"{n / 1024:.3g} KiB"


@dataclass
class Machine:
    """What the measurement is sized by."""

    l2: int
    l3: int
    threads: int  # the default thread count
    variants: list[str]  # the candidates, best first (scalar never is one)
    derived_stream: int  # the derived thresholds (bytes moved)
    derived_bpt: int

    @classmethod
    def probe(cls) -> Machine:
        info = _ffi.build_info()
        variants = [v for v in str(info["simd_available"]).split(",") if v and v != "scalar"]
        _ffi.clear_tuning()
        l2 = int(info["l2_bytes"]) or 256 << 10  # as plan.c's regimes: no L3, no LLC regime
        return cls(
            l2=l2,
            l3=int(info["l3_bytes"]) or l2,
            threads=_ffi.get_num_threads(),
            variants=variants,
            derived_stream=_ffi.get_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES),
            derived_bpt=_ffi.get_tuning_bytes(_ffi.TUNE_BYTES_PER_THREAD),
        )

    def regime(self, nbytes: int) -> str:
        if nbytes <= self.l2:
            return "cache"
        return "llc" if self.l3 > self.l2 and nbytes <= self.l3 else "dram"

    def regime_points(self, regime: str) -> list[int]:
        if regime == "cache":
            return [self.l2 // 2]
        if regime == "llc":
            return [max(self.l2 * 2, self.l3 // 4), self.l3]
        return [self.dram_point()]

    def dram_point(self) -> int:
        return int(min(max(4 * self.l3, 64 << 20), 512 << 20))

    def stream_ladder(self) -> list[int]:
        pts = [self.l3 // 4, self.l3 // 2, 3 * self.l3 // 4, self.l3]
        return sorted({p for p in pts + [2 * self.l3, self.dram_point()] if p > self.l2})

    def thread_ladder(self) -> list[int]:
        return [(64 << 10) << i for i in range(8)]  # 64 KiB .. 8 MiB

    def thread_configs(self) -> list[int]:
        return sorted({1, self.threads})


# ---- the operations, sized by the bytes they move --------------------------------------------
ES = {"f32": 4, "f64": 8}
NP_DTYPE = {"f32": np.float32, "f64": np.float64}
#: Arrays of a family: elements moved per element of the result.
ARRAYS = {"scale": 2, "binary": 3, "reduce": 1}


class Operands:
    """One family's arrays for one dtype, big enough for the largest size measured; a call of
    a given size works on the leading elements. Inputs and `out` are NumPy's own arrays (a
    large one starts 16 bytes past a page: not on a cache line, as a user's arrays); `out64`
    starts on a cache line, as the new arrays libraptors' pool gives from 4 MiB on."""

    def __init__(self, measure: Any, family: str, dtype: str, max_bytes: int):
        self.family, self.dtype = family, dtype
        es = ES[dtype]
        n = max_bytes // (ARRAYS[family] * es) + 64
        dt = NP_DTYPE[dtype]
        self.x = measure.make_array((n,), dt)
        if family != "reduce":
            self.out = np.zeros(n, dt)
            self.out64 = measure.aligned((n,), dt)
            self.out64[:] = 0
            self.inplace = self.x.copy()
        if family == "binary":
            self.y = measure.make_array((n,), dt, offset=500)

    def call(self, nbytes: int, store: str, aligned_out: bool = False) -> Fn:
        """A call moving about nbytes: out= (plain or streaming stores, as the threshold in
        effect says), in place, or a reduction."""
        n = max(1, nbytes // (ARRAYS[self.family] * ES[self.dtype]))
        x = self.x[:n]
        if self.family == "reduce":
            return lambda: rsum(x)
        o = (self.out64 if aligned_out else self.out)[:n]
        if self.family == "scale":
            if store == "inplace":
                xi = self.inplace[:n]
                f_in = NP_DTYPE[self.dtype](1.0000001)
                return lambda: scale(xi, f_in, out=xi)
            f = NP_DTYPE[self.dtype](2.5)
            return lambda: scale(x, f, out=o)
        y = self.y[:n]
        if store == "inplace":
            xi = self.inplace[:n]
            return lambda: add(xi, y, out=xi)
        return lambda: add(x, y, out=o)


def stores(family: str) -> list[str]:
    return ["plain"] if family == "reduce" else ["plain", "stream", "inplace"]


# ---- statistics ------------------------------------------------------------------------------
@dataclass
class Ratios:
    """log(time of a / time of b) over the quiet rounds of a comparison, with the visit each
    round belongs to."""

    values: np.ndarray
    visits: np.ndarray

    def median(self) -> float:
        return float(np.median(self.values))


def quiet_ratios(ta: Sequence[float], tb: Sequence[float], visits: Sequence[int]) -> Ratios:
    """The quietest quarter of the rounds of a paired comparison (at least 4): a round's score
    is the sum of both sides' times relative to their medians, so a round in which the machine
    slowed either side (a time slice lost to a neighbour, a busy second core) scores high and
    is left out; the kept rounds keep their pairs."""
    a, b = np.asarray(ta, float), np.asarray(tb, float)
    score = a / np.median(a) + b / np.median(b)
    keep = np.sort(np.argsort(score, kind="stable")[: max(4, len(score) // 4)])
    return Ratios(np.log(a[keep] / b[keep]), np.asarray(visits)[keep])


def combined(series: Sequence[Ratios], seed: int = 0, n_boot: int = 300) -> dict[str, Any]:
    """Over several configurations (thread counts, sizes, alignments) of one comparison: the
    median over configurations of each one's median log ratio, the worst configuration, and a
    95% bootstrap interval (the kept rounds of each configuration resampled). As ratios."""
    rng = np.random.default_rng(seed)
    meds = [s.median() for s in series]
    boots = np.empty((n_boot, len(series)))
    for k, s in enumerate(series):
        idx = rng.integers(0, len(s.values), size=(n_boot, len(s.values)))
        boots[:, k] = np.median(s.values[idx], axis=1)
    lo, hi = np.quantile(np.median(boots, axis=1), [0.025, 0.975])
    return {
        "gain": math.exp(float(np.median(meds))),
        "ci": [math.exp(float(lo)), math.exp(float(hi))],
        "worst": math.exp(min(meds)),
        "medians": [math.exp(m) for m in meds],
    }


def partition_costs(series: Sequence[Sequence[float]]) -> list[float]:
    """Series of median log ratios along a ladder (> 0: the option for large sizes is faster).
    Candidate j takes the large-size option from ladder point j on (j = len: never); its cost
    is the summed log time lost against the better option at every point."""
    n = len(series[0])
    costs = []
    for j in range(n + 1):
        c = 0.0
        for s in series:
            c += sum(max(0.0, v) for v in s[:j]) + sum(max(0.0, -v) for v in s[j:])
        costs.append(c)
    return costs


def choose_partition(costs: Sequence[float], derived_j: int, nseries: int) -> int:
    """The cheapest candidate, unless the derived one costs at most TOLERANCE per series more."""
    best = min(range(len(costs)), key=lambda j: costs[j])
    if costs[derived_j] <= costs[best] + TOLERANCE * nseries:
        return derived_j
    return best


def _round_between(lo: float, hi: float, inside: Callable[[int], bool]) -> int:
    """The geometric mean of a threshold's range, on a 4 KiB multiple where one lies inside the
    range (a round number reads better in a tuning file), else the nearest whole byte inside."""
    g = math.sqrt(lo * hi)
    for t in (int(g) // 4096 * 4096, math.floor(g), math.ceil(g)):
        if inside(t):
            return t
    raise ValueError(f"no whole byte count in the range ({lo}, {hi})")


def stream_threshold(ladder: Sequence[int], j: int, derived: int) -> int:
    """Streaming from ladder[j] on (stores stream when a call moves more than T): T in
    [ladder[j-1], ladder[j]), the derived value when it lies there; ladder[-1] for never."""
    lo = ladder[j - 1] if j > 0 else 0
    hi = ladder[j] if j < len(ladder) else math.inf
    if lo <= derived < hi:
        return derived
    if j == 0:
        return int(hi // 2)
    if j == len(ladder):
        return lo
    return _round_between(lo, hi, lambda t: lo <= t < hi)


def threads_threshold(ladder: Sequence[int], j: int, derived: int) -> int:
    """Two threads from ladder[j] on (a call takes a thread per B bytes moved: two once it
    moves 2 B): B in (ladder[j-1] / 2, ladder[j] / 2], the derived value when it lies there."""
    lo = ladder[j - 1] / 2 if j > 0 else 0.0
    hi = ladder[j] / 2 if j < len(ladder) else math.inf
    if lo < derived <= hi:
        return derived
    if j == 0:
        return int(hi // 2)
    if j == len(ladder):
        return int(2 * lo)
    return _round_between(lo, hi, lambda b: lo < b <= hi)


def configured(
    fn: Fn,
    simd: str | None = None,
    threads: int | None = None,
    stream: int | None = None,
    per_thread: int | None = None,
) -> Fn:
    """fn, with the settings it is to be timed under made first (a ctypes call each, ~0.1 us:
    the same on every side of a comparison). Thresholds go to the every-family value, which
    the measuring families' calls use (no family has its own meanwhile)."""
    pre: list[Callable[[], object]] = []
    if simd is not None:
        vb = simd.encode()
        pre.append(lambda: _ffi.raw_set_simd(vb))
    if stream is not None:
        pre.append(lambda: _ffi.raw_set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, ALL, stream))
    if per_thread is not None:
        pre.append(lambda: _ffi.raw_set_tuning_bytes(_ffi.TUNE_BYTES_PER_THREAD, ALL, per_thread))
    if threads is not None:
        pre.append(lambda: _ffi.raw_set_num_threads(threads))
    if len(pre) == 1:
        p0 = pre[0]
        return lambda: (p0(), fn())
    if len(pre) == 2:
        p0, p1 = pre
        return lambda: (p0(), p1(), fn())

    def run() -> object:
        for p in pre:
            p()
        return fn()

    return run


#: Families whose entry points ask for their own thresholds (scale.c, binary.c and reduce.c
#: name RP_FAM_SCALE, RP_FAM_BINARY, RP_FAM_REDUCE); any other would use the value set for
#: every family, decided from its measurements.
FAMILY_AWARE = ("scale", "binary", "reduce")


def decide_thresholds(
    ladder: Sequence[int], series: dict[str, list[float]], derived: int, kind: str
) -> dict[str, Any]:
    """Per family, and "all" (for the families that do not ask by name): the threshold whose
    partition of the ladder costs least over that group's series (keys "family.dtype...")."""
    fn = stream_threshold if kind == "stream" else threads_threshold
    if kind == "stream":
        derived_j = sum(1 for nb in ladder if nb <= derived)
    else:
        derived_j = sum(1 for nb in ladder if nb < 2 * derived)
    fams = list(dict.fromkeys(k.split(".")[0] for k in series))
    groups = {f: [v for k, v in series.items() if k.split(".")[0] == f] for f in fams}
    shared = [v for k, v in series.items() if k.split(".")[0] not in FAMILY_AWARE]
    groups["all"] = shared or list(series.values())
    values: dict[str, int] = {}
    costs: dict[str, list[float]] = {}
    for g, ss in groups.items():
        c = partition_costs(ss)
        j = choose_partition(c, derived_j, len(ss))
        values[g] = fn(ladder, j, derived)
        costs[g] = [round(x, 4) for x in c]
    return {"values": values, "costs": costs, "derived_index": derived_j}


# ---- measuring: cases visited in turn ---------------------------------------------------------
@dataclass
class Case:
    """Sides timed against each other in interleaved rounds (raptors/_measure.py), in visits: every
    case of a campaign is visited in turn, several times, so that each case's rounds are spread
    over the whole campaign and a neighbour's busy second hits every case alike."""

    name: str
    sides: dict[str, Fn]
    setup: Callable[[], None] = lambda: None
    acc: dict[str, list[float]] = field(default_factory=dict)
    visit_of: list[int] = field(default_factory=list)  # per round
    build: Callable[[Operands], dict[str, Fn]] | None = None  # sides on given operands

    def bind(self, ops: Operands | None) -> None:
        """Sides on these operands (None: drop them, and the arrays with them)."""
        assert self.build is not None
        self.sides = self.build(ops) if ops is not None else {}

    def lr(self, a: str, b: str) -> Ratios:
        """log(time of a / time of b) over the quiet rounds (> 0: b is faster)."""
        return quiet_ratios(self.acc[a], self.acc[b], self.visit_of)

    def best_lr(self, a: str, b: str) -> float:
        """log(best time of a / best time of b): what each side does when nothing disturbs it
        (the capability of two threads is their time when the second core was free)."""
        return math.log(min(self.acc[a]) / min(self.acc[b]))


class Busy:
    """How much CPU other processes took while we measured (/proc/stat less our own use), as a
    fraction of the machine: a tuning measured on a busy machine is flagged."""

    def __init__(self) -> None:
        self.t0, self.s0, self.c0 = time.perf_counter(), self._stat(), self._ours()

    @staticmethod
    def _stat() -> tuple[float, float] | None:
        try:
            with open("/proc/stat", encoding="ascii") as f:
                v = [float(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = v[3] + (v[4] if len(v) > 4 else 0.0)
        return sum(v[:8]) - idle, sum(v[:8])

    @staticmethod
    def _ours() -> float:
        t = os.times()
        return t.user + t.system

    def others(self) -> float | None:
        s1 = self._stat()
        if self.s0 is None or s1 is None:
            return None
        hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        busy = (s1[0] - self.s0[0]) / hz
        total = (s1[1] - self.s0[1]) / hz
        ours = self._ours() - self.c0
        return max(0.0, busy - ours) / total if total > 0 else None


def decide_variant(
    default: str, per_alt: dict[str, list[Ratios]]
) -> tuple[str, dict[str, dict[str, Any]]]:
    """Another variant only when it is faster than the default by more than MARGIN (the median
    over configurations), the 95% interval of that gain lies above 1, and three configurations
    in four lose at most MARGIN with it."""
    choice, best = default, 0.0
    stats = {}
    for a, series in per_alt.items():
        st = combined(series, seed=len(series))
        stats[a] = st
        q25 = float(np.quantile(st["medians"], 0.25))
        ok = st["gain"] > 1 + MARGIN and st["ci"][0] > 1.0 and q25 > 1 / (1 + MARGIN)
        if ok and st["gain"] > best:
            choice, best = a, st["gain"]
    return choice, stats


def _stats_json(default: str, stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        f"{default}/{a}": {
            "gain": round(s["gain"], 4),
            "ci": [round(c, 4) for c in s["ci"]],
            "medians": [round(r, 4) for r in s["medians"]],
        }
        for a, s in stats.items()
    }


@dataclass
class Tuner:
    visits: int = 4  # visits per case
    rounds: int = 4  # rounds per visit
    quick: bool = False
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)
    measure: Any = None
    m: Machine = field(default_factory=Machine.probe)
    seed: int = 0
    raw: dict[str, dict[str, list[Ratios]]] = field(default_factory=dict)  # per cell, per alt

    def __post_init__(self) -> None:
        if self.measure is None:
            self.measure = _measure
        if self.quick:
            self.visits, self.rounds = 1, 3

    def campaign(self, cases: Sequence[Case], visits: int | None = None) -> None:
        rng = np.random.default_rng(self.seed)
        for visit in range(self.visits if visits is None else visits):
            for i in rng.permutation(len(cases)):
                c = cases[int(i)]
                c.setup()
                self.seed += 1
                t = self.measure.interleaved(
                    c.sides,
                    seconds=0.0,
                    min_rounds=self.rounds,
                    max_rounds=self.rounds,
                    warmup=0,
                    seed=self.seed,
                )
                for side, ts in t.items():
                    c.acc.setdefault(side, []).extend(ts)
                c.visit_of.extend([visit] * t.rounds)

    def _visits(self, npass: int, shrink: float) -> int:
        """Visits of a case in pass npass: half the total each, the second at least one."""
        v = (self.visits + 1 - npass) // 2
        return v if npass == 0 or v == 0 else max(1, min(v, round(v * shrink)))

    def _restore(self) -> None:
        _ffi.raw_set_simd(b"auto")
        _ffi.raw_set_num_threads(self.m.threads)

    # 1. bytes per thread ------------------------------------------------------------------
    def threads_cases(self, families: Sequence[str]) -> dict[tuple[str, int], Case]:
        """One thread against two on the ladder (small arrays: kept for the whole run)."""
        cases: dict[tuple[str, int], Case] = {}
        if self.m.threads < 2:
            return cases

        def setup() -> None:
            _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, _ffi.NEVER)
            for f in (ALL, *range(len(_ffi.FAMILIES))):  # every thread, always
                _ffi.set_tuning_bytes(_ffi.TUNE_BYTES_PER_THREAD, 1, f)
            _ffi.raw_set_simd(b"auto")

        ladder = self.m.thread_ladder()
        for fam in families:
            for dt in ES:
                ops = Operands(self.measure, fam, dt, ladder[-1])
                for nb in ladder:
                    fn = ops.call(nb, "plain")
                    cases[(f"{fam}.{dt}", nb)] = Case(
                        f"threads {fam}.{dt} {_mib(nb)}",
                        {"1": configured(fn, threads=1), "2": configured(fn, threads=2)},
                        setup,
                    )
        return cases

    def threads_decide(self, cases: dict[tuple[str, int], Case], log: bool) -> dict[str, Any]:
        ladder = self.m.thread_ladder()
        ev: dict[str, Any] = {"ladder": ladder, "series": {}, "derived": self.m.derived_bpt}
        if not cases:
            ev["note"] = "one thread: nothing to decide"
            return ev
        for key in dict.fromkeys(k for k, _ in cases):
            meds = [cases[(key, nb)].best_lr("1", "2") for nb in ladder]
            ev["series"][key] = meds
            if log:
                self.log(
                    f"  {key:10} best 1-thread time / best 2-thread time "
                    + " ".join(f"{_mib(nb)}:{math.exp(v):.2f}" for nb, v in zip(ladder, meds))
                )
        # Two threads speed an 8 MiB call up by far more than SECOND_CORE on two free cores; a
        # series where they did not was measured while the other core was taken (a neighbour
        # at 100%): it says nothing about the machine, and is left out.
        usable = {k: v for k, v in ev["series"].items() if max(v[-2:]) > math.log(SECOND_CORE)}
        ev["left_out"] = sorted(set(ev["series"]) - set(usable))
        if ev["left_out"] and log:
            self.log(
                f"  left out (the second core was busy throughout): {', '.join(ev['left_out'])}"
            )
        if usable:
            d = decide_thresholds(ladder, usable, self.m.derived_bpt, "threads")
            ev.update(costs=d["costs"], decision=d["values"])
        return ev

    def apply_threads(self, decision: dict[str, int]) -> None:
        for fam in ("all", *_ffi.FAMILIES):
            v = decision.get(fam, -1)
            _ffi.set_tuning_bytes(_ffi.TUNE_BYTES_PER_THREAD, v, family_number(fam))

    # 2. variants ---------------------------------------------------------------------------
    def variant_cases(self, fam: str, dt: str) -> dict[str, list[tuple[Case, list[str]]]]:
        """Every (store kind, regime) cell of one family and dtype: its cases (one per size)
        and their configurations (threads, alignment of the output)."""
        cells: dict[str, list[tuple[Case, list[str]]]] = {}
        for store in stores(fam):
            for regime in ("cache", "llc", "dram"):
                if store == "stream" and regime == "cache":
                    continue
                cell = f"{fam}.{dt}.{store}.{regime}"
                cells[cell] = []
                if len(self.m.variants) < 2:
                    continue
                stream = 0 if store == "stream" else _ffi.NEVER

                def setup(stream: int = stream) -> None:
                    _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, stream)

                # Plain stores beyond L2 land in a user's array or in a pool buffer: both.
                aligns = [False, True] if store == "plain" and regime != "cache" else [False]
                if fam == "reduce":
                    aligns = [False]
                for nb in self.m.regime_points(regime):
                    configs = [
                        f"{nt}t {_mib(nb)}" + (" out64" if al else "")
                        for al in aligns
                        for nt in self.m.thread_configs()
                    ]

                    def build(
                        ops: Operands, nb: int = nb, store: str = store, aligns: list[bool] = aligns
                    ) -> dict[str, Fn]:
                        sides: dict[str, Fn] = {}
                        for al in aligns:
                            fn = ops.call(nb, store, al)
                            for nt in self.m.thread_configs():
                                tag = f"{nt}t {_mib(nb)}" + (" out64" if al else "")
                                for v in self.m.variants:
                                    sides[f"{v}|{tag}"] = configured(fn, simd=v, threads=nt)
                        return sides

                    case = Case(f"{cell} {_mib(nb)}", {}, setup, build=build)
                    cells[cell].append((case, configs))
        return cells

    def variant_decide(
        self, cells: dict[str, list[tuple[Case, list[str]]]], log: bool
    ) -> dict[str, Any]:
        """Each cell's choice from its own measurements (pooled_decisions then adds the other
        dtype's)."""
        out: dict[str, Any] = {}
        default, alts = self.m.variants[0], self.m.variants[1:]
        for cell, lst in cells.items():
            if not alts:
                out[cell] = {"choice": default}
                continue
            labels: list[str] = []
            per_alt: dict[str, list[Ratios]] = {a: [] for a in alts}
            for case, configs in lst:
                for tag in configs:
                    labels.append(tag)
                    for a in alts:
                        per_alt[a].append(case.lr(f"{default}|{tag}", f"{a}|{tag}"))
            self.raw[cell] = per_alt
            choice, stats = decide_variant(default, per_alt)
            out[cell] = {"choice": choice, "configs": labels, **_stats_json(default, stats)}
            if log:
                s0 = stats[alts[0]]
                self.log(
                    f"  {cell:26} {default}/{alts[0]} time "
                    + " ".join(f"{lab}:{r:.2f}" for lab, r in zip(labels, s0["medians"]))
                    + f" gain {s0['gain']:.3f} [{s0['ci'][0]:.3f}, {s0['ci'][1]:.3f}] -> {choice}"
                )
        return out

    def apply_cells(self, cells: dict[str, Any]) -> None:
        for cell, d in cells.items():
            f, dt, st, r = cell.split(".")
            _ffi.set_tuning_simd(
                _ffi.FAMILIES.index(f),
                _ffi.DTYPES.index(dt),
                _ffi.STORES.index(st),
                _ffi.REGIMES.index(r),
                d["choice"],
            )

    def pooled_decisions(self, simd_ev: dict[str, Any]) -> None:
        """The final choice of each cell, from the evidence of both dtypes together (twice the
        measurements: the two behave alike, and a few percent are easier to tell apart with
        more data); a dtype whose own measurements favour the default keeps it."""
        default, alts = self.m.variants[0], self.m.variants[1:]
        if not alts:
            return
        for cell, ev in simd_ev.items():
            f, dt, s, r = cell.split(".")
            twin = f"{f}.{'f64' if dt == 'f32' else 'f32'}.{s}.{r}"
            own = self.raw.get(cell)
            if own is None:
                continue
            pooled = {a: own[a] + self.raw.get(twin, {}).get(a, []) for a in alts}
            choice, stats = decide_variant(default, pooled)
            if choice != default and combined(own[choice])["gain"] <= 1.0:
                choice = default
            ev["own_choice"] = ev["choice"]
            ev["choice"] = choice
            ev["pooled"] = _stats_json(default, stats)
            if choice != ev["own_choice"]:
                self.log(f"  {cell}: {ev['own_choice']} alone, {choice} with {twin}'s evidence")

    # 3. streaming stores -------------------------------------------------------------------
    def stream_cases(self, fam: str, dt: str) -> list[Case]:
        configs = [(nt, al) for al in (False, True) for nt in self.m.thread_configs()]

        def setup() -> None:
            _ffi.raw_set_simd(b"auto")

        cases = []
        for nb in self.m.stream_ladder():

            def build(ops: Operands, nb: int = nb) -> dict[str, Fn]:
                sides: dict[str, Fn] = {}
                for nt, al in configs:
                    fn = ops.call(nb, "plain", al)
                    sides[f"plain|{nt}|{al}"] = configured(fn, threads=nt, stream=NEVER)
                    sides[f"stream|{nt}|{al}"] = configured(fn, threads=nt, stream=0)
                return sides

            cases.append(Case(f"stream {fam}.{dt} {_mib(nb)}", {}, setup, build=build))
        return cases

    def stream_decide(self, fam: str, dt: str, cases: list[Case]) -> dict[str, list[float]]:
        ladder = self.m.stream_ladder()
        res: dict[str, list[float]] = {}
        for al in (False, True):
            for nt in self.m.thread_configs():
                key = f"{fam}.{dt}.{nt}t" + (".out64" if al else "")
                # Each side's best time: a neighbour that evicts the shared L3 makes streaming
                # look better than it is on a machine to oneself.
                res[key] = [c.best_lr(f"plain|{nt}|{al}", f"stream|{nt}|{al}") for c in cases]
                self.log(
                    f"  {key:20} plain time / streaming time "
                    + " ".join(f"{_mib(nb)}:{math.exp(x):.2f}" for nb, x in zip(ladder, res[key]))
                )
        return res

    def run(self, families: Sequence[str] = ("scale", "binary", "reduce")) -> dict[str, Any]:
        """Two passes over the families and dtypes, a run's half apart, so that a neighbour's
        busy stretch cannot fill every visit of a case; the bytes-per-thread ladder before, in
        between and (decided) after."""
        t0 = time.perf_counter()
        busy = Busy()
        m = self.m
        self.log(
            f"raptors tune: L2 {_mib(m.l2)}, L3 {_mib(m.l3)}, {m.threads} threads, variants "
            f"{', '.join(m.variants) or '(one)'}; {self.visits} visits a case in two passes, "
            f"{self.rounds} rounds each"
        )
        _ffi.clear_tuning()
        thr = self.threads_cases(families)
        self.campaign(list(thr.values()))
        _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
        threads_ev = self.threads_decide(thr, log=False)
        self.apply_threads(threads_ev.get("decision", {}))
        blocks = [(fam, dt) for fam in families for dt in ES]
        cells: dict[tuple[str, str], dict[str, list[tuple[Case, list[str]]]]] = {}
        streams: dict[tuple[str, str], list[Case]] = {}
        simd_ev: dict[str, Any] = {}
        top = max(m.dram_point(), *m.stream_ladder())
        pass1 = 0.0
        for npass in range(2):
            shrink = 1.0
            if npass == 1:
                pass1 = time.perf_counter() - t0
                # A machine busy enough to stretch the first pass gets a thinner second one.
                shrink = min(1.0, max(0.0, (BUDGET - pass1) / max(pass1, 1e-9)))
            for fam, dt in blocks:
                ops = Operands(self.measure, fam, dt, top)
                vc = cells.setdefault((fam, dt), self.variant_cases(fam, dt))
                vcases = [c for lst in vc.values() for c, _ in lst]
                for c in vcases:
                    c.bind(ops)
                self.campaign(vcases, visits=self._visits(npass, shrink))
                for c in vcases:
                    c.bind(None)
                self._restore()
                decided = self.variant_decide(vc, log=npass == 1)
                simd_ev.update(decided)
                self.apply_cells(decided)
                if fam != "reduce":
                    sc = streams.setdefault((fam, dt), self.stream_cases(fam, dt))
                    for c in sc:
                        c.bind(ops)
                    self.campaign(sc, visits=self._visits(npass, shrink))
                    for c in sc:
                        c.bind(None)
                    self._restore()
                    _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
                del ops
                self.log(f"  pass {npass + 1}: {fam} {dt} ({time.perf_counter() - t0:.1f} s)")
            if npass == 0:
                self.campaign(list(thr.values()))
                _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
                threads_ev = self.threads_decide(thr, log=False)
                self.apply_threads(threads_ev.get("decision", {}))
        self.campaign(list(thr.values()), visits=max(1, self.visits // 2))
        self._restore()
        _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
        self.log("bytes per thread (1 vs 2 threads):")
        threads_ev = self.threads_decide(thr, log=True)
        bpt: dict[str, int] = threads_ev.get("decision", {})
        self.log(
            "  -> bytes per thread: "
            + (", ".join(f"{k} {_mib(v)}" for k, v in bpt.items()) or "derived")
        )
        self.pooled_decisions(simd_ev)
        stream_ev: dict[str, Any] = {"ladder": m.stream_ladder(), "series": {}}
        for (fam, dt), sc in streams.items():
            stream_ev["series"].update(self.stream_decide(fam, dt, sc))
        ladder = stream_ev["ladder"]
        # One threshold for several threads, one for a thread count of 1: one core moves data
        # out of L3 more slowly, so streaming pays from a smaller size.
        stream: dict[str, dict[str, int | str]] = {}
        for cls, nt in (("several", m.threads), ("one", 1)):
            series = {k: v for k, v in stream_ev["series"].items() if k.split(".")[2] == f"{nt}t"}
            if not series:
                continue
            d = decide_thresholds(ladder, series, m.derived_stream, "stream")
            stream[cls] = {k: _never(v, ladder) for k, v in d["values"].items()}
            stream_ev.setdefault("costs", {})[cls] = d["costs"]
            self.log(
                f"streaming stores above ({cls} thread{'s' if cls == 'several' else ''}): "
                + ", ".join(f"{k} {_shown(v)}" for k, v in stream[cls].items())
            )
        stream_ev["decision"] = stream
        stream_ev["derived"] = _never(m.derived_stream, ladder)
        seconds = time.perf_counter() - t0
        others = busy.others()
        if others is not None and others > 0.1:
            self.log(
                f"raptors tune: other processes used {100 * others:.0f}% of the machine while it "
                "measured; the thresholds may reflect a busy machine (run again when quiet)"
            )
        ident = _tuning.cpu_identity()
        info = _ffi.build_info()
        doc: dict[str, Any] = {
            "format": _tuning.FORMAT,
            "key": _tuning.cpu_key(ident),
            "cpu": ident,
            "measured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": round(seconds, 1),
            "method": METHOD,
            "others_cpu": None if others is None else round(others, 3),
            "raptors": {
                "version": __version__,
                "git_commit": info.get("git_commit"),
                "threads": m.threads,
                "quick": self.quick,
            },
            "decisions": {
                "simd": {cell: d["choice"] for cell, d in simd_ev.items()},
                "stream_above_bytes": stream.get("several", {}),
                "stream_above_bytes_one_thread": stream.get("one", {}),
                "bytes_per_thread": bpt,
            },
            "evidence": {"threads": threads_ev, "simd": simd_ev, "stream": stream_ev},
        }
        _ffi.clear_tuning()
        return doc


def family_number(name: str) -> int:
    return _ffi.FAMILY_ALL if name == "all" else _ffi.FAMILIES.index(name)


def _never(v: int, ladder: Sequence[int]) -> int | str:
    """A streaming threshold at or above the top of the ladder: never stream."""
    return "never" if v >= ladder[-1] or v >= _ffi.NEVER else v


# ---- differences between two tunings -----------------------------------------------------------
@dataclass
class Plan:
    """How one call runs under a tuning."""

    simd: str
    stream: bool
    threads: int


class View:
    """A tuning's decisions as the library applies them (or the derived defaults)."""

    def __init__(self, doc: dict[str, Any] | None, m: Machine):
        self.m = m
        dec = (doc or {}).get("decisions", {})
        self.simd: dict[str, str] = dict(dec.get("simd", {}))
        self.stream = self._by_family(dec.get("stream_above_bytes"), m.derived_stream)
        one = dec.get("stream_above_bytes_one_thread")
        self.stream1 = self._by_family(one, -1) if one else {}
        self.bpt = self._by_family(dec.get("bytes_per_thread"), m.derived_bpt)
        self.name = "derived defaults" if doc is None else str(doc.get("measured", "tuning"))

    @staticmethod
    def _by_family(value: Any, derived: int) -> dict[str, int]:
        """The value each family's calls use: their own if they ask by name (FAMILY_AWARE) and
        have one, else the one for every family, else the derived one."""
        if not isinstance(value, dict):
            value = {} if value is None else {"all": value}
        conv = {k: _ffi.NEVER if v == "never" else int(v) for k, v in value.items()}
        every = conv.get("all", derived)
        return {
            f: conv.get(f, every) if f in FAMILY_AWARE else every
            for f in ("scale", "binary", "reduce")
        }

    def plan(self, fam: str, dt: str, store: str, nbytes: int, threads: int) -> Plan:
        limit = self.stream[fam]
        if threads == 1 and self.stream1.get(fam, -1) >= 0:
            limit = self.stream1[fam]
        stream = store == "plain" and fam != "reduce" and nbytes > limit
        kind = "stream" if stream else store
        cell = f"{fam}.{dt}.{kind}.{self.m.regime(nbytes)}"
        nt = max(1, min(threads, nbytes // max(1, self.bpt[fam])))
        return Plan(
            self.simd.get(cell, self.m.variants[0] if self.m.variants else "auto"), stream, nt
        )


def compare_cases(m: Machine) -> Iterator[tuple[str, str, str, int]]:
    sizes = sorted(
        set(m.thread_ladder())
        | set(m.stream_ladder())
        | {p for r in ("cache", "llc", "dram") for p in m.regime_points(r)}
    )
    for fam in ("scale", "binary", "reduce"):
        for dt in ES:
            for store in ["plain"] if fam == "reduce" else ["plain", "inplace"]:
                for nb in sizes:
                    yield fam, dt, store, nb


def compare(a: dict[str, Any] | None, b: dict[str, Any] | None, tuner: Tuner) -> dict[str, Any]:
    """Time every case (family, dtype, out= or in place, size, 1 or default threads) where
    tunings a and b (None: the derived defaults) run a call differently: per case the median
    over the quiet rounds of time under b / time under a (> 1: a is faster)."""
    m = tuner.m
    va, vb = View(a, m), View(b, m)
    _ffi.clear_tuning()
    rows: list[dict[str, Any]] = []
    groups: dict[tuple[str, str], list[tuple[str, str, int, int, Plan, Plan]]] = {}
    for fam, dt, store, nb in compare_cases(m):
        for nt in m.thread_configs():
            pa, pb = va.plan(fam, dt, store, nb, nt), vb.plan(fam, dt, store, nb, nt)
            if pa != pb:
                groups.setdefault((fam, dt), []).append((fam, dt, nb, nt, pa, pb))
                groups[(fam, dt)][-1] = (store, dt, nb, nt, pa, pb)

    def side(p: Plan, fn: Fn) -> Fn:
        st = 0 if p.stream else _ffi.NEVER
        return configured(fn, simd=p.simd, threads=p.threads, stream=st, per_thread=1)

    for (fam, dt), items in groups.items():
        ops = Operands(tuner.measure, fam, dt, max(nb for _, _, nb, _, _, _ in items))
        cases = []
        for store, _, nb, nt, pa, pb in items:
            fn = ops.call(nb, store)
            cases.append(
                Case(f"{fam}.{dt}.{store} {_mib(nb)} {nt}t", {"a": side(pa, fn), "b": side(pb, fn)})
            )
        tuner.campaign(cases)
        for c, (_store, _, _nb, _nt, pa, pb) in zip(cases, items):
            r = math.exp(c.lr("b", "a").median())
            best = math.exp(c.best_lr("b", "a"))
            rows.append(
                {
                    "case": c.name,
                    "a": pa.__dict__,
                    "b": pb.__dict__,
                    "b_over_a": round(r, 4),
                    "b_over_a_best": round(best, 4),
                }
            )
            tuner.log(
                f"  {c.name:32} a {pa} b {pb}: time b / time a {r:.3f} (best times: {best:.3f})"
            )
        del ops
    tuner._restore()
    _ffi.clear_tuning()
    ratios = [float(r["b_over_a"]) for r in rows]
    bests = [float(r["b_over_a_best"]) for r in rows]
    return {
        "a": va.name,
        "b": vb.name,
        "cases_differing": len(rows),
        "max_b_over_a": max(ratios, default=1.0),
        "min_b_over_a": min(ratios, default=1.0),
        "geomean_b_over_a": math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else 1.0,
        "max_b_over_a_best": max(bests, default=1.0),
        "min_b_over_a_best": min(bests, default=1.0),
        "rows": rows,
    }


# ---- the command -------------------------------------------------------------------------------
def _load_doc(spec: str) -> dict[str, Any] | None:
    if spec in ("default", "defaults", "derived", "none"):
        return None
    return _tuning.read(Path(spec).expanduser())


def _shown(v: Any) -> str:
    return _mib(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)


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
            + (", ".join(f"{f} {_shown(x)}" for f, x in v.items()) or "not tuned")
            + f" (derived: {_shown(d)})"
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
    measure = _measure
    if not args.no_lock and not _lock_free(measure.LOCK_PATH):
        print(
            f"raptors tune: waiting for the shared benchmark lock {measure.LOCK_PATH} "
            "(another measurement is running)",
            file=sys.stderr,
            flush=True,
        )
    lock = measure.lock() if not args.no_lock else _nolock()
    with lock:
        tuner = Tuner(visits=args.visits, rounds=args.rounds, quick=args.quick, measure=measure)
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


class _nolock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
