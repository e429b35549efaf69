"""Allocating speed: raptors.scale(x, 2.0) against NumPy's x * 2.0 (docs/performance.md,
"Memory given back"), float32 2048² and 4096², interleaved in shuffled order in one process;
median of the per-round ratios NumPy time / Raptors time. Where the NumPy memory handler is
on, the block-object path (_ffi._Block) is timed too, as a third contender.

    python tools/idle/alloc_speed.py [rounds]         # default 300 (100 at 4096²)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

import numpy as np

import raptors
from raptors import _ffi, api


def block_path(shape: tuple[int, ...], dtype: Any, order: str = "C") -> Any:
    dt = np.dtype(dtype)
    return np.asarray(_ffi.block(shape, dt.str, None, int(np.prod(shape)) * dt.itemsize))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    handler = getattr(api, "_pooled", None)
    variants: dict[str, Any] = {"numpy": None, "raptors": handler}
    if handler is not None and _ffi.NUMPY_HANDLER:
        variants["raptors (block object)"] = block_path
    for n in (2048, 4096):
        x = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
        times: dict[str, list[float]] = {k: [] for k in variants}
        count = rounds if n == 2048 else rounds // 3
        for r in range(count + 5):
            order = list(variants)
            random.shuffle(order)
            for k in order:
                if k != "numpy" and handler is not None:
                    api._pooled = variants[k]  # type: ignore[attr-defined]
                t0 = time.perf_counter()
                y = x * 2.0 if k == "numpy" else raptors.scale(x, 2.0)
                t1 = time.perf_counter()
                del y
                if r >= 5:  # warm-up rounds: first touch, pool
                    times[k].append(t1 - t0)
        if handler is not None:
            api._pooled = handler  # type: ignore[attr-defined]
        line = f"f32 {n}² ({count} rounds):"
        for k in variants:
            if k != "numpy":
                ratio = statistics.median(a / b for a, b in zip(times["numpy"], times[k]))
                line += f" NumPy/{k} {ratio:.2f} ({statistics.median(times[k]) * 1e3:.2f} ms)"
        print(line + f"; NumPy {statistics.median(times['numpy']) * 1e3:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
