"""When libraptors cannot allocate its scratch memory, a call raises MemoryError -- it
never returns a value that is not NumPy's. A small LD_PRELOAD library refuses every
malloc/calloc/aligned_alloc whose caller is inside libraptors, once armed; a child
process then runs sum and mean where the library needs scratch memory: the pairwise
tree split across threads (contiguous input), the buffered segments (views that do not
coalesce), and the axis reductions."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import compile_c_library, run_python, under_asan

ROOT = Path(__file__).resolve().parents[1]

REFUSER = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

/* glibc's own allocator, under the names it exports for interposers like this one. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_memalign(size_t, size_t);

static int armed;
static unsigned long refused;

void refuse_libraptors_allocations(int on) { __atomic_store_n(&armed, on, __ATOMIC_SEQ_CST); }
unsigned long refused_allocations(void) { return __atomic_load_n(&refused, __ATOMIC_SEQ_CST); }

static int refuse(const void *caller)
{
    Dl_info info;
    if (!__atomic_load_n(&armed, __ATOMIC_SEQ_CST) || !dladdr(caller, &info) ||
        info.dli_fname == NULL || strstr(info.dli_fname, "libraptors") == NULL)
        return 0;
    __atomic_add_fetch(&refused, 1, __ATOMIC_SEQ_CST);
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n)
{
    return refuse(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    return refuse(__builtin_return_address(0)) ? NULL : __libc_calloc(k, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    return refuse(__builtin_return_address(0)) ? NULL : __libc_memalign(align, n);
}
"""

CHILD = textwrap.dedent(
    """
    import ctypes, json, sys
    import numpy as np
    import raptors

    refuser = ctypes.CDLL(sys.argv[1])  # the preloaded copy: the same library
    refuser.refused_allocations.restype = ctypes.c_ulong
    raptors.set_num_threads(2)
    rng = np.random.default_rng(1)
    cases = []
    for dt in (np.float32, np.float64):
        run = (rng.standard_normal(2**21 + 7) * 100).astype(dt)  # the tree, on 2 threads
        grid = (rng.standard_normal((2048, 2048)) * 100).astype(dt)
        for name, x in {"run": run, "run[::-1]": run[::-1], "grid": grid,
                        "grid[:, ::2]": grid[:, ::2], "grid[:, :-1]": grid[:, :-1],
                        "grid.T[::3]": grid.T[::3]}.items():
            for fname in ("sum", "mean"):
                for axis in (None, 0, -1):
                    cases.append((f"{fname}({dt.__name__} {name}, axis={axis})", fname, x, axis))
    wants = [getattr(np, f)(x, axis=a) for _, f, x, a in cases]
    raised, wrong = [], []
    refuser.refuse_libraptors_allocations(1)
    for (name, fname, x, axis), want in zip(cases, wants):
        # A freed result of the same size holds a poison, so that a result the library
        # never wrote shows as the poison, not as a leftover right answer.
        poison = np.full(np.shape(want), 12345.0, want.dtype)
        del poison
        try:
            got = getattr(raptors, fname)(x, axis=axis)
        except MemoryError:
            raised.append(name)
            continue
        if np.asarray(got).tobytes() != np.asarray(want).tobytes():
            wrong.append(f"{name}: {got!r}, NumPy's {want!r}")
    refuser.refuse_libraptors_allocations(0)
    json.dump({"cases": len(cases), "refused": refuser.refused_allocations(),
               "raised": raised, "wrong": wrong}, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def refuser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib: Path = compile_c_library(tmp_path_factory.mktemp("refuser"), "refuser", REFUSER, "-ldl")
    return lib


@pytest.mark.skipif(under_asan(), reason="AddressSanitizer owns malloc")
def test_refused_scratch_memory_raises_memory_error_never_a_wrong_value(refuser: Path) -> None:
    env = dict(os.environ)
    env.pop("RAPTORS_NUM_THREADS", None)
    if os.environ.get("QEMU_LD_PREFIX"):
        # `make test-arm64`: the preload is for the emulated loader, not the host's shell.
        env["QEMU_SET_ENV"] = f"LD_PRELOAD={refuser}"
    else:
        env["LD_PRELOAD"] = str(refuser)
    r = run_python(["-c", CHILD, str(refuser)], env=env)
    got: dict[str, Any] = json.loads(r.stdout)
    assert not got["wrong"], f"{len(got['wrong'])} of {got['cases']}:\n" + "\n".join(got["wrong"])
    # Not vacuous: the library asked for memory, was refused, and said so.
    assert got["refused"] > 0, got
    assert got["raised"], got
