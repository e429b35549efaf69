"""Memory: allocating calls do not leak (resident memory stays flat over
100,000 calls of mixed sizes), and the arrays scale returns own their memory
for as long as anything refers to them, whatever the library reuses inside
(views of a deleted result keep their content; live results never share
memory; results freed on other threads are fine). RSS is measured in a fresh
subprocess, read from /proc/self/status (Linux)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import under_asan

import raptors
from raptors import _ffi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RSS_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import raptors

    def rss():
        with open("/proc/self/status") as f:
            return int(next(l for l in f if l.startswith("VmRSS:")).split()[1]) * 1024

    with open("/proc/self/maps") as f:
        asan = "libasan" in f.read()
    leak = sys.argv[1] == "leak"   # the self-check: keep 1 result in 25 alive
    sizes = [0, 1, 3, 17, 100, 256, 1000, 4096, 10_000, 65_536, 300_000]
    rng = np.random.default_rng(0)
    xs = {(n, dt): rng.standard_normal(n).astype(dt) for n in sizes
          for dt in (np.float32, np.float64)}
    keys = list(xs)
    kept = []

    def calls(first, count):
        for i in range(first, first + count):
            n, dt = keys[(i * 7919) % len(keys)]
            if n == 300_000 and i % 10:
                n = 1000
            y = raptors.scale(xs[n, dt], 1.5)
            if leak and i % 25 == 0:
                kept.append(y)

    CALLS, STEP = 100_000, 5_000
    calls(0, STEP)                 # warm up: every size once, allocator settled
    base = peak = rss()
    for first in range(0, CALLS, STEP):
        calls(first, STEP)
        peak = max(peak, rss())
    growth = max(rss(), peak) - base
    # ASan's quarantine holds freed memory back (up to 256 MB by default).
    bound = (128 if asan else 16) * 2**20
    print(f"growth {growth / 2**20:.1f} MiB bound {bound / 2**20:.0f} MiB asan {asan}")
    print("FLAT" if growth < bound else "GREW")
""")


def run_rss(mode):
    r = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    return r.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_allocating_calls_keep_rss_flat():
    out = run_rss("plain")
    assert "FLAT" in out, out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.skipif(under_asan(), reason="checks the check; `make test` runs it (20 s under ASan)")
def test_rss_check_sees_a_leak():
    """The measurement has teeth: keeping 4% of the results alive is reported."""
    out = run_rss("leak")
    assert "GREW" in out, out


def test_views_outlive_the_result_and_reuse():
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        for n in (5, 1000, 70_000, 1_000_000):
            x = rng.standard_normal(n).astype(dtype)
            y = raptors.scale(x, 3.0)
            views = [
                y[1:4],
                y[::7],
                y[::-1],
                y.reshape(-1, 5) if n % 5 == 0 else y[:2],
                np.frombuffer(memoryview(y), dtype=dtype),
                y.view(np.uint8),
            ]
            copies = [v.copy() for v in views]
            del y
            # Allocate and free many results of the same size (what a buffer
            # pool would hand back), and write into them.
            for k in range(20):
                z = raptors.scale(x, float(k))
                z[...] = -1
                del z
                if k == 10 and hasattr(_ffi, "pool_trim"):
                    _ffi.pool_trim()  # the library unmaps what it keeps for reuse
            for v, c in zip(views, copies):
                assert v.tobytes() == c.tobytes(), (dtype, n)


def test_live_results_never_share_memory():
    x = np.arange(50_000, dtype=np.float64)
    results = [raptors.scale(x, float(k)) for k in range(40)]
    for k, r in enumerate(results):
        assert r.flags.writeable and r.flags.c_contiguous
        assert np.array_equal(r, x * k)
    for i in range(len(results)):
        for j in range(i + 1, len(results)):
            assert not np.shares_memory(results[i], results[j]), (i, j)
    # Writing into one result changes no other.
    results[0][...] = 7.0
    assert all(np.array_equal(r, x * k) for k, r in enumerate(results) if k)


def test_results_freed_on_other_threads():
    """Results made on one thread and dropped on another (a pool of buffers must be
    thread-safe), checked in a subprocess so a crash is a failure."""
    code = textwrap.dedent("""
        import queue, threading
        import numpy as np
        import raptors
        q = queue.Queue(maxsize=64)
        errors = []

        def producer(k):
            x = np.full(400_000, float(k + 1))     # up to 3.2 MB: pooled sizes too
            for i in range(1500):
                n = (1, 100, 1000 * (k + 1), 70_000, 150_000, 400_000)[i % 6]
                q.put((raptors.scale(x[:n], 2.0), 2.0 * (k + 1)))

        def consumer():
            while True:
                item = q.get()
                if item is None:
                    return
                y, want = item
                if not (y == want).all():
                    errors.append("wrong content")
                del y, item      # freed here, not where it was made

        ps = [threading.Thread(target=producer, args=(k,)) for k in range(3)]
        cs = [threading.Thread(target=consumer) for _ in range(3)]
        for t in ps + cs:
            t.start()
        for t in ps:
            t.join()
        for _ in cs:
            q.put(None)
        for t in cs:
            t.join()
        assert not errors, errors[:5]
        print("OK")
    """)
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=200
    )
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr[-4000:]


def test_results_alive_at_interpreter_exit():
    """Results (pooled sizes too) still alive at exit, in globals, in a reference
    cycle, in another thread's frame, or only through a view: the interpreter
    exits cleanly."""
    code = textwrap.dedent("""
        import threading
        import numpy as np
        import raptors
        x = np.arange(600_000, dtype=np.float64)
        keep = [raptors.scale(x, 2.0) for _ in range(3)]
        cycle = [raptors.scale(x[:200_000].astype(np.float32), 3.0)]
        cycle.append(cycle)
        view = raptors.scale(x, 4.0)[::3]
        ev = threading.Event()
        def hold():
            y = raptors.scale(x, 5.0)
            ev.set()
            threading.Event().wait(60)
        threading.Thread(target=hold, daemon=True).start()
        ev.wait()
        assert view[1] == 12.0
        print("OK")
    """)
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and r.stdout.strip() == "OK", r.stdout + r.stderr[-4000:]
