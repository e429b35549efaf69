"""`tune --compare A [B]`: how two tunings (B: the derived defaults) would run each call, and the
time of every case where they differ."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import _ffi
from .cases import ES, Case, Fn, Operands, configured
from .decide import FAMILY_AWARE
from .probe import Machine, mib
from .run import Tuner


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
                groups.setdefault((fam, dt), []).append((store, dt, nb, nt, pa, pb))

    def side(p: Plan, fn: Fn) -> Fn:
        st = 0 if p.stream else _ffi.NEVER
        return configured(fn, simd=p.simd, threads=p.threads, stream=st, per_thread=1)

    for (fam, dt), items in groups.items():
        ops = Operands(fam, dt, max(nb for _, _, nb, _, _, _ in items))
        cases = []
        for store, _, nb, nt, pa, pb in items:
            fn = ops.call(nb, store)
            cases.append(
                Case(f"{fam}.{dt}.{store} {mib(nb)} {nt}t", {"a": side(pa, fn), "b": side(pb, fn)})
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
    tuner.restore()
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
