"""Plant a known slowdown in a COPY of the sources (never in the product tree).

    python tools/regress/plant.py SRC_DIR PERCENT

Rewrites SRC_DIR/libraptors/scale_body.h: every kernel defined there as
`... RP_FN(name)(params) { body }` is renamed `RP_FN(name_planted_inner)` and a
wrapper of the old name is added after it, which times the real kernel with the
cycle counter and then spins for PERCENT % of that time. So each kernel call takes
(1 + PERCENT/100) times as long as it did, whatever the kernel looks like (SIMD
or scalar, cached or memory-bound, one thread or several), and its results stay
bit-exact. A thread-local depth counter makes only the outermost wrapper spin when
one kernel calls another. The patch is found by parsing, not by line numbers, so
it keeps working while scale_body.h changes; it fails loudly if it finds nothing.
"""

from __future__ import annotations

import os
import re
import sys

HELPERS = r"""
/* ---- planted slowdown (tools/regress/plant.py; never in the product) ---- */
#ifndef RP_PLANTED_HELPERS
#define RP_PLANTED_HELPERS
#include <stdint.h>
#include <time.h>
static inline uint64_t rp_planted_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}
static _Thread_local int rp_planted_depth;
static inline uint64_t rp_planted_enter(void)
{
    rp_planted_depth++;
    return rp_planted_now();
}
static inline void rp_planted_leave(uint64_t t0)
{
    if (--rp_planted_depth == 0) {
        uint64_t t1 = rp_planted_now();
        uint64_t until = t1 + (t1 - t0) * RP_PLANTED_PERCENT / 100u;
        while (rp_planted_now() < until)
            __asm__ __volatile__("" ::: "memory");
    }
}
#endif
"""

_DEF = re.compile(
    r"(?P<head>^[ \t]*(?:RP_TARGET[ \t]+)?static[ \t]+(?:inline[ \t]+)?(?P<ret>[\w \t\*]*?))"
    r"[ \t]*RP_FN\((?P<name>\w+)\)\s*\((?P<params>[^;{)]*(?:\([^)]*\)[^;{)]*)*)\)\s*\{",
    re.M,
)


def _param_names(params: str) -> list[str]:
    names = []
    depth, cur, parts = 0, "", []
    for ch in params:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p or p == "void":
            continue
        m = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", p)
        if not m:
            raise ValueError(f"cannot find the parameter name in {p!r}")
        names.append(m.group(1))
    return names


def _body_end(text: str, open_brace: int) -> int:
    """Index just past the brace closing the one at open_brace (skips comments)."""
    depth, i = 0, open_brace
    while i < len(text):
        if text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        if text.startswith("//", i):
            i = text.index("\n", i)
            continue
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces in scale_body.h")


def patch_text(text: str, percent: int) -> tuple[str, list[str]]:
    """The planted version of scale_body.h's text and the kernels it wraps."""
    out, pos, names = [], 0, []
    for m in _DEF.finditer(text):
        if m.start() < pos:
            continue
        name = m.group("name")
        if name.endswith("_planted_inner"):
            raise ValueError("this scale_body.h is already planted")
        ret = " ".join(m.group("ret").split()) or "void"
        params = m.group("params")
        args = ", ".join(_param_names(params))
        end = _body_end(text, m.end() - 1)
        head = m.group("head")
        out.append(text[pos : m.start()])
        out.append(
            text[m.start() : end].replace(f"RP_FN({name})", f"RP_FN({name}_planted_inner)", 1)
        )
        call = f"RP_FN({name}_planted_inner)({args})"
        if ret == "void":
            body = (
                f"    uint64_t rp_t0 = rp_planted_enter();\n    {call};\n"
                f"    rp_planted_leave(rp_t0);\n"
            )
        else:
            body = (
                f"    uint64_t rp_t0 = rp_planted_enter();\n    {ret} rp_r = {call};\n"
                f"    rp_planted_leave(rp_t0);\n    return rp_r;\n"
            )
        out.append(f"\n{head.rstrip()} RP_FN({name})({params})\n{{\n{body}}}\n")
        names.append(name)
        pos = end
    out.append(text[pos:])
    if not names:
        raise ValueError(
            "no `static ... RP_FN(name)(...) {` kernel definitions found in scale_body.h"
        )
    first = re.search(r"^#include.*\n", text, re.M)
    cut = first.end() if first else 0
    new = "".join(out)
    new = (
        new[:cut]
        + f"#ifndef RP_PLANTED_PERCENT\n#define RP_PLANTED_PERCENT {int(percent)}u\n#endif\n"
        + HELPERS
        + new[cut:]
    )
    return new, names


def plant(src_dir: str, percent: int) -> list[str]:
    path = os.path.join(src_dir, "libraptors", "scale_body.h")
    with open(path) as f:
        text = f.read()
    new, names = patch_text(text, percent)
    with open(path, "w") as f:
        f.write(new)
    return names


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print("planted in:", ", ".join(plant(sys.argv[1], int(sys.argv[2]))))
