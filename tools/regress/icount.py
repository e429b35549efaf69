"""Deterministic cost of the kernels: instructions executed, counted by callgrind.

A small C driver dlopen()s a libraptors, forces one thread and a SIMD variant,
warms the library up (lazy dispatch, cache-size probing), then calls one entry
point on fixed, 64-byte-aligned inputs inside one function, `rp_measured`, and
callgrind counts only that function and what it calls (--toggle-collect). The
count is the same on every run on a machine (no timing in it), so a code change
that adds work shows even when timings are noisy.

Cases (CASES): scale ("f32", "f64", "f32-inplace", "f32-strided": raptors_scale_*),
the element-wise operations ("add-f32", "subtract-f64", "multiply-f32",
"add-row-f32": raptors_binary_*, the last a row broadcast over a 2-D array) and
the reductions ("sum-f32", "mean-f64", "mean-axis0-f32", "mean-axis1-f32":
raptors_reduce_*). A library without the entry point a case calls (an older
commit) raises IcountMissing, which callers report as a skipped case.

Valgrind has no AVX-512: under it the CPU reports no AVX-512 and the library
picks AVX2 (or whatever `variant` names). A library built with -march=native on
an AVX-512 machine may still hold EVEX instructions outside the kernels, which
valgrind cannot run; `count()` then raises IcountError with valgrind's message
and the callers report the metric as unavailable (build with CPU=x86-64-v3 or
PORTABLE=1 to get a library valgrind can run everywhere).

Used by benchmarks/bench_instructions.py (an asv track_ value per commit) and by
the regression gate (tools/regress/gate.py). Command line:
    python tools/regress/icount.py path/to/libraptors.so [case ...]
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

DRIVER_C = r"""
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*scale_f32_fn)(const float *, float *, size_t, float);
typedef int (*scale_f64_fn)(const double *, double *, size_t, double);
typedef int (*strided_f32_fn)(int, const int64_t *, const void *, const int64_t *, void *,
                              const int64_t *, float);
typedef int (*strided_f64_fn)(int, const int64_t *, const void *, const int64_t *, void *,
                              const int64_t *, double);
typedef int (*binary_fn)(int, int, const int64_t *, const void *, const int64_t *, const void *,
                         const int64_t *, void *, const int64_t *);
typedef int (*reduce_fn)(int, int, const int64_t *, const void *, const int64_t *, int, void *,
                         const int64_t *, size_t);
typedef int (*set_int_fn)(int);
typedef int (*set_str_fn)(const char *);

static void *lib;
static const char *kind;
static size_t n;
static void *x, *y, *z;
static int is64;

/* The 2-D cases: ROWS x COLS elements (odd, so peel and tail paths run too). */
#define ROWS 316
#define COLS 317
static int rc;

static void *sym(const char *name)
{
    void *p = dlsym(lib, name);
    if (p == NULL) {
        fprintf(stderr, "icount: library has no %s\n", name);
        exit(3);
    }
    return p;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int call(void)
{
    const int64_t es = is64 ? 8 : 4, n1 = (int64_t)n;
    const int64_t shape2[2] = {ROWS, COLS}, xs2[2] = {COLS * es, es};
    int op = starts(kind, "add-")        ? 0
             : starts(kind, "subtract-") ? 1
             : starts(kind, "multiply-") ? 2
                                         : -1;
    if (op >= 0) {
        binary_fn f = (binary_fn)sym(is64 ? "raptors_binary_f64" : "raptors_binary_f32");
        if (strstr(kind, "-row-") != NULL) { /* out[i, j] = x[i, j] op y[j] */
            const int64_t ys2[2] = {0, es};
            return f(op, 2, shape2, x, xs2, y, ys2, z, xs2);
        }
        return f(op, 1, &n1, x, &es, y, &es, z, &es);
    }
    int rop = starts(kind, "sum-") ? 0 : starts(kind, "mean-") ? 1 : -1;
    if (rop >= 0) {
        reduce_fn f = (reduce_fn)sym(is64 ? "raptors_reduce_f64" : "raptors_reduce_f32");
        if (strstr(kind, "-axis0-") != NULL) {
            const int64_t os2[2] = {0, es};
            return f(rop, 2, shape2, x, xs2, 0, z, os2, 8192);
        }
        if (strstr(kind, "-axis1-") != NULL) {
            const int64_t os2[2] = {es, 0};
            return f(rop, 2, shape2, x, xs2, 1, z, os2, 8192);
        }
        return f(rop, 1, &n1, x, &es, -1, z, NULL, 8192);
    }
    if (strcmp(kind, "f32") == 0)
        return ((scale_f32_fn)sym("raptors_scale_f32"))(x, y, n, 2.5f);
    if (strcmp(kind, "f64") == 0)
        return ((scale_f64_fn)sym("raptors_scale_f64"))(x, y, n, 2.5);
    if (strcmp(kind, "f32-inplace") == 0)
        return ((scale_f32_fn)sym("raptors_scale_f32"))(x, x, n, 1.0f);
    /* every other element of x into every other element of y: a strided 1-d view */
    int64_t shape = (int64_t)(n / 2);
    if (strcmp(kind, "f32-strided") == 0) {
        int64_t st = 2 * (int64_t)sizeof(float);
        return ((strided_f32_fn)sym("raptors_scale_strided_f32"))(1, &shape, x, &st, y, &st, 2.5f);
    }
    if (strcmp(kind, "f64-strided") == 0) {
        int64_t st = 2 * (int64_t)sizeof(double);
        return ((strided_f64_fn)sym("raptors_scale_strided_f64"))(1, &shape, x, &st, y, &st, 2.5);
    }
    fprintf(stderr, "icount: unknown case %s\n", kind);
    exit(2);
}

/* The only function callgrind counts (with its callees). */
__attribute__((noinline)) int rp_measured(void)
{
    return call();
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: icount LIB CASE N VARIANT\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "icount: %s\n", dlerror());
        return 3;
    }
    kind = argv[2];
    n = (size_t)strtoull(argv[3], NULL, 10);
    is64 = strstr(kind, "f64") != NULL;
    ((set_int_fn)sym("raptors_set_num_threads"))(1);
    if (strcmp(argv[4], "auto") != 0 && ((set_str_fn)sym("raptors_set_simd"))(argv[4]) != 0) {
        fprintf(stderr, "icount: SIMD variant %s unavailable here\n", argv[4]);
        return 4;
    }
    size_t bytes = (n * 8 + 63) / 64 * 64 + 64;
    x = aligned_alloc(64, bytes);
    y = aligned_alloc(64, bytes);
    z = aligned_alloc(64, bytes);
    if (x == NULL || y == NULL || z == NULL)
        return 5;
    for (size_t i = 0; i < bytes / 4; i++) {
        ((float *)x)[i] = (float)(i % 1000) * 0.25f - 100.0f;
        ((float *)y)[i] = (float)(i % 997) * 0.5f + 1.0f;
        ((float *)z)[i] = 0.0f;
    }
    if (is64)
        for (size_t i = 0; i < bytes / 8; i++) {
            ((double *)x)[i] = (double)(i % 1000) * 0.25 - 100.0;
            ((double *)y)[i] = (double)(i % 997) * 0.5 + 1.0;
        }
    call();  /* warm-up: dispatch, cache sizes, thread count */
    rc = rp_measured();
    printf("rc=%d\n", rc);
    return rc == 0 ? 0 : 6;
}
"""

#: Cases counted by default: name -> (kind, n). n is odd so peel/tail paths run too; the 2-D
#: cases are 316 x 317 (the driver's ROWS x COLS).
_N2 = 316 * 317
CASES = {
    "f32": ("f32", 100003),
    "f64": ("f64", 100003),
    "f32-inplace": ("f32-inplace", 100003),
    "f32-strided": ("f32-strided", 100003),
    "add-f32": ("add-f32", 100003),
    "subtract-f64": ("subtract-f64", 100003),
    "multiply-f32": ("multiply-f32", 100003),
    "add-row-f32": ("add-row-f32", _N2),
    "sum-f32": ("sum-f32", 100003),
    "mean-f64": ("mean-f64", 100003),
    "mean-axis0-f32": ("mean-axis0-f32", _N2),
    "mean-axis1-f32": ("mean-axis1-f32", _N2),
}
#: The operation each case exercises (what a library lacking it skips).
CASE_OP = {c: ("scale" if c.startswith("f") else c.split("-")[0]) for c in CASES}
DEFAULT_VARIANT = "avx2" if os.uname().machine in ("x86_64", "AMD64") else "auto"


class IcountError(RuntimeError):
    """The count could not be taken (no valgrind, no compiler, valgrind failed)."""


class IcountMissing(IcountError):
    """The library has no entry point for the case (a commit older than the operation)."""


def valgrind() -> str | None:
    """valgrind's path, or None. RAPTORS_VALGRIND=/path overrides (a missing path: absent)."""
    override = os.environ.get("RAPTORS_VALGRIND")
    if override is not None:
        return override if os.path.isfile(override) else None
    return shutil.which("valgrind")


def _cache_dir() -> str:
    d = os.environ.get("RAPTORS_ICOUNT_CACHE") or os.path.join(
        tempfile.gettempdir(), f"raptors-icount-{os.getuid()}"
    )
    os.makedirs(d, exist_ok=True)
    return d


def driver() -> str:
    """Compile the driver once (cached by its source's hash); return its path."""
    tag = hashlib.sha256(DRIVER_C.encode()).hexdigest()[:12]
    exe = os.path.join(_cache_dir(), f"icount-{tag}")
    if os.path.exists(exe):
        return exe
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise IcountError("no C compiler (cc) to build the instruction-count driver")
    src = exe + ".c"
    with open(src, "w") as f:
        f.write(DRIVER_C)
    tmp = f"{exe}.{os.getpid()}.tmp"
    # -O1, no -march: the driver itself must run under valgrind anywhere.
    r = subprocess.run(
        [cc, "-std=c11", "-O1", "-g", "-o", tmp, src, "-ldl"], capture_output=True, text=True
    )
    if r.returncode != 0:
        raise IcountError(f"compiling the icount driver failed:\n{r.stderr}")
    os.replace(tmp, exe)
    return exe


_TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.M)


def count(lib: str, case: str = "f32", variant: str = DEFAULT_VARIANT, n: int | None = None) -> int:
    """Instructions executed by one scale call of `case` on `lib` (one thread)."""
    vg = valgrind()
    if vg is None:
        raise IcountError(
            "valgrind is not installed (apt-get install valgrind): instruction counts skipped"
        )
    kind, default_n = CASES.get(case, (case, 100003))
    n = default_n if n is None else n
    exe = driver()
    with tempfile.TemporaryDirectory(prefix="raptors-cg-") as td:
        out = os.path.join(td, "callgrind.out")
        cmd = [
            vg,
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--toggle-collect=rp_measured",
            "--collect-atstart=no",
            exe,
            os.path.abspath(lib),
            kind,
            str(n),
            variant,
        ]
        env = dict(os.environ)
        env.pop("RAPTORS_SIMD", None)
        env["RAPTORS_NUM_THREADS"] = "1"
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if r.returncode == 3 and "library has no" in r.stderr:
            line = next(ln for ln in r.stderr.splitlines() if "library has no" in ln)
            what = line.split("library has no", 1)[1].strip()
            raise IcountMissing(f"{os.path.basename(lib)} has no {what} (case {case})")
        if r.returncode != 0 or not os.path.exists(out):
            tail = "\n".join(r.stderr.strip().splitlines()[-12:])
            raise IcountError(
                f"valgrind failed on {lib} (case {case}, {variant}), exit {r.returncode}:\n{tail}"
            )
        with open(out) as f:
            m = _TOTALS.search(f.read())
    if not m:
        raise IcountError(f"no totals in callgrind output for {lib}")
    return int(m.group(1))


def count_all(lib: str, cases=None, variant: str = DEFAULT_VARIANT) -> dict:
    return {c: count(lib, c, variant) for c in (cases or CASES)}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__)
        return 2
    lib, cases = argv[0], argv[1:] or list(CASES)
    try:
        for c in cases:
            print(f"{c:14s} {count(lib, c):>12,d} instructions")
    except IcountError as e:
        print(f"icount: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
