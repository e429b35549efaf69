"""Fuzzing raptors.scale against NumPy (tests/fuzz_scale.py) with a fixed seed,
in a subprocess: a crash of the interpreter is a test failure that names the
case. `make fuzz` runs longer (SEED=, N=, TIME=)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, "tests", "fuzz_scale.py")

SEED = 20261124
# Fewer under qemu-user (`make test-arm64`), where the interpreter runs ~30x slower.
CASES = 500 if os.environ.get("QEMU_LD_PREFIX") else 4000


def run_fuzz(tmp_path, args, code=None):
    trace = tmp_path / "current_case"
    cmd = [sys.executable, FUZZ] if code is None else [sys.executable, "-c", code]
    r = subprocess.run(
        cmd + args + ["--trace", str(trace)], cwd=ROOT, capture_output=True, text=True, timeout=280
    )
    last = trace.read_text().strip() if trace.exists() else "(no case started)"
    return r, last


def test_fuzz_fixed_seed(tmp_path):
    r, last = run_fuzz(tmp_path, ["--seed", str(SEED), "--cases", str(CASES)])
    if r.returncode < 0 or (r.returncode != 0 and "fuzz_scale: seed" not in r.stdout):
        raise AssertionError(
            f"the fuzzer's process died (exit {r.returncode}) in {last}\n"
            f"{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
        )
    assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
    assert f"{CASES} cases" in r.stdout and "0 failed" in r.stdout, r.stdout[-2000:]


MUTANT = """
import sys
sys.path.insert(0, {tests!r})
import raptors.api as api
import fuzz_scale
real = api._factor
api._factor = lambda f, d: -0.0 if real(f, d) == 0 else real(f, d)   # drops +0.0's sign
sys.exit(fuzz_scale.main(sys.argv[1:]))
"""


def test_fuzz_catches_a_planted_bug(tmp_path):
    """The oracle has teeth: a scale that turns a +0.0 factor into -0.0 (a one-bit
    difference in some results) fails the same run."""
    code = MUTANT.format(tests=os.path.join(ROOT, "tests"))
    r, _ = run_fuzz(
        tmp_path, ["--seed", str(SEED), "--cases", "1500", "--max-failures", "1"], code=code
    )
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    assert "FAIL" in r.stdout and "wrong result" in r.stdout, r.stdout[-3000:]


# ---- Regressions the fuzzer found ---------------------------------------------


def test_out_of_xs_own_non_native_dtype_is_accepted():
    """x of a non-native float dtype with out of that same dtype (x itself, in
    place, included): the documented 'same shape and dtype' case, once a TypeError."""
    import numpy as np

    import raptors

    for dt in (">f4", ">f8") if sys.byteorder == "little" else ("<f4", "<f8"):
        x = np.linspace(-3, 3, 11).astype(dt)
        want = np.multiply(x, x.dtype.type(1.5))
        out = np.empty(11, dt)
        assert raptors.scale(x, 1.5, out=out) is out
        assert out.dtype == np.dtype(dt) and (out == want).all()
        assert raptors.scale(x[::-1], 1.5, out=out) is out and (out == want[::-1]).all()
        assert raptors.scale(x, 1.5, out=x) is x and x.dtype == np.dtype(dt) and (x == want).all()
