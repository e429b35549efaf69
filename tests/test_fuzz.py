"""Fuzzing raptors.scale (tests/fuzz_scale.py) and add, subtract, multiply, sum
and mean (tests/fuzz_ops.py) against NumPy with a fixed seed, in a subprocess: a
crash of the interpreter is a test failure that names the case. `make fuzz` runs
longer (SEED=, N=, TIME=)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, "tests", "fuzz_scale.py")
FUZZ_OPS = os.path.join(ROOT, "tests", "fuzz_ops.py")

SEED = 20261124
OPS_SEED = 20261201
# Fewer under qemu-user (`make test-arm64`), where the interpreter runs ~30x slower.
QEMU_USER = bool(os.environ.get("QEMU_LD_PREFIX"))
CASES = 500 if QEMU_USER else 4000
OPS_CASES = 300 if QEMU_USER else 2500
# A planted bug's run stops at its first failure, so its bound need not shrink under qemu:
# with OPS_SEED the wrong buffer size is first caught at case 328 (on any machine).
MUTANT_OPS_CASES = 2500


def run_fuzz(tmp_path, args, code=None, script=FUZZ):
    trace = tmp_path / "current_case"
    cmd = [sys.executable, script] if code is None else [sys.executable, "-c", code]
    # The raptors of this tree, not whichever one the interpreter would find from tests/.
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    )
    r = subprocess.run(
        cmd + args + ["--trace", str(trace)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    last = trace.read_text().strip() if trace.exists() else "(no case started)"
    return r, last


@pytest.mark.parametrize(
    "script, seed, cases",
    [(FUZZ, SEED, CASES), (FUZZ_OPS, OPS_SEED, OPS_CASES)],
    ids=["scale", "ops"],
)
def test_fuzzer_passes_its_fixed_seed(tmp_path, script, seed, cases):
    r, last = run_fuzz(tmp_path, ["--seed", str(seed), "--cases", str(cases)], script=script)
    name = os.path.basename(script)[: -len(".py")]
    if r.returncode < 0 or (r.returncode != 0 and f"{name}: seed" not in r.stdout):
        raise AssertionError(
            f"the fuzzer's process died (exit {r.returncode}) in {last}\n"
            f"{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
        )
    assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
    assert f"{cases} cases" in r.stdout and "0 failed" in r.stdout, r.stdout[-2000:]


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


OPS_MUTANT = """
import sys
sys.path.insert(0, {tests!r})
import numpy as np
import raptors
import fuzz_ops
{mutation}
sys.exit(fuzz_ops.main(sys.argv[1:]))
"""
# Each replaces a public function of the package, which the fuzzer calls by name.
OPS_MUTATIONS = {
    "sum/mean told twice np.getbufsize()": """
def wrong_bufsize(real):
    def fn(x, axis=None, dtype=None, keepdims=False):
        old = np.getbufsize()
        np.setbufsize(2 * old)
        try:
            return real(x, axis=axis, dtype=dtype, keepdims=keepdims)
        finally:
            np.setbufsize(old)
    return fn
raptors.sum = wrong_bufsize(raptors.sum)
raptors.mean = wrong_bufsize(raptors.mean)
""",
    "add broadcasting y reversed": """
real = raptors.add
def add(x, y, out=None):
    if isinstance(y, np.ndarray) and y.ndim and y.shape[-1] > 1:
        y = y[..., ::-1]
    return real(x, y, out=out)
raptors.add = add
""",
}


@pytest.mark.parametrize("mutation", OPS_MUTATIONS)
def test_fuzz_ops_catches_planted_bugs(tmp_path, mutation):
    """The oracle has teeth: a sum whose buffered chunks follow the wrong buffer size
    (the same additions, grouped otherwise), and an add that reads y the wrong way
    round, each fail the same run."""
    code = OPS_MUTANT.format(tests=os.path.join(ROOT, "tests"), mutation=OPS_MUTATIONS[mutation])
    r, _ = run_fuzz(
        tmp_path,
        ["--seed", str(OPS_SEED), "--cases", str(MUTANT_OPS_CASES), "--max-failures", "1"],
        code=code,
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
