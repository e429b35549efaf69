"""Results do not depend on how work is cut for threads: every operation with pieces forced
tiny (RAPTORS_PIECE_ITEMS=1: an element, an output, a column block or the smallest pairwise
subtree each) and huge (one piece), on two threads from the smallest call up, equals NumPy
bit for bit. libraptors reads the variables once, so each setting runs in a child."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CHILD = r"""
import json
import numpy as np
import raptors

rng = np.random.default_rng(3)
f32 = rng.standard_normal((301, 203)).astype(np.float32) * 1e3
f32[rng.random(f32.shape) < 0.05] = np.nan
f64 = rng.standard_normal((257, 129)) * 1e3
i32 = rng.integers(-(2**31), 2**31, (211, 97), dtype=np.int32)
views = {
    "f32": f32, "f32 T": f32.T, "f32 strided": f32[::2, ::-3],
    "f64": f64, "f64 F": np.asfortranarray(f64), "i32": i32,
}
bad = []

def same(what, got, want):
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
        if not (got.dtype.kind == "f" and np.array_equal(got, want, equal_nan=True)
                and np.array_equal(np.signbit(got), np.signbit(want))):
            bad.append(what)

for name, x in views.items():
    fl = x.dtype.kind == "f"
    for f in ("sum", "mean", "nansum", "nanmean") if fl else ("sum", "mean"):
        for axis in (None, 0, 1):
            with np.errstate(all="ignore"):
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    same(f"{f} {name} axis={axis}", getattr(raptors, f)(x, axis=axis),
                         getattr(np, f)(x, axis=axis))
    if fl:
        same(f"sum {name} dtype=f64", raptors.sum(x, axis=1, dtype=np.float64),
             np.sum(x, axis=1, dtype=np.float64))
    for f in ("add", "subtract", "multiply"):
        with np.errstate(all="ignore"):
            same(f"{f} {name}", getattr(raptors, f)(x, x[::-1]), getattr(np, f)(x, x[::-1]))
            same(f"{f} {name} row", getattr(raptors, f)(x, x[0]), getattr(np, f)(x, x[0]))
print(json.dumps({"bad": bad, "threads": raptors.get_num_threads()}))
"""


@pytest.mark.parametrize("items", ["1", "1000000000000"], ids=["tiny", "huge"])
def test_results_do_not_depend_on_the_pieces(items):
    env = dict(
        os.environ,
        RAPTORS_PIECE_ITEMS=items,
        RAPTORS_NUM_THREADS="2",
        RAPTORS_MIN_BYTES_PER_THREAD="1",  # threads from the smallest call up
    )
    run = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["threads"] == 2
    assert got["bad"] == []
