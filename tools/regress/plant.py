"""Plant a known slowdown in a COPY of the sources (never in the product tree).

    python tools/regress/plant.py SRC_DIR PERCENT [WHERE]

WHERE (default "kernels"):

- "scale", "binary", "reduce": one family of operations, in C. Every kernel of the family's
  body (libraptors/<family>_body.h: each `RP_TARGET static ... NAME(params) {`, NAME being
  RP_FN(x), RP_RFN(x) or RP_BFN) and every chunk loop of its entry file (libraptors/<family>.c:
  each `static void NAME(void *ctx, size_t c) {`, the callbacks the thread pool runs) is
  renamed and wrapped by a function of the old name that times it with the cycle counter and
  then spins for PERCENT % of that time. Only the outermost wrapper on a thread (a thread-local
  depth, shared by every file of the library) reads the clock and spins; nested ones (a kernel
  inside a planted chunk loop, a recursive pairwise sum) cost two increments. So each call of
  the family takes (1 + PERCENT/100) times as long, whatever the kernel looks like (SIMD or
  scalar, cached or memory-bound, one thread or several), and results stay bit-exact.
- "kernels": all three families.
- "python": the Python layer. raptors/__init__.py gets, at its end, a wrapper around each public
  operation (scale, add, subtract, multiply, sum, mean) that times the call and spins for PERCENT
  % of it: PERCENT=100 is the "does its work twice" slowdown, in the package, of every call
  (results unchanged, in place included).

The patch is found by parsing, not by line numbers, so it keeps applying while the sources
change; it fails loudly when it finds nothing to wrap.
"""

from __future__ import annotations

import os
import re
import sys

FAMILIES = ("scale", "binary", "reduce")
WHERE = (*FAMILIES, "library", "kernels", "python")
PY_OPERATIONS = ("scale", "add", "subtract", "multiply", "sum", "mean")

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
/* One depth per thread for the whole library (weak: every file defines it, the link keeps one). */
__attribute__((weak)) _Thread_local int rp_planted_depth = 0;
static inline uint64_t rp_planted_enter(void)
{
    return rp_planted_depth++ == 0 ? rp_planted_now() : 0;
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

# A kernel in a body header: RP_TARGET static [inline] RET NAME(params) {
_KERNEL = re.compile(
    r"(?P<head>^[ \t]*RP_TARGET[ \t]+static[ \t]+(?:inline[ \t]+)?(?P<ret>[\w \t\*]*?))"
    r"[ \t]*(?P<name>RP_\w+(?:\(\w+\))?)\s*\((?P<params>[^;{)]*(?:\([^)]*\)[^;{)]*)*)\)\s*\{",
    re.M,
)
# A thread-pool callback in an entry file: static void NAME(void *ctx, size_t c) {
_CHUNK = re.compile(
    r"(?P<head>^static[ \t]+(?P<ret>void)[ \t]+)(?P<name>\w+)\s*"
    r"\((?P<params>\s*(?:const[ \t]+)?void[ \t]*\*[ \t]*\w+\s*,\s*size_t[ \t]+\w+\s*)\)\s*\{",
    re.M,
)


# A public entry point in an entry file: int raptors_<family>...(params) {
def _entry_re(family: str) -> re.Pattern:
    return re.compile(
        r"(?P<head>^(?P<ret>int)[ \t]+)(?P<name>raptors_" + family + r"\w*)\s*"
        r"\((?P<params>[^;{)]*)\)\s*\{",
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
    raise ValueError("unbalanced braces")


def _inner_name(name: str) -> str:
    """RP_FN(scale_contig) -> RP_FN(scale_contig_planted_inner); RP_BFN ->
    RP_CAT2(RP_BFN, planted_inner) (kernel_set.h's token paster); run_chunk ->
    run_chunk_planted_inner."""
    m = re.fullmatch(r"(\w+)\((\w+)\)", name)
    if m:
        return f"{m.group(1)}({m.group(2)}_planted_inner)"
    if name.startswith("RP_"):
        return f"RP_CAT2({name}, planted_inner)"
    return f"{name}_planted_inner"


def table_kernels(lib_dir: str) -> set[str] | None:
    """The kernel names of the variant table (kernel_set.h: `RP_BOTH(name)`), or None."""
    try:
        with open(os.path.join(lib_dir, "kernel_set.h")) as f:
            names = set(re.findall(r"RP_BOTH\((\w+)\)", f.read()))
    except OSError:
        return None
    return names or None


def _selected(name: str, only: set[str] | None) -> bool:
    """Wrap RP_FN(x)/RP_RFN(x) only where x is a table entry (a kernel the entry files call:
    the helpers it calls in turn are left alone, so no wrapper sits in an inner loop)."""
    if only is None:
        return True
    m = re.fullmatch(r"\w+\((\w+)\)", name)
    return m is None or m.group(1) in only


def _wrap(
    text: str,
    pattern: re.Pattern,
    what: str,
    only: set[str] | None = None,
    inner_static: bool = False,
) -> tuple[str, list[str]]:
    out, pos, names = [], 0, []
    for m in pattern.finditer(text):
        if m.start() < pos:
            continue
        name = m.group("name")
        if not _selected(name, only):
            continue
        if "planted_inner" in name or "rp_planted_enter" in text[m.end() : m.end() + 200]:
            raise ValueError(f"this {what} is already planted")
        ret = " ".join(m.group("ret").split()) or "void"
        params = m.group("params")
        args = ", ".join(_param_names(params))
        end = _body_end(text, m.end() - 1)
        head = m.group("head")
        inner = _inner_name(name)
        out.append(text[pos : m.start()])
        # The wrapper's prototype first: a recursive kernel's inner calls the wrapper.
        out.append(f"{head.rstrip()} {name}({params});\n")
        s, e = m.start("name") - m.start(), m.end("name") - m.start()
        definition = text[m.start() : end]
        out.append(("static " if inner_static else "") + definition[:s] + inner + definition[e:])
        call = f"{inner}({args})"
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
        out.append(f"\n{head.rstrip()} {name}({params})\n{{\n{body}}}\n")
        names.append(name)
        pos = end
    out.append(text[pos:])
    return "".join(out), names


def _with_helpers(text: str, percent: int) -> str:
    first = re.search(r"^#include.*\n", text, re.M)
    cut = first.end() if first else 0
    return (
        text[:cut]
        + f"#ifndef RP_PLANTED_PERCENT\n#define RP_PLANTED_PERCENT {int(percent)}u\n#endif\n"
        + HELPERS
        + text[cut:]
    )


def patch_text(text: str, percent: int, only: set[str] | None = None) -> tuple[str, list[str]]:
    """The planted version of a kernel body header's text and the kernels it wraps (those named
    in `only`, when given: see _selected)."""
    new, names = _wrap(text, _KERNEL, "body", only)
    if not names:
        raise ValueError("no `RP_TARGET static ... RP_FN(name)(...) {` kernel definitions found")
    return _with_helpers(new, percent), names


def patch_entry_text(text: str, percent: int) -> tuple[str, list[str]]:
    """The planted version of an entry file (<family>.c): its thread-pool chunk callbacks."""
    new, names = _wrap(text, _CHUNK, "entry file")
    return (_with_helpers(new, percent), names) if names else (text, [])


def patch_entries_text(text: str, family: str, percent: int) -> tuple[str, list[str]]:
    """The planted version of an entry file: every public raptors_<family>* definition."""
    new, names = _wrap(text, _entry_re(family), "entry file", inner_static=True)
    if not names:
        raise ValueError(f"no `int raptors_{family}...(...) {{` definitions found")
    return _with_helpers(new, percent), names


def plant_family(src_dir: str, family: str, percent: int, level: str = "entry") -> list[str]:
    """level "entry": the family's public entry points (libraptors/<family>.c), so every call
    takes (1 + percent/100) times as long, exactly. level "kernel": its kernels (the body
    header's table entries) and chunk loops, i.e. inside the loops (a wrapper costs a
    thread-local access per kernel call, which row-by-row paths pay many times per call)."""
    lib = os.path.join(src_dir, "libraptors")
    entry = os.path.join(lib, f"{family}.c")
    names = []
    if level == "entry":
        with open(entry) as f:
            new, found = patch_entries_text(f.read(), family, percent)
        with open(entry, "w") as f:
            f.write(new)
        return [f"{family}.c:{n}" for n in found]
    if level != "kernel":
        raise ValueError(f"unknown level {level!r}: entry or kernel")
    body = os.path.join(lib, f"{family}_body.h")
    with open(body) as f:
        new, found = patch_text(f.read(), percent, table_kernels(lib))
    with open(body, "w") as f:
        f.write(new)
    names += [f"{family}_body.h:{n}" for n in found]
    if os.path.isfile(entry):
        with open(entry) as f:
            new, found = patch_entry_text(f.read(), percent)
        if found:
            with open(entry, "w") as f:
                f.write(new)
        names += [f"{family}.c:{n}" for n in found]
    return names


PY_PATCH = """

# ---- planted slowdown (tools/regress/plant.py; never in the product) ----
def _rp_planted(fn, percent={percent}):
    import functools
    import time

    pc = time.perf_counter

    @functools.wraps(fn)
    def planted(*args, **kwargs):
        t0 = pc()
        r = fn(*args, **kwargs)
        t1 = pc()
        until = t1 + (t1 - t0) * percent / 100
        while pc() < until:
            pass
        return r

    planted._rp_planted = percent
    return planted


for _rp_name in {names!r}:
    if _rp_name in globals():
        globals()[_rp_name] = _rp_planted(globals()[_rp_name])
"""


def plant_python(src_dir: str, percent: int) -> list[str]:
    path = os.path.join(src_dir, "raptors", "__init__.py")
    with open(path) as f:
        text = f.read()
    if "_rp_planted" in text:
        raise ValueError("raptors/__init__.py is already planted")
    present = [n for n in PY_OPERATIONS if re.search(rf"\b{n}\b", text)]
    if not present:
        raise ValueError("raptors/__init__.py names none of " + ", ".join(PY_OPERATIONS))
    with open(path, "w") as f:
        f.write(text + PY_PATCH.format(percent=int(percent), names=tuple(PY_OPERATIONS)))
    return [f"raptors/__init__.py:{n}" for n in present]


def plant(src_dir: str, percent: int, where: str = "library", level: str = "entry") -> list[str]:
    """Plant PERCENT % in src_dir at `where` (see the module's docstring); the wrapped names."""
    if where == "python":
        return plant_python(src_dir, percent)
    if where in ("library", "kernels"):
        families = [
            f for f in FAMILIES if os.path.isfile(os.path.join(src_dir, "libraptors", f"{f}.c"))
        ]
        if not families:
            raise ValueError("no libraptors/<family>.c found")
        return [n for f in families for n in plant_family(src_dir, f, percent, level)]
    if where in FAMILIES:
        return plant_family(src_dir, where, percent, level)
    raise ValueError(f"unknown place {where!r}; choose from {', '.join(WHERE)}")


if __name__ == "__main__":
    argv = [a for a in sys.argv[1:] if not a.startswith("--level=")]
    levels = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--level=")]
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    where = argv[2] if len(argv) == 3 else "library"
    names = plant(argv[0], int(argv[1]), where, levels[-1] if levels else "entry")
    print("planted in:", ", ".join(names))
