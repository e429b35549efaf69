"""Raptors never changes the floating-point environment (no FTZ/DAZ, same
rounding): NumPy still makes and reads subnormals after every operation (scale,
add/subtract/multiply, sum/mean); and every operation computes in the caller's
environment, on the pool's threads too."""

import numpy as np

import raptors


def numpy_still_handles_subnormals():
    for dtype in (np.float32, np.float64):
        tiny = np.finfo(dtype).tiny
        x = np.full(64, tiny, dtype=dtype)
        half = x * dtype(0.5)  # FTZ would give 0
        assert (half > 0).all(), dtype
        sub = np.full(64, np.finfo(dtype).smallest_subnormal, dtype=dtype)
        assert ((sub * dtype(2)) > 0).all(), dtype  # DAZ would read 0
    # Round to nearest, ties to even: 1 + eps/2 rounds down to 1.
    eps = np.finfo(np.float64).eps
    assert np.float64(1.0) + np.float64(eps / 2) == 1.0
    assert np.float64(1.0) + np.float64(eps * 0.75) > 1.0


def use_every_operation(n, dtype):
    """Every operation on n tiny numbers (results subnormal): new arrays, in place,
    strided, scalars, all axes and one; big n runs on the thread pool."""
    x = np.full(n, np.finfo(dtype).tiny, dtype)
    y = x[::-1] * dtype(3)
    raptors.scale(x, 0.5)
    raptors.scale(x[::2], 0.5)
    raptors.scale(x.copy(), 0.5, out=x.copy())
    for op in (raptors.add, raptors.subtract, raptors.multiply):
        op(x, y)
        op(x, 0.5)
        op(x[::2], y[1::2])
        op(x.copy(), y, out=x.copy())
    for reduce in (raptors.sum, raptors.mean):
        reduce(x)
        reduce(x[::2])
        reduce(x.reshape(-1, 10), axis=0)
        reduce(x.reshape(-1, 10)[:, ::3])


def test_environment_unchanged_after_use():
    numpy_still_handles_subnormals()
    for variant in raptors.build_info()["simd_available"]:
        raptors.set_simd(variant)
        for n in (10, 100_000, 1_500_000):  # the biggest on the thread pool
            for dtype in (np.float32, np.float64):
                use_every_operation(n, dtype)
        numpy_still_handles_subnormals()


# ---- The floating-point control state itself, read in a fresh process ---------
# A tiny C helper reads (and, for the second test, sets) the control register:
# MXCSR on x86-64 (rounding, FTZ, DAZ, exception masks; the sticky status flags,
# which any arithmetic sets, are masked off), FPCR on AArch64. The rounding mode
# is also read through libm's fegetround, via ctypes.

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

import pytest  # noqa: E402
from conftest import compile_c_library  # noqa: E402

FP_HELPER = r"""
unsigned fp_control(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v & 0xFFC0u;  /* control bits only: DAZ, masks, rounding, FTZ */
#elif defined(__aarch64__)
    unsigned long v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return (unsigned)v;
#else
    return 0;
#endif
}

void set_fp_control(unsigned c)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    v = (v & 0x3Fu) | (c & 0xFFC0u);
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
#elif defined(__aarch64__)
    unsigned long v = c;
    __asm__ volatile("msr fpcr, %0" : : "r"(v));
#else
    (void)c;
#endif
}
"""

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def fp_helper(tmp_path_factory):
    return str(compile_c_library(tmp_path_factory.mktemp("fphelper"), "fp", FP_HELPER))


CHILD_PRELUDE = textwrap.dedent("""
    import ctypes, ctypes.util, platform, sys, threading
    import numpy as np
    helper = ctypes.CDLL(sys.argv[1])
    helper.fp_control.restype = ctypes.c_uint
    helper.set_fp_control.argtypes = [ctypes.c_uint]
    libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")

    def numpy_panel():
        '''Bits of NumPy results that depend on the FP environment.'''
        out = []
        for dt in (np.float32, np.float64):
            fi = np.finfo(dt)
            x = np.array([fi.tiny, fi.smallest_subnormal, 1.0, 1 / 3, -2.5, fi.max], dt)
            with np.errstate(all="ignore"):
                for r in (x * dt(0.5), x * dt(2), x / dt(3), x + dt(fi.eps / 2),
                          x * dt(1 + fi.eps), np.sqrt(np.abs(x))):
                    out.append(r.tobytes())
        return b"".join(out)

    def state():
        return (helper.fp_control(), libm.fegetround(), tuple(sorted(np.geterr().items())),
                numpy_panel())
""")


def run_child(fp_helper, body, *args):
    code = CHILD_PRELUDE + textwrap.dedent(body)
    r = subprocess.run(
        [sys.executable, "-c", code, fp_helper, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-4000:]
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:]
    return r.stdout


def test_control_register_rounding_and_numpy_unchanged_by_import_and_use(fp_helper):
    run_child(
        fp_helper,
        """
        s0 = state()
        import raptors
        s1 = state()
        assert s1 == s0, ("import changed the FP state", s0[:3], s1[:3])
        sys.path.insert(0, "tests")
        from test_fpenv import use_every_operation
        for variant in raptors.build_info()["simd_available"]:
            raptors.set_simd(variant)
            for threads in (1, 2, 4):
                raptors.set_num_threads(threads)
                for n in (10, 100_000, 1_500_000):
                    for dtype in (np.float32, np.float64):
                        use_every_operation(n, dtype)
                s = state()
                assert s == s0, ("use changed the FP state", variant, threads, s0[:3], s[:3])
        # A thread started now (the pool's workers exist by now) sees the same.
        seen = []
        t = threading.Thread(target=lambda: seen.append(state()))
        t.start(); t.join()
        assert seen[0] == s0, ("a new thread sees another FP state", s0[:3], seen[0][:3])
        print("control", hex(s0[0]), "rounding", s0[1])
        print("OK")
    """,
    )


@pytest.mark.parametrize("family", ["scale", "elementwise", "reductions"])
def test_results_follow_the_callers_rounding_and_ftz_daz(fp_helper, family):
    """NumPy computes in the calling thread's FP environment; so must every thread
    of a raptors call. A caller that set another rounding mode (or FTZ/DAZ, as a
    library built with fast-math options does) gets NumPy's answer on big arrays too,
    whose chunks run on the pool's workers, started before the change."""
    run_child(
        fp_helper,
        """
        import raptors
        machine = platform.machine().lower()
        x86 = machine in ("x86_64", "amd64", "i686", "i386")
        arm64 = machine in ("aarch64", "arm64")
        if not (x86 or arm64):                             # no helper for this machine
            print("OK"); sys.exit(0)
        # <fenv.h> values: x86 MXCSR-style / AArch64 FPCR.RMode.
        FE = ({"upward": 0x800, "downward": 0x400, "towardzero": 0xC00, "nearest": 0} if x86
              else {"upward": 0x400000, "downward": 0x800000, "towardzero": 0xC00000,
                    "nearest": 0})
        rng = np.random.default_rng(0)
        # 2.4 MB each: split over the 4 threads. Subnormal products and sums.
        x32 = (rng.standard_normal(600_000) * 1e-36).astype(np.float32)
        x64 = rng.standard_normal(300_000) * 1e-306
        # Operands that make the adds round and give subnormal differences.
        y = {x.dtype: (x[::-1] * 1.37).astype(x.dtype) for x in (x32, x64)}
        m = lambda x: x.reshape(1000, -1)
        every_op = {  # each: its family, raptors' call and NumPy's, on one input
            "scale": ("scale", lambda x: raptors.scale(x, 1.1), lambda x: x * x.dtype.type(1.1)),
            "add": ("elementwise", lambda x: raptors.add(x, y[x.dtype]), lambda x: x + y[x.dtype]),
            "subtract": ("elementwise", lambda x: raptors.subtract(x, y[x.dtype]),
                         lambda x: x - y[x.dtype]),
            "multiply by 1.1": ("elementwise", lambda x: raptors.multiply(x, 1.1),
                                lambda x: x * 1.1),
            "sum": ("reductions", raptors.sum, np.sum),
            "mean": ("reductions", raptors.mean, np.mean),
            "sum of a view (segments)": ("reductions", lambda x: raptors.sum(m(x)[:, 1:]),
                                         lambda x: np.sum(m(x)[:, 1:])),
            "sum along axis 0": ("reductions", lambda x: raptors.sum(m(x), axis=0),
                                 lambda x: np.sum(m(x), axis=0)),
            "mean along axis 1": ("reductions", lambda x: raptors.mean(m(x), axis=1),
                                  lambda x: np.mean(m(x), axis=1)),
        }
        ops = {k: v[1:] for k, v in every_op.items() if v[0] == sys.argv[2]}
        raptors.set_num_threads(4)
        for x in (x32, x64):
            for op, _ in ops.values():
                op(x)                                      # the workers start now
        default = helper.fp_control()
        def set_rounding(name, v):
            assert libm.fesetround(v) == 0 and libm.fegetround() == v, name
        modes = [("rounding " + name, lambda n=name, v=v: set_rounding(n, v))
                 for name, v in FE.items()]
        if x86:
            modes.append(("FTZ+DAZ", lambda: helper.set_fp_control(default | 0x8040)))
        else:
            modes.append(("FZ", lambda: helper.set_fp_control(default | (1 << 24))))
        bad = []
        checked = set()
        for name, setter in modes:
            for variant in raptors.build_info()["simd_available"]:
                raptors.set_simd(variant)
                setter()
                for x in (x32, x64):
                    for opname, (op, numpy_op) in ops.items():
                        want = np.asarray(numpy_op(x))
                        # A mode that changes nothing would test nothing: count those that do.
                        set_rounding("nearest", 0) if name.startswith("rounding") else None
                        helper.set_fp_control(default)
                        if np.asarray(numpy_op(x)).tobytes() != want.tobytes():
                            checked.add((name, opname))
                        setter()
                        for _ in range(4):
                            got = np.asarray(op(x))
                            if got.tobytes() != want.tobytes():
                                bad.append((name, variant, str(x.dtype), opname))
                                break
                helper.set_fp_control(default)
                libm.fesetround(0)
        unchecked = set(ops) - {op for _, op in checked}
        assert not unchecked, ("no mode changes NumPy's answer", unchecked)
        assert not bad, bad
        print("OK")
    """,
        family,
    )
