"""Many Python threads calling raptors.scale at once (ctypes releases the GIL,
so the calls really overlap in libraptors), with different sizes, dtypes,
layouts, while other threads change set_num_threads and set_simd. Every
result must be NumPy's, nothing may deadlock (every run has a deadline and
faulthandler dumps the stacks if it is missed) or crash (each run is a
subprocess)."""

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import under_asan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRELUDE = textwrap.dedent("""
    import faulthandler, os, sys, threading, time
    import numpy as np
    import raptors
    faulthandler.dump_traceback_later({deadline}, exit=True)  # a deadlock: stacks, exit 1
    SIMDS = ["auto"] + raptors.build_info()["simd_available"]
    errors = []

    def worker_cpu():  # CPU seconds of the one raptors-worker thread (Linux: /proc/self/task)
        ticks, workers = 0, 0
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{{tid}}/comm") as f:
                if f.read().strip() != "raptors-worker":
                    continue
            with open(f"/proc/self/task/{{tid}}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            workers += 1
        assert workers == 1, f"{{workers}} raptors-worker threads"
        return ticks / os.sysconf("SC_CLK_TCK")

    def same_bits(got, want):
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape or got.dtype != want.dtype:
            return False
        u = np.uint32 if got.dtype == np.float32 else np.uint64
        return np.array_equal(np.ascontiguousarray(got).view(u), np.ascontiguousarray(want).view(u))

    def one_call(rng):
        dtype = (np.float32, np.float64)[int(rng.integers(2))]
        n = int(rng.choice([0, 1, 7, 1000, 70_000, 300_000, 1_100_000]))
        x = (rng.standard_normal(n) * 100).astype(dtype)
        a = float(rng.standard_normal())
        layout = int(rng.integers(6))
        if layout == 0:                       # new array
            want = x * dtype(a); got = raptors.scale(x, a)
        elif layout == 1:                     # negative stride
            xv = x[::-3]; want = xv * dtype(a); got = raptors.scale(xv, a)
        elif layout == 2:                     # in place
            want = x * dtype(a); raptors.scale(x, a, out=x); got = x
        elif layout == 3:                     # 2-d, transposed
            m = x[: n - n % 10].reshape(-1, 10).T; want = m * dtype(a); got = raptors.scale(m, a)
        elif layout == 4:                     # strided out
            out = np.empty(2 * n, dtype)[::2]; want = x * dtype(a)
            got = raptors.scale(x, a, out=out)
            assert got is out
        else:                                 # unaligned input
            buf = np.zeros(n * x.itemsize + 1, np.uint8)
            xu = np.ndarray(n, dtype, buffer=buf, offset=1); xu[...] = x
            want = xu * dtype(a); got = raptors.scale(xu, a)
        if not same_bits(got, want):
            errors.append(f"layout {{layout}} dtype {{dtype.__name__}} n {{n}}: wrong result")
""")


def run(body, deadline=100):
    code = PRELUDE.format(deadline=deadline) + textwrap.dedent(body)
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=deadline + 60,
    )
    assert r.returncode == 0, (
        f"exit {r.returncode} (deadlock dumps stacks, a crash is a "
        f"signal)\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    )
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def test_concurrent_calls_with_changing_threads_and_simd():
    out = run("""
        NWORKERS, ITERS = 8, 40
        start = threading.Barrier(NWORKERS + 2)
        stop = threading.Event()

        def worker(k):
            rng = np.random.default_rng(k)
            start.wait()
            try:
                for _ in range(ITERS):
                    one_call(rng)
            except BaseException as exc:
                errors.append(f"worker {k}: {exc!r}")

        changes = [0]
        def chaos(seed):
            rng = np.random.default_rng(seed)
            start.wait()
            while not stop.is_set():
                raptors.set_num_threads(int(rng.integers(1, 9)))
                raptors.set_simd(SIMDS[int(rng.integers(len(SIMDS)))])
                assert 1 <= raptors.get_num_threads() <= 8
                assert raptors.get_simd() in SIMDS
                changes[0] += 1
                time.sleep(0.0002)

        workers = [threading.Thread(target=worker, args=(k,)) for k in range(NWORKERS)]
        changers = [threading.Thread(target=chaos, args=(100 + k,)) for k in range(2)]
        for t in workers + changers:
            t.start()
        for t in workers:
            t.join()
        stop.set()
        for t in changers:
            t.join()
        assert not errors, errors[:10]
        assert changes[0] > 10, changes  # the settings really changed during the calls
        print("changes", changes[0])
        print("OK")
    """)
    assert "changes" in out


def test_many_threads_one_big_array_each_thread_count():
    """Every thread count from 1 to 16 while 6 Python threads hammer the pool with
    arrays big enough to use it; the pool never shrinks, so it grows under load."""
    run("""
        def worker(k):
            rng = np.random.default_rng(k)
            x = rng.standard_normal(600_000)
            want = x * 1.25
            try:
                for it in range(25):
                    raptors.set_num_threads(1 + (k * 7 + it) % 16)
                    if not same_bits(raptors.scale(x, 1.25), want):
                        errors.append(f"thread {k} iteration {it}")
            except BaseException as exc:
                errors.append(repr(exc))

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
        for t in ts: t.start()
        for t in ts: t.join()
        assert not errors, errors[:10]
        print("OK")
    """)


def test_many_small_calls_do_not_starve():
    """Thousands of tiny calls from many threads at once (the path that never
    wakes the pool) interleaved with big ones (the path that does)."""
    run("""
        def worker(k):
            rng = np.random.default_rng(k)
            small = rng.standard_normal(33).astype(np.float32)
            big = rng.standard_normal(400_000).astype(np.float32)
            try:
                for it in range(1500):
                    x = big if it % 100 == 0 else small
                    if not same_bits(raptors.scale(x, -3.0), x * np.float32(-3.0)):
                        errors.append(f"thread {k} iteration {it}")
            except BaseException as exc:
                errors.append(repr(exc))

        raptors.set_num_threads(4)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in ts: t.start()
        for t in ts: t.join()
        assert not errors, errors[:10]
        print("OK")
    """)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.skipif(under_asan(), reason="ASan's own mappings die under an address-space limit")
@pytest.mark.skipif(
    bool(os.environ.get("QEMU_LD_PREFIX")),  # `make test-arm64`
    reason="qemu-user ignores the guest's RLIMIT_AS (it would limit qemu itself)",
)
def test_thread_and_memory_exhaustion():
    """When the address space runs out (RLIMIT_AS just above what the process
    uses), pthread_create fails after a few workers: the call runs with the
    threads it got and is still right; a new result that cannot be allocated
    is a MemoryError, not a crash."""
    run("""
        import resource
        def status(key):
            with open("/proc/self/status") as f:
                return int(next(l for l in f if l.startswith(key + ":")).split()[1])
        x = np.arange(4_000_000, dtype=np.float32)
        out = np.empty_like(x)
        want = x * np.float32(1.5)
        raptors.set_num_threads(1)
        raptors.scale(x, 1.5, out=out)          # everything loaded, no workers yet
        out[...] = 0
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (status("VmSize") * 1024 + (2 << 20), hard))
        try:
            raptors.set_num_threads(64)
            raptors.scale(x, 1.5, out=out)      # wants 63 workers; gets a few
            try:
                raptors.scale(x, 2.0)           # 16 MB more: cannot be had
                allocated = True
            except MemoryError as exc:
                allocated = False
                message = str(exc)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        threads = status("Threads")             # workers never exit: the count stands
        assert threads < 64, threads
        assert same_bits(out, want)
        assert not allocated
        assert same_bits(raptors.scale(x, 1.5), want)   # fine again with memory back
        print("threads", threads, "|", message)
        print("OK")
    """)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/task")
@pytest.mark.skipif(
    bool(os.environ.get("QEMU_LD_PREFIX")), reason="qemu-user's threads show as its own"
)
def test_idle_workers_sleep_between_sparse_calls():
    """A program calling sum on 16 MiB every 5 ms (2 threads): by default the worker
    stays awake only briefly after each call, so it uses well under half a core over
    the loop (spinning the old 10 ms after each call it used a whole one); and with
    RAPTORS_WAIT_POLICY's passive setting (0 us) no more. The bound is CPU time, which
    a busy machine can only lower."""
    out = run("""
        raptors.set_num_threads(2)
        x = np.ones(4 << 20, np.float32)
        for _ in range(5):
            raptors.sum(x)
        worker_cpu()  # the worker exists
        for spin_us in (raptors.get_spin_us(), 0):
            raptors.set_spin_us(spin_us)
            time.sleep(0.05)
            c0, w0 = worker_cpu(), time.monotonic()
            for _ in range(150):
                raptors.sum(x)
                time.sleep(0.005)
            cpu, wall = worker_cpu() - c0, time.monotonic() - w0
            print(f"spin {spin_us} us: worker CPU {cpu:.2f} s in {wall:.2f} s")
            assert cpu < 0.5 * wall, (spin_us, cpu, wall)
        print("OK")
    """)
    assert "worker CPU" in out
    print(out)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/task")
@pytest.mark.skipif(
    bool(os.environ.get("QEMU_LD_PREFIX")), reason="qemu-user's threads show as its own"
)
def test_idle_workers_adapt_their_spin_to_the_rhythm_of_the_calls():
    """The spin time adapts (threads.c, adapt_spin). Calls of sum on 16 MiB (2 threads)
    spaced by 1.5, then 3, then 6 ms: each rhythm falls inside twice the spin time the one
    before it left (1 ms set, then 2, 4, 8), so the workers double it and, after the first
    calls of each rhythm, are awake when a call comes (raptors.thread_stats' woke_workers);
    a fixed 1 ms spin wakes them for every call from 3 ms on. Then calls 60 ms apart bring it
    back down: calls 5 ms apart afterwards cost the worker well under half a core, as with
    the spin time set (a spin stuck at 8 ms would spend it all). Counts, not timings: a busy
    machine delays calls and workers alike; an awake worker stays awake."""
    out = run("""
        raptors.set_num_threads(2)
        assert raptors.get_spin_us() == 1000
        x = np.ones(4 << 20, np.float32)
        for _ in range(5):
            raptors.sum(x)

        def calls(gap, n):
            before = raptors.thread_stats()
            for _ in range(n):
                raptors.sum(x)
                time.sleep(gap)
            after = raptors.thread_stats()
            return {k: after[k] - before[k] for k in after}

        for gap in (0.0015, 0.003, 0.006):
            calls(gap, 10)  # the workers find the rhythm
            d = calls(gap, 40)
            print(f"gap {gap * 1e3} ms:", d)
            assert d["parallel_calls"] >= 30, d
            assert d["woke_workers"] <= 12, (gap, d)
        calls(0.06, 4)
        c0, w0 = worker_cpu(), time.monotonic()
        d = calls(0.005, 150)
        cpu, wall = worker_cpu() - c0, time.monotonic() - w0
        print(f"gap 5 ms after 60 ms: worker CPU {cpu:.2f} s in {wall:.2f} s,", d)
        assert cpu < 0.5 * wall, (cpu, wall)
        print("OK")
    """)
    assert "worker CPU" in out
    print(out)


@pytest.mark.skipif(
    bool(os.environ.get("QEMU_LD_PREFIX")), reason="emulated threads do not keep the host's pace"
)
def test_a_call_no_slower_than_the_caller_alone_keeps_its_threads():
    """The straggler back-off (threads.c) sends the next calls to one thread only when a
    parallel call took longer than the caller alone would have (the pace of its own chunks
    times all the chunks). The benchmarks' pattern -- axis-0 means of 1024^2 float32 on 2
    threads, a few in a row, then NumPy's mean and a copy -- ran 0-8 of 1800 calls alone by
    the back-off here (raptors.thread_stats). The earlier rule (the caller waited on a worker
    for over a quarter of the call, though the call was still faster than alone) ran 46-100
    of them alone in some batches and 500+ in others, its one-thread stretches letting the
    workers fall asleep so that the next parallel call woke them late again; a back-off after
    every call runs nearly all of them alone. A neighbour that preempts a worker mid-chunk is a
    real back-off (96 calls alone in one batch here, once in a dozen runs): the fewest of three
    batches counts."""
    out = run("""
        raptors.set_num_threads(2)
        x = np.ones((1024, 1024), np.float32)
        y = np.empty_like(x)
        for _ in range(3):
            raptors.mean(x, axis=0)
        alone = []
        for batch in range(3):  # a neighbour's burst spoils a batch, rarely all three
            before = raptors.thread_stats()
            for _ in range(600):
                for _ in range(3):
                    raptors.mean(x, axis=0)
                for _ in range(2):
                    np.mean(x, axis=0)
                    np.copyto(y, x)
            after = raptors.thread_stats()
            d = {k: after[k] - before[k] for k in after}
            print("1800 calls:", d)
            assert d["parallel_calls"] + d["alone_by_backoff"] == 1800, d
            alone.append(d["alone_by_backoff"])
        assert min(alone) <= 30, alone
        print("OK")
    """)
    assert "1800 calls" in out
    print(out)
