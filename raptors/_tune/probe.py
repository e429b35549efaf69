"""What the tuning is sized by: this machine's caches, thread count and SIMD variants as the
library sees them (Machine, with the size regimes and the ladders measured), and how much CPU
other processes took meanwhile (Busy)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .. import _ffi


def mib(n: float) -> str:
    """Bytes for people: '1.5 MiB', '256 KiB'."""
    if n >= 1 << 20:
        return f"{n / (1 << 20):.3g} MiB"
    return f"{n / 1024:.3g} KiB"


def shown(v: object) -> str:
    """A threshold for people: bytes as mib(), anything else ('never') as it is."""
    return mib(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)


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
            # A call that one thread takes (a quarter of L2 moved) and one two threads may
            # share: a variant faster at one is not always faster at the other.
            return [self.l2 // 8, self.l2 // 2]
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
