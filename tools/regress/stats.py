"""Statistics and the decision of the regression gate. Pure functions (numpy only).

The timing comparison is paired: in each round the BASE library, the HEAD
library and NumPy are each timed once, in a shuffled order, on the same buffers,
so whatever slows the machine during that round slows all three. Per round the
ratio r = t_head / t_base; the estimate is the median of r, its confidence
interval a bootstrap of that median, and the significance an exact one-sided
sign test (how unlikely so many rounds with r > 1 would be if HEAD and BASE were
the same code). A case regresses when the estimate exceeds FACTOR and the test
is significant at ALPHA (Bonferroni-corrected across cases). Instruction counts
(callgrind) are exact: a case regresses when HEAD executes more than
(1 + INSN_TOL) times BASE's instructions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

#: Defaults, stated in the gate's output and in docs/regress.md.
FACTOR = 1.05  # a case is a regression when HEAD is slower than BASE by more than 5% ...
ALPHA = 0.01  # ... and the sign test's p-value is below ALPHA / number of cases.
INSN_TOL = 0.01  # instructions: more than 1% more than BASE is a regression.


def sign_test_greater(r) -> float:
    """One-sided exact sign test: p-value of seeing at least this many r > 1
    among the rounds with r != 1, if r > 1 and r < 1 were equally likely."""
    r = np.asarray(r, dtype=float)
    pos = int(np.sum(r > 1.0))
    n = pos + int(np.sum(r < 1.0))
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(pos, n + 1))
    return min(1.0, tail / 2**n)


def sign_test_less(r) -> float:
    return sign_test_greater(1.0 / np.asarray(r, dtype=float))


def bootstrap_median_ci(r, conf: float = 0.95, nboot: int = 2000, seed: int = 12345):
    """Percentile bootstrap confidence interval of the median of r."""
    r = np.asarray(r, dtype=float)
    if r.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, r.size, size=(nboot, r.size))
    meds = np.median(r[idx], axis=1)
    lo, hi = np.quantile(meds, [(1 - conf) / 2, 1 - (1 - conf) / 2])
    return (float(lo), float(hi))


@dataclass
class TimingVerdict:
    case: str
    rounds: int
    ratio: float  # median over rounds of t_head / t_base (> 1: HEAD slower)
    ci_lo: float
    ci_hi: float
    p_slower: float  # one-sided sign test, HEAD slower
    p_faster: float
    verdict: str  # "regression" | "improvement" | "same"
    t_numpy: float = math.nan  # median seconds per call
    t_base: float = math.nan
    t_head: float = math.nan
    speedup_base: float = math.nan  # median over rounds of t_numpy / t_base
    speedup_head: float = math.nan
    threads: int = 1  # threads each side used (1, or every usable CPU)

    def as_dict(self):
        return asdict(self)


def judge_timing(
    case: str, t_base, t_head, t_numpy=None, factor: float = FACTOR, alpha: float = ALPHA
) -> TimingVerdict:
    """Verdict on one case from paired per-round times (seconds)."""
    b = np.asarray(t_base, dtype=float)
    h = np.asarray(t_head, dtype=float)
    if b.shape != h.shape or b.size < 5:
        raise ValueError("need equally many paired rounds (at least 5) for BASE and HEAD")
    r = h / b
    ratio = float(np.median(r))
    lo, hi = bootstrap_median_ci(r)
    p_slow, p_fast = sign_test_greater(r), sign_test_less(r)
    if ratio > factor and p_slow < alpha:
        verdict = "regression"
    elif ratio < 1.0 / factor and p_fast < alpha:
        verdict = "improvement"
    else:
        verdict = "same"
    v = TimingVerdict(
        case,
        int(b.size),
        ratio,
        lo,
        hi,
        p_slow,
        p_fast,
        verdict,
        t_base=float(np.median(b)),
        t_head=float(np.median(h)),
    )
    if t_numpy is not None:
        n = np.asarray(t_numpy, dtype=float)
        v.t_numpy = float(np.median(n))
        v.speedup_base = float(np.median(n / b))
        v.speedup_head = float(np.median(n / h))
    return v


@dataclass
class InsnVerdict:
    case: str
    base: int
    head: int
    ratio: float
    verdict: str

    def as_dict(self):
        return asdict(self)


def judge_insn(case: str, base: int, head: int, tol: float = INSN_TOL) -> InsnVerdict:
    ratio = head / base if base else math.inf
    if head > base * (1 + tol):
        verdict = "regression"
    elif head < base * (1 - tol):
        verdict = "improvement"
    else:
        verdict = "same"
    return InsnVerdict(case, int(base), int(head), ratio, verdict)


def overall(timing, insn) -> str:
    """The gate's verdict: "regression" if any timing case or instruction count regressed."""
    if any(v.verdict == "regression" for v in list(timing) + list(insn)):
        return "regression"
    return "ok"
