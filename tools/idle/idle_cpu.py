"""Idle workers: CPU time against latency for each spin time (docs/performance.md, "Idle workers").

raptors.sum on 4M float32 elements (16 MiB) is called in a loop, the calls spaced by a sleep
of GAP ms, by 0.1 ms of Python work ("w100") or by NumPy's x * 2.0 ("numpy"). The settings
(spin times in us, and "t1": one thread) alternate in blocks of calls, in shuffled order,
over ROUNDS rounds, in one process. Prints, per gap and setting, the median latency of a call
and the process's CPU time / wall time over the loop, as a Markdown table.

    python tools/idle/idle_cpu.py [--gaps 0,1,5,20,numpy] [--spins t1,0,50,200,1000,10000]
                                  [--rounds 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np

import raptors

CALLS = {"0": 120, "w100": 100, "1": 60, "2": 50, "5": 30, "20": 10, "numpy": 40}
NAMES = {"numpy": "a NumPy call (x * 2.0)", "w100": "0.1 ms of Python work"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gaps", default="0,1,5,20,numpy")
    ap.add_argument("--spins", default="t1,0,50,200,1000,10000")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    gaps = args.gaps.split(",")
    settings = args.spins.split(",")
    x = np.random.default_rng(0).standard_normal(4 << 20).astype(np.float32)
    threads, spin = raptors.get_num_threads(), raptors.get_spin_us()
    with open("/proc/loadavg") as f:
        print("load average at the start:", f.read().split()[:3])
    for _ in range(50):
        raptors.sum(x)
    rng = random.Random(1)
    rows = []
    for gap in gaps:
        lat: dict[str, list[float]] = {s: [] for s in settings}
        cpu = dict.fromkeys(settings, 0.0)
        wall = dict.fromkeys(settings, 0.0)
        for _ in range(args.rounds):
            order = settings[:]
            rng.shuffle(order)
            for s in order:
                raptors.set_num_threads(1 if s == "t1" else max(threads, 2))
                raptors.set_spin_us(spin if s == "t1" else int(s))
                raptors.sum(x)
                time.sleep(0.03)  # the previous setting's spin time ends
                w0, c0 = time.perf_counter(), time.process_time()
                for _ in range(CALLS.get(gap, 20)):
                    t0 = time.perf_counter()
                    raptors.sum(x)
                    lat[s].append(time.perf_counter() - t0)
                    if gap == "numpy":
                        y = x * 2.0
                        del y
                    elif gap == "w100":
                        until = time.perf_counter() + 1e-4
                        while time.perf_counter() < until:
                            pass
                    elif gap != "0":
                        time.sleep(int(gap) / 1000)
                cpu[s] += time.process_time() - c0
                wall[s] += time.perf_counter() - w0
        cells = [
            f"{statistics.median(lat[s]) * 1e6:.0f} µs, {cpu[s] / wall[s]:.2f}" for s in settings
        ]
        rows.append(f"| {NAMES.get(gap, gap + ' ms')} | " + " | ".join(cells) + " |")
    raptors.set_num_threads(threads)
    raptors.set_spin_us(spin)
    with open("/proc/loadavg") as f:
        print("load average at the end:", f.read().split()[:3])
    heads = ["1 thread" if s == "t1" else f"spin {s} us" for s in settings]
    print("| calls spaced by | " + " | ".join(heads) + " |")
    print("| --- |" + " --- |" * len(settings))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
