"""The measuring run: the Tuner visits the cases of each phase in turn (bytes per thread, SIMD
variants per cell, streaming stores), in two passes, decides, and returns the tuning document
`python -m raptors tune` writes."""

from __future__ import annotations

import datetime
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__, _ffi, _measure, _tuning
from .cases import ES, Case, Fn, Operands, configured, stores
from .decide import Ratios, combined, decide_thresholds, decide_variant, never, stats_json
from .probe import Busy, Machine, mib, shown

#: The measuring method's version, recorded in the file: `tune --if-missing` (make bench, make
#: report) measures again over a file an older method wrote.
METHOD = 2
#: What two threads must do for the largest calls of the thread ladder (1-thread time /
#: 2-thread time) for the ladder to count: less means the second core was busy throughout.
SECOND_CORE = 1.2
#: Seconds the measurement aims to stay within on a busy machine (the second pass thins out).
BUDGET = 42.0


@dataclass
class Tuner:
    visits: int = 4  # visits per case
    rounds: int = 4  # rounds per visit
    quick: bool = False
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)
    m: Machine = field(default_factory=Machine.probe)
    seed: int = 0
    raw: dict[str, dict[str, list[Ratios]]] = field(default_factory=dict)  # per cell, per alt

    def __post_init__(self) -> None:
        if self.quick:
            self.visits, self.rounds = 1, 3

    def campaign(self, cases: Sequence[Case], visits: int | None = None) -> None:
        rng = np.random.default_rng(self.seed)
        for visit in range(self.visits if visits is None else visits):
            for i in rng.permutation(len(cases)):
                c = cases[int(i)]
                c.setup()
                self.seed += 1
                t = _measure.interleaved(
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

    def campaign_on(self, ops: Operands, cases: Sequence[Case], visits: int) -> None:
        """A campaign of cases whose sides are built on ops (and dropped after it, with their
        hold on the arrays); the variant and thread count restored."""
        for c in cases:
            c.bind(ops)
        self.campaign(cases, visits=visits)
        for c in cases:
            c.bind(None)
        self.restore()

    def _visits(self, npass: int, shrink: float) -> int:
        """Visits of a case in pass npass: half the total each, the second at least one."""
        v = (self.visits + 1 - npass) // 2
        return v if npass == 0 or v == 0 else max(1, min(v, round(v * shrink)))

    def restore(self) -> None:
        """The variant and thread count a campaign's sides set, back to the defaults."""
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
            for f in (_ffi.FAMILY_ALL, *range(len(_ffi.FAMILIES))):  # every thread, always
                _ffi.set_tuning_bytes(_ffi.TUNE_BYTES_PER_THREAD, 1, f)
            _ffi.raw_set_simd(b"auto")

        ladder = self.m.thread_ladder()
        for fam in families:
            for dt in ES:
                ops = Operands(fam, dt, ladder[-1])
                for nb in ladder:
                    fn = ops.call(nb, "plain")
                    cases[(f"{fam}.{dt}", nb)] = Case(
                        f"threads {fam}.{dt} {mib(nb)}",
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
            # The quiet rounds' median, not each side's best time: two threads' best is a call
            # whose worker was already spinning, and small calls rarely find it so (64K
            # float32 scaled in place on the Intel VM: 2 threads' best 1.16x faster than one
            # thread's, their median 1.3x slower).
            meds = [cases[(key, nb)].lr("1", "2").median() for nb in ladder]
            ev["series"][key] = meds
            if log:
                self.log(
                    f"  {key:10} 1-thread time / 2-thread time (quiet rounds' median) "
                    + " ".join(f"{mib(nb)}:{math.exp(v):.2f}" for nb, v in zip(ladder, meds))
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
                        f"{nt}t {mib(nb)}" + (" out64" if al else "")
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
                                tag = f"{nt}t {mib(nb)}" + (" out64" if al else "")
                                for v in self.m.variants:
                                    sides[f"{v}|{tag}"] = configured(fn, simd=v, threads=nt)
                        return sides

                    case = Case(f"{cell} {mib(nb)}", {}, setup, build=build)
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
            out[cell] = {"choice": choice, "configs": labels, **stats_json(default, stats)}
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
            ev["pooled"] = stats_json(default, stats)
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
                    sides[f"plain|{nt}|{al}"] = configured(fn, threads=nt, stream=_ffi.NEVER)
                    sides[f"stream|{nt}|{al}"] = configured(fn, threads=nt, stream=0)
                return sides

            cases.append(Case(f"stream {fam}.{dt} {mib(nb)}", {}, setup, build=build))
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
                    + " ".join(f"{mib(nb)}:{math.exp(x):.2f}" for nb, x in zip(ladder, res[key]))
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
            f"raptors tune: L2 {mib(m.l2)}, L3 {mib(m.l3)}, {m.threads} threads, variants "
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
                ops = Operands(fam, dt, top)
                vc = cells.setdefault((fam, dt), self.variant_cases(fam, dt))
                vcases = [c for lst in vc.values() for c, _ in lst]
                self.campaign_on(ops, vcases, visits=self._visits(npass, shrink))
                decided = self.variant_decide(vc, log=npass == 1)
                simd_ev.update(decided)
                self.apply_cells(decided)
                if fam != "reduce":
                    sc = streams.setdefault((fam, dt), self.stream_cases(fam, dt))
                    self.campaign_on(ops, sc, visits=self._visits(npass, shrink))
                    _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
                del ops
                self.log(f"  pass {npass + 1}: {fam} {dt} ({time.perf_counter() - t0:.1f} s)")
            if npass == 0:
                self.campaign(list(thr.values()))
                _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
                threads_ev = self.threads_decide(thr, log=False)
                self.apply_threads(threads_ev.get("decision", {}))
        self.campaign(list(thr.values()), visits=max(1, self.visits // 2))
        self.restore()
        _ffi.set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, -1)
        self.log("bytes per thread (1 vs 2 threads):")
        threads_ev = self.threads_decide(thr, log=True)
        bpt: dict[str, int] = threads_ev.get("decision", {})
        self.log(
            "  -> bytes per thread: "
            + (", ".join(f"{k} {mib(v)}" for k, v in bpt.items()) or "derived")
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
            stream[cls] = {k: never(v, ladder) for k, v in d["values"].items()}
            stream_ev.setdefault("costs", {})[cls] = d["costs"]
            self.log(
                f"streaming stores above ({cls} thread{'s' if cls == 'several' else ''}): "
                + ", ".join(f"{k} {shown(v)}" for k, v in stream[cls].items())
            )
        stream_ev["decision"] = stream
        stream_ev["derived"] = never(m.derived_stream, ladder)
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
