"""Huge sizes. Arrays of more than 2**32 elements are handled (cheaply: the
input is a read-only broadcast view, the output a view whose rows overlap in a
few MB, arranged so that every write to a location stores the same value, so
the answer is exact whatever the order); sizes whose byte count would overflow
are refused by the C entry points before any memory is touched."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import raptors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_more_than_2_32_elements(dtype):
    R, C, S = 4097, 2**20, 64  # R*C = 2**32 + 2**20 elements
    es = np.dtype(dtype).itemsize
    pattern = (np.arange(S) - 20.5).astype(dtype)
    row = np.tile(pattern, C // S)  # period S, so overlapping writes agree
    x = as_strided(row, shape=(R, C), strides=(0, es), writeable=False)
    nloc = (R - 1) * S + C  # distinct output locations (~5 M)
    buf = np.full(nloc + 64, np.nan, dtype)
    out = as_strided(buf, shape=(R, C), strides=(S * es, es), writeable=True)
    assert x.size > 2**32 and out.size > 2**32
    raptors.set_num_threads(2)
    assert raptors.scale(x, 3.0, out=out) is out
    want = np.tile(pattern * dtype(3.0), nloc // S + 1)[:nloc]
    got = buf[:nloc]
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{bad.size} locations wrong, first at {bad[:5]} (of {nloc})"
    assert np.isnan(buf[nloc:]).all()  # nothing written past the last element


@pytest.mark.parametrize("count", [2**40, 2**62])
def test_huge_broadcast_input_without_out_is_a_clean_error(count):
    """A result that cannot be allocated (4 TiB, or a byte count numpy cannot
    represent) is NumPy's MemoryError/ValueError, never a crash; in a subprocess."""
    code = textwrap.dedent(f"""
        import numpy as np, raptors
        from numpy.lib.stride_tricks import as_strided
        try:
            x = as_strided(np.ones(1, np.float32), shape=({count},), strides=(0,),
                           writeable=False)
        except ValueError as e:
            print("numpy refuses the view:", e); print("OK"); raise SystemExit
        try:
            raptors.scale(x, 2.0)
        except (MemoryError, ValueError) as e:
            print(type(e).__name__, e); print("OK")
        else:
            print("allocated?!")
    """)
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("OK"), r.stdout + r.stderr[-3000:]


REFUSE_CHILD = textwrap.dedent("""
    import ctypes, sys
    import numpy as np
    from raptors import _ffi

    EINVAL = -1
    lib = _ffi._lib
    failures = []
    # A tiny buffer in the middle of a guarded one: whatever is refused must not
    # have touched a byte of it (ASan would also catch any access past it).
    guard = np.full(64, 7.0, np.float64)
    x = guard[24:32]
    y = guard[32:40]
    X, Y = x.ctypes.data, y.ctypes.data

    def expect(what, rc, allowed=(EINVAL,)):
        if rc not in allowed:
            failures.append(f"{what}: returned {rc}, expected {allowed}")
        if not (guard == 7.0).all():
            failures.append(f"{what}: touched memory")
            guard[...] = 7.0

    for dtype, es in (("float32", 4), ("float64", 8)):
        contig = _ffi.scale_contig[dtype]
        # Contiguous: 2*n*es bytes moved must not overflow size_t.
        for n in (2**64 // (2 * es), 2**62, 2**63, 2**64 - 1):
            expect(f"{dtype} contiguous n={n}", contig(X, Y, n, 2.0))
        expect(f"{dtype} contiguous NULL x", contig(None, Y, 4, 2.0))
        expect(f"{dtype} contiguous NULL y", contig(X, None, 4, 2.0))
        # Strided: the element count or byte count overflows.
        for shape in ([2**64 // (2 * es)], [2**62], [2**63 - 1], [2**31, 2**31, 4],
                      [2**32, 2**32], [2**32, 2**32, 2**32], [3, 2**62], [2**62, 3],
                      [2] * 64, [2**21] * 3):
            nd = len(shape)
            zeros = [0] * nd                 # zero strides: a wrong walk stays in bounds
            expect(f"{dtype} strided shape={shape}",
                   _ffi.scale_strided(dtype, shape, X, zeros, Y, zeros, 2.0))
        # Negative dimensions, and dimension counts out of range.
        for shape in ([-1], [5, -3], [-(2**63)], [4, 4, -1]):
            nd = len(shape)
            expect(f"{dtype} strided negative {shape}",
                   _ffi.scale_strided(dtype, shape, X, [0] * nd, Y, [0] * nd, 2.0))
        raw = _ffi._scale_strided[dtype]
        arr65 = (ctypes.c_int64 * 65)(*([1] * 65))
        expect(f"{dtype} ndim=65", raw(65, arr65, X, arr65, Y, arr65, 2.0))
        expect(f"{dtype} ndim=-1", raw(-1, arr65, X, arr65, Y, arr65, 2.0))
        expect(f"{dtype} NULL shape", raw(2, None, X, arr65, Y, arr65, 2.0))
        one = (ctypes.c_int64 * 1)(4)
        st = (ctypes.c_int64 * 1)(es)
        expect(f"{dtype} strided NULL x", raw(1, one, None, st, Y, st, 2.0))
        # An empty shape with an absurd other dimension: nothing to do, either answer.
        for shape in ([0, 2**62], [2**62, 0]):
            expect(f"{dtype} strided empty {shape}",
                   _ffi.scale_strided(dtype, shape, X, [0, 0], Y, [0, 0], 2.0),
                   allowed=(0, EINVAL))
    # Sanity: the same buffers with a real size work.
    rc = _ffi.scale_strided("float64", [8], X, [8], Y, [8], 2.0)
    guards_intact = (guard[:32] == 7).all() and (guard[40:] == 7).all()
    if rc != 0 or not (y == 14.0).all() or not guards_intact:
        failures.append(f"the valid call: rc {rc}, y {y}")
    assert not failures, "\\n".join(failures)
    print("OK")
""")


def test_overflowing_sizes_are_refused_before_touching_memory():
    r = subprocess.run(
        [sys.executable, "-c", REFUSE_CHILD], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("OK"), (
        f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-4000:]}"
    )
