"""os.fork() in a process whose thread pool is running: the child has none of
the parent's worker threads, yet must compute correct results with a fresh
pool (it does: its Threads count grows again) and never hang, also when
another thread of the parent was in the middle of a call at the fork. Each
run is a subprocess with a deadline; a child that hangs is killed and fails."""

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Set by the emulated interpreter of `make test-arm64` (tools/arm64): qemu-user's limits apply.
QEMU_USER = bool(os.environ.get("QEMU_LD_PREFIX"))
pytestmark = pytest.mark.skipif(
    QEMU_USER,
    reason="qemu-user: a child forked while other threads run can hang when it starts "
    "a thread (a bare threading.Thread too), and qemu's own thread shows in /proc/self/status",
)

PRELUDE = textwrap.dedent("""
    import faulthandler, os, signal, sys, threading, time, traceback
    import numpy as np
    import raptors
    faulthandler.dump_traceback_later(100, exit=True)

    N = 1_500_000                       # 12 MB moved: the pool is used
    x = (np.arange(N, dtype=np.float32) % 977) - 300
    want = x * np.float32(1.5)

    def os_threads():
        # Every thread but the pool's trimmer, which a pooled result's free starts too.
        names = []
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/comm") as f:
                    names.append(f.read().strip())
            except FileNotFoundError:  # a thread that just ended
                pass
        return sum(name != "raptors-trim" for name in names)

    def check_calls(threads=4):
        raptors.set_num_threads(threads)
        for _ in range(3):
            if not np.array_equal(raptors.scale(x, 1.5), want):
                return "wrong result"
        y = np.empty_like(x)
        raptors.scale(x[::-1], 1.5, out=y)
        if not np.array_equal(y, want[::-1]):
            return "wrong strided result"
        return None

    def in_child(body):
        '''fork; the child runs body() -> error string or None and exits.'''
        pid = os.fork()
        if pid == 0:
            code = 5
            try:
                err = body()
                if err:
                    print("child:", err, flush=True)
                code = 1 if err else 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        return pid

    def wait_child(pid, timeout=40):
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "hung"
            time.sleep(0.005)
""")


def run(body):
    code = PRELUDE + textwrap.dedent(body)
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=160
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def test_child_uses_a_fresh_pool_after_the_parent_used_its_own():
    out = run("""
        assert check_calls() is None
        before = os_threads()
        assert before > 1, before          # the parent's pool is running

        def child():
            start = os_threads()                 # 1, or more where the platform adds some
            if start >= before:
                return f"child starts with {start} threads, the parent has {before}"
            err = check_calls()
            if err:
                return err
            # The pool may be backing off to one thread (straggling workers on a busy
            # machine, inherited from the parent) for up to 256 calls; then it starts.
            y = np.empty(1 << 18, np.float32)
            for _ in range(300):
                if os_threads() > start:
                    break
                raptors.scale(x[: 1 << 18], 1.5, out=y)
            if os_threads() <= start:
                return "the child's calls did not start a pool"
            # And the child of the child.
            code = wait_child(in_child(check_calls))
            return None if code == 0 else f"grandchild: {code}"

        for _ in range(3):
            code = wait_child(in_child(child))
            assert code == 0, code
        assert check_calls() is None       # the parent's pool still works
        print("parent threads", before)
        print("OK")
    """)
    assert "parent threads" in out


def test_fork_while_another_thread_is_mid_call():
    run("""
        stop = threading.Event()
        errors = []
        calls = [0]

        def busy():
            y = np.empty_like(x)
            while not stop.is_set():
                raptors.scale(x, 1.5, out=y)
                if not np.array_equal(y, want):
                    errors.append("parent thread: wrong result")
                calls[0] += 1

        raptors.set_num_threads(4)
        t = threading.Thread(target=busy)
        t.start()
        while calls[0] < 2:
            time.sleep(0.001)
        codes = []
        for i in range(12):
            time.sleep(0.001 * (i % 4))   # fork at varying points of the other thread's calls
            codes.append(wait_child(in_child(check_calls)))
        stop.set()
        t.join()
        assert codes == [0] * len(codes), codes
        assert not errors, errors
        print("parent calls during the forks", calls[0])
        print("OK")
    """)


def test_fork_while_many_threads_call():
    """Four threads in calls (some holding the pool, some running alone because it
    is busy) while the main thread forks: every child still works."""
    run("""
        stop = threading.Event()
        errors = []

        def busy(k):
            n = (200_000, 1_500_000)[k % 2]
            while not stop.is_set():
                if not np.array_equal(raptors.scale(x[:n], 1.5), want[:n]):
                    errors.append(f"thread {k}: wrong result")

        raptors.set_num_threads(3)
        ts = [threading.Thread(target=busy, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        time.sleep(0.05)
        codes = [wait_child(in_child(lambda: check_calls(2))) for _ in range(8)]
        stop.set()
        for t in ts:
            t.join()
        assert codes == [0] * len(codes), codes
        assert not errors, errors
        print("OK")
    """)


def test_multiprocessing_fork_pool():
    """The common way to fork: a multiprocessing pool, started after the parent's
    thread pool ran, whose workers call raptors."""
    run("""
        import multiprocessing as mp

        def job(k):
            raptors.set_num_threads(2)
            y = raptors.scale(x, 1.5)
            return bool(np.array_equal(y, want))

        assert check_calls() is None
        with mp.get_context("fork").Pool(2) as pool:
            res = pool.map_async(job, range(6))
            assert all(res.get(timeout=60))
        print("OK")
    """)
