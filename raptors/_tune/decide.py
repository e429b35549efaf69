"""The decisions, from measurements alone (no timing here): which rounds count (the quiet ones),
when another SIMD variant is worth taking (decide_variant), and where on a ladder of sizes a
threshold falls (partition costs, stream_threshold, threads_threshold, decide_thresholds)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _ffi

#: A tuned variant must beat the default by this much (and never lose by more).
MARGIN = 0.03
#: A tuned threshold must save this much per measured series over the derived one (log ratio).
TOLERANCE = math.log(1.01)


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


def stats_json(default: str, stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        f"{default}/{a}": {
            "gain": round(s["gain"], 4),
            "ci": [round(c, 4) for c in s["ci"]],
            "medians": [round(r, 4) for r in s["medians"]],
        }
        for a, s in stats.items()
    }


def never(v: int, ladder: Sequence[int]) -> int | str:
    """A streaming threshold at or above the top of the ladder: never stream."""
    return "never" if v >= ladder[-1] or v >= _ffi.NEVER else v
