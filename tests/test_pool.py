"""The buffer pool behind large results (4 MiB or more) gives its memory back: a block
unused for the idle time (RAPTORS_POOL_IDLE_MS, default 1 s) is unmapped without any
further call, and resident memory falls; while a program keeps using a size, its block
stays. The public controls (set_pool, get_pool, pool_trim, pool_cached) do what they
say. Large results are NumPy's own kind of array (owndata, base None, resize), through
NumPy's memory handler; where that is unavailable (other interpreters,
RAPTORS_DATA_POINTERS=1) they are views of a block, as the README says. Timing-free:
each wait polls for the state it expects, with a generous deadline."""

import os
import pickle
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import assert_bitwise_equal, reference

import raptors
from raptors import _ffi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20
LINUX = sys.platform.startswith("linux")


def run_child(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RAPTORS_")}
    full_env.update(env)
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    assert r.stdout.strip().endswith("OK"), r.stdout + r.stderr[-4000:]
    return r.stdout


@pytest.mark.skipif(not LINUX, reason="reads /proc/self/status")
def test_memory_returns_after_the_idle_time_without_another_call():
    """The default: 128 MiB of freed results stay cached (resident) for the idle time,
    then go back to the system with no call to Raptors; RSS falls by as much."""
    out = run_child("""
        import time
        import numpy as np
        import raptors

        def rss():
            with open("/proc/self/status") as f:
                return int(next(l for l in f if l.startswith("VmRSS:")).split()[1]) << 10

        assert raptors.get_pool() == {
            "max_bytes": 256 << 20, "idle_ms": 1000, "cached_bytes": 0}, raptors.get_pool()
        x = np.ones(8 << 20, np.float32)                     # 32 MiB
        ys = [raptors.scale(x, float(k)) for k in range(4)]  # 4 x 32 MiB, resident
        del ys
        freed = time.monotonic()
        cached, held = raptors.pool_cached(), rss()
        assert cached == 4 * (32 << 20), cached
        while raptors.pool_cached() and time.monotonic() - freed < 30:
            time.sleep(0.01)                                 # no Raptors call meanwhile
        waited = time.monotonic() - freed
        assert raptors.pool_cached() == 0, "never released"
        assert waited >= 0.99, f"released after {waited:.3f} s, before the idle time"
        dropped = held - rss()
        assert dropped > 3 * (32 << 20), f"RSS fell by {dropped >> 20} MiB only"
        print(f"released after {waited:.2f} s, RSS down {dropped >> 20} MiB")
        print("OK")
    """)
    assert "released after" in out


def test_a_block_in_steady_use_stays_and_an_idle_one_goes():
    old = raptors.get_pool()
    raptors.set_pool(idle_ms=300)
    try:
        raptors.pool_trim()
        x = np.ones(2 * MIB, np.float32)  # 8 MiB results
        y = raptors.scale(x, 2.0)
        addr = y.ctypes.data
        del y
        for k in range(30):  # 0.6 s of use, every 20 ms: twice the idle time
            time.sleep(0.02)
            assert raptors.pool_cached() == 8 * MIB, k  # still there between the calls
            y = raptors.scale(x, float(k))
            assert y.ctypes.data == addr and y[-1] == k
            del y
        deadline = time.monotonic() + 30
        while raptors.pool_cached() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert raptors.pool_cached() == 0
    finally:
        raptors.set_pool(max_bytes=old["max_bytes"], idle_ms=old["idle_ms"])


def test_set_pool_limits_what_is_kept_and_pool_trim_releases_it():
    old = raptors.get_pool()
    x = np.ones(2 * MIB, np.float32)
    try:
        raptors.set_pool(max_bytes=256 * MIB, idle_ms=60_000)
        raptors.pool_trim()
        ys = [raptors.scale(x, 1.0) for _ in range(3)]
        del ys
        assert raptors.pool_cached() == 24 * MIB
        raptors.set_pool(max_bytes=10 * MIB)  # the coldest go at once: one block fits
        assert raptors.pool_cached() == 8 * MIB
        assert raptors.get_pool()["max_bytes"] == 10 * MIB
        assert raptors.pool_trim() == 8 * MIB and raptors.pool_cached() == 0
        for keep_none in ({"max_bytes": 0}, {"max_bytes": 256 * MIB, "idle_ms": 0}):
            raptors.set_pool(**keep_none)
            y = raptors.scale(x, 3.0)
            assert_bitwise_equal(y, reference(x, 3.0))
            del y
            assert raptors.pool_cached() == 0, keep_none
    finally:
        raptors.set_pool(max_bytes=old["max_bytes"], idle_ms=old["idle_ms"])
    assert raptors.get_pool()["idle_ms"] == old["idle_ms"]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"max_bytes": -1}, ValueError),
        ({"idle_ms": -5}, ValueError),
        ({"max_bytes": 1 << 64}, ValueError),
        ({"max_bytes": 1.5}, TypeError),
        ({"idle_ms": "1000"}, TypeError),
        ({"idle_ms": True}, TypeError),
    ],
)
def test_set_pool_refuses_bad_values_and_changes_nothing(kwargs, error):
    before = raptors.get_pool()
    with pytest.raises(error, match=next(iter(kwargs))):
        raptors.set_pool(**kwargs)
    after = raptors.get_pool()
    assert (after["max_bytes"], after["idle_ms"]) == (before["max_bytes"], before["idle_ms"])


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="NumPy's C API through ctypes")
def test_the_numpy_handler_is_on_here():
    assert _ffi.NUMPY_HANDLER


@pytest.mark.skipif(not _ffi.NUMPY_HANDLER, reason="results are views of blocks here")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_results_own_their_memory_and_resize_as_numpys(dtype):
    x = np.random.default_rng(0).standard_normal((1024, 1100)).astype(dtype)
    for make in (
        lambda: (raptors.scale(x, 2.0), x * dtype(2.0)),
        lambda: (raptors.add(x, x), x + x),
        lambda: (raptors.multiply(x, x[0]), x * x[0]),
    ):
        r, n = make()
        assert r.nbytes >= raptors.api.POOL_MIN_BYTES
        assert r.flags.owndata and r.base is None
        assert np._core.multiarray.get_handler_name(r) == _ffi.HANDLER_NAME
        assert_bitwise_equal(pickle.loads(pickle.dumps(r)), n)
        view = r[::2]
        for a in (r, n):  # a view holds it: both refuse alike
            with pytest.raises(ValueError, match="cannot resize"):
                a.resize(2 * a.size)
        del view, a
        for shape in ((2048, 1100), (300, 7), (5_000_000,)):  # grow, shrink, grow again
            r.resize(shape)
            n.resize(shape)
            assert_bitwise_equal(r, n)
        r[...] = 1  # still writable memory of its own
    # Other arrays keep NumPy's own allocator, on this thread and every other.
    assert np._core.multiarray.get_handler_name(np.empty(MIB)) == "default_allocator"


def test_results_on_the_fallback_path_are_views_of_a_block():
    """What the README documents for interpreters without NumPy's handler."""
    run_child(
        """
        import numpy as np, raptors
        from raptors import _ffi
        assert not _ffi.NUMPY_HANDLER
        r = raptors.scale(np.ones(2 << 20, np.float32), 2.0)
        assert not r.flags.owndata and isinstance(r.base, _ffi._Block)
        try:
            r.resize(10)
        except ValueError as exc:
            assert "does not own its data" in str(exc), exc
        else:
            raise AssertionError("resize worked")
        c = r.copy()                      # the way to an owning array
        assert c.flags.owndata and (c == 2).all()
        del r
        assert raptors.pool_cached() == 8 << 20
        print("OK")
        """,
        RAPTORS_DATA_POINTERS="1",
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_with_an_empty_pool():
    run_child("""
        import os
        import numpy as np, raptors
        x = np.ones(2 << 20, np.float32)
        y = raptors.scale(x, 2.0); del y
        assert raptors.pool_cached() == 8 << 20
        pid = os.fork()
        if pid == 0:
            ok = raptors.pool_cached() == 0
            y = raptors.scale(x, 3.0); del y
            ok = ok and raptors.pool_cached() == 8 << 20
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert raptors.pool_cached() == 8 << 20    # the parent's, untouched
        print("OK")
    """)
