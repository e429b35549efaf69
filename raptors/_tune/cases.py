"""What is timed: each family's calls on arrays sized by the bytes they move (Operands), a call
with the settings it is to be timed under made first (configured), and a case whose sides are
timed against each other in interleaved rounds, visit after visit (Case)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The public functions (whichever module defines them): what a user's call goes through.
from .. import _ffi, _measure, add, scale
from .. import sum as rsum
from .decide import Ratios, quiet_ratios

Fn = Callable[[], Any]


ES = {"f32": 4, "f64": 8}
NP_DTYPE = {"f32": np.float32, "f64": np.float64}
#: Arrays of a family: elements moved per element of the result.
ARRAYS = {"scale": 2, "binary": 3, "reduce": 1}


class Operands:
    """One family's arrays for one dtype, big enough for the largest size measured; a call of
    a given size works on the leading elements. Inputs and `out` are NumPy's own arrays (a
    large one starts 16 bytes past a page: not on a cache line, as a user's arrays); `out64`
    starts on a cache line, as the new arrays libraptors' pool gives from 4 MiB on."""

    def __init__(self, family: str, dtype: str, max_bytes: int):
        self.family, self.dtype = family, dtype
        es = ES[dtype]
        n = max_bytes // (ARRAYS[family] * es) + 64
        dt = NP_DTYPE[dtype]
        self.x = _measure.make_array((n,), dt)
        if family != "reduce":
            self.out = np.zeros(n, dt)
            self.out64 = _measure.aligned((n,), dt)
            self.out64[:] = 0
            self.inplace = self.x.copy()
        if family == "binary":
            self.y = _measure.make_array((n,), dt, offset=500)

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
    every = _ffi.FAMILY_ALL
    if stream is not None:
        pre.append(lambda: _ffi.raw_set_tuning_bytes(_ffi.TUNE_STREAM_ABOVE_BYTES, every, stream))
    if per_thread is not None:
        pre.append(lambda: _ffi.raw_set_tuning_bytes(_ffi.TUNE_BYTES_PER_THREAD, every, per_thread))
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
