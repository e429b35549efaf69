"""Plant a known slowdown in a COPY of the sources (never in the product tree).

    python tools/regress/plant.py SRC_DIR PERCENT [WHERE] [--level=entry|kernel]

Every operation enters the library through raptors_call (libraptors/call.c: it decodes the
block; the typed C API of typed.c builds one and calls it too), which hands it to its family:
rp_elementwise (elementwise.c: add, subtract, multiply and scale; its first parameter `family`
is the tuning class, RAPTORS_FAMILY_SCALE or RAPTORS_FAMILY_BINARY) or rp_reduce (reduce.c: sum,
mean). A planted function is renamed (<name>_planted_inner, made static) and wrapped by one of
the old name that times it with the cycle counter and then spins for PERCENT % of that time.
Only the outermost wrapper on a thread (a thread-local depth, shared by every file of the
library) reads the clock and spins; nested ones cost two increments. So each planted call takes
(1 + PERCENT/100) times as long, whatever the kernel looks like (SIMD or scalar, cached or
memory-bound, one thread or several), and results stay bit-exact.

WHERE (default "library"), at the entry level (the default; what regress-power plants):

- "library": raptors_call, so every operation.
- "binary": rp_elementwise, spinning only when its `family` argument is RAPTORS_FAMILY_BINARY
  (add, subtract, multiply); "scale": the same for RAPTORS_FAMILY_SCALE (scale).
- "reduce": rp_reduce (sum, mean).
- "kernels": rp_elementwise (every call) and rp_reduce: the two families.
- "python": the Python layer. raptors/__init__.py gets, at its end, a wrapper around each public
  operation (scale, add, subtract, multiply, sum, mean) that times the call and spins for PERCENT
  % of it: PERCENT=100 is the "does its work twice" slowdown, in the package, of every call
  (results unchanged, in place included).

--level=kernel plants inside the loops instead: every entry of the kernel table (kernel_set.h
instantiates the kernel macros of elementwise_body.h and reduce_body.h and fills the table; each
entry gets a wrapper, defined by the same X-macro lists after the instantiation, and the table
points at the wrappers) and every chunk loop the thread pool runs (`static void NAME(void *ctx,
size_t c) {` in elementwise.c, reduce.c). "reduce" plants the reduction kernels (the table's
pairwise and accumulate) and reduce.c's chunk loops; "library" and "kernels" every table entry
and every chunk loop. "scale" and "binary" are refused at this level: both classes run the same
element-wise kernels. A wrapper there costs a thread-local access per kernel call, which
row-by-row paths pay many times per call, so the slowdown it plants is not exactly PERCENT.

The patch is found by parsing, not by line numbers, so it keeps applying while the sources
change; it fails loudly when it finds nothing to wrap and refuses to plant twice.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

FAMILIES = ("scale", "binary", "reduce")
WHERE = (*FAMILIES, "library", "kernels", "python")
LEVELS = ("entry", "kernel")
PY_OPERATIONS = ("scale", "add", "subtract", "multiply", "sum", "mean")

# Entry level: WHERE -> [(file of libraptors/, function, condition or None)]. The condition is
# a C expression of the function's parameters: the wrapper spins only when it holds.
ENTRIES: dict[str, list[tuple[str, str, str | None]]] = {
    "library": [("call.c", "raptors_call", None)],
    "binary": [("elementwise.c", "rp_elementwise", "family == RAPTORS_FAMILY_BINARY")],
    "scale": [("elementwise.c", "rp_elementwise", "family == RAPTORS_FAMILY_SCALE")],
    "reduce": [("reduce.c", "rp_reduce", None)],
    "kernels": [("elementwise.c", "rp_elementwise", None), ("reduce.c", "rp_reduce", None)],
}
# Kernel level: WHERE -> (the kernel table's fields, the files whose chunk loops are planted).
KERNELS: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...]]] = {
    "reduce": (("pairwise", "accumulate"), ("reduce.c",)),
    "library": (None, ("elementwise.c", "reduce.c")),  # None: every field
    "kernels": (None, ("elementwise.c", "reduce.c")),
}

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

# A thread-pool callback: static void NAME(void *ctx, size_t c) {
_CHUNK = re.compile(
    r"(?P<head>^static[ \t]+(?P<ret>void)[ \t]+)(?P<name>\w+)\s*"
    r"\((?P<params>\s*(?:const[ \t]+)?void[ \t]*\*[ \t]*\w+\s*,\s*size_t[ \t]+\w+\s*)\)\s*\{",
    re.M,
)


def _function_re(name: str) -> re.Pattern[str]:
    """The definition of a non-static function NAME: RET NAME(params) {."""
    return re.compile(
        r"(?P<head>^(?P<ret>(?:const[ \t]+)?\w+[ \t\*]*?)[ \t]*)(?P<name>" + re.escape(name) + r")"
        r"\s*\((?P<params>[^;{)]*)\)\s*\{",
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
        if not m or not re.search(r"\w[\s\*]+\w+\s*(\[[^\]]*\])?\s*$", p):
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


def _timed(call: str, ret: str) -> str:
    """The body of a wrapper: the call between rp_planted_enter and rp_planted_leave."""
    if ret == "void":
        return (
            f"    uint64_t rp_t0 = rp_planted_enter();\n    {call};\n    rp_planted_leave(rp_t0);\n"
        )
    return (
        f"    uint64_t rp_t0 = rp_planted_enter();\n    {ret} rp_r = {call};\n"
        f"    rp_planted_leave(rp_t0);\n    return rp_r;\n"
    )


def _wrap(
    text: str,
    pattern: re.Pattern[str],
    what: str,
    inner_static: bool = False,
    when: str | None = None,
) -> tuple[str, list[str]]:
    """Rename each definition `pattern` finds to NAME_planted_inner and add a wrapper named
    NAME that times it (spinning only when the C condition `when` holds, if given)."""
    if "RP_PLANTED_HELPERS" in text:
        raise ValueError(f"this {what} is already planted")
    out, pos, names = [], 0, []
    for m in pattern.finditer(text):
        if m.start() < pos:
            continue
        name = m.group("name")
        ret = " ".join(m.group("ret").split()) or "void"
        params = m.group("params")
        args = ", ".join(_param_names(params))
        end = _body_end(text, m.end() - 1)
        head = m.group("head")
        inner = f"{name}_planted_inner"
        out.append(text[pos : m.start()])
        # The wrapper's prototype first: a recursive function's inner calls the wrapper.
        out.append(f"{head.rstrip()} {name}({params});\n")
        s, e = m.start("name") - m.start(), m.end("name") - m.start()
        definition = text[m.start() : end]
        static = "static " if inner_static and not definition.startswith("static") else ""
        out.append(static + definition[:s] + inner + definition[e:])
        call = f"{inner}({args})"
        body = _timed(call, ret)
        if when is not None:
            skip = f"{call};\n        return" if ret == "void" else f"return {call}"
            body = f"    if (!({when})) {{\n        {skip};\n    }}\n" + body
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


def patch_function_text(
    text: str, name: str, percent: int, when: str | None = None
) -> tuple[str, list[str]]:
    """The planted version of a C file: its (non-static) function NAME wrapped, the original
    made static (spinning only when `when` holds, a C condition on its parameters)."""
    new, names = _wrap(text, _function_re(name), "file", inner_static=True, when=when)
    if not names:
        raise ValueError(f"no definition of `{name}(...) {{` found")
    if len(names) > 1:
        raise ValueError(f"{len(names)} definitions of {name} found")
    return _with_helpers(new, percent), names


def patch_chunks_text(text: str, percent: int) -> tuple[str, list[str]]:
    """The planted version of a family's C file: its thread-pool chunk callbacks."""
    new, names = _wrap(text, _CHUNK, "file")
    if not names:
        raise ValueError("no `static void NAME(void *ctx, size_t c) {` chunk loops found")
    return _with_helpers(new, percent), names


# ---- kernel level: the kernel table ----
_TYPEDEF = re.compile(
    r"typedef\s+(?P<ret>[\w \t\*]+?)\s*\(\s*\*\s*(?P<name>\w+)\s*\)\s*\((?P<params>[^;]*)\)\s*;"
)
_TABLE_STRUCT = re.compile(r"typedef\s+struct\s*\{(?P<body>[^}]*)\}\s*rp_kernel_set\s*;")
_MACRO = re.compile(r"^#define[ \t]+(?P<name>\w+)\((?P<args>[^)]*)\)(?P<body>(?:.*\\\n)*.*)$", re.M)


def table_fields(kernels_h: str) -> dict[str, tuple[str, str]]:
    """The kernel table's function-pointer fields (kernels.h's rp_kernel_set):
    field -> (return type, parameter list), from the fields' typedefs."""
    types = {
        m.group("name"): (" ".join(m.group("ret").split()), " ".join(m.group("params").split()))
        for m in _TYPEDEF.finditer(kernels_h)
    }
    struct = _TABLE_STRUCT.search(kernels_h)
    if struct is None:
        raise ValueError("no `typedef struct {...} rp_kernel_set;` in kernels.h")
    fields = {}
    for m in re.finditer(r"(\w+)\s+(\w+)\s*(?:\[[^\]]*\])+\s*;", struct.group("body")):
        if m.group(1) in types:
            fields[m.group(2)] = types[m.group(1)]
    if not fields:
        raise ValueError("no kernel (function-pointer array) fields in rp_kernel_set")
    return fields


def _entry_re(fields: list[str]) -> re.Pattern[str]:
    """A designated initializer of a table field: .FIELD[...][...] = NAME (token-pasted)."""
    return re.compile(
        r"\.(?P<field>" + "|".join(map(re.escape, fields)) + r")(?P<index>(?:\[[^\]]*\])+)"
        r"\s*=\s*(?P<fn>\w+(?:\s*##\s*\w+)*)(?P<comma>\s*,)?"
    )


def patch_table_text(
    text: str, kernels_h: str, percent: int, only: tuple[str, ...] | None = None
) -> tuple[str, list[str]]:
    """The planted version of kernel_set.h: every entry of the table's fields `only` (all when
    None) points at a wrapper that times the kernel. The entries are written in X-macros
    (`#define M(...) ... .field[...] = name_##S, ...`); each such macro M gets a twin
    M_PLANTED_DEF_ that defines the wrappers instead, expanded by the same lists as the table
    just before it, and M's entries name the wrappers (name_##S##_planted)."""
    if "RP_PLANTED_HELPERS" in text or "_planted" in text:
        raise ValueError("kernel_set.h is already planted")
    fields = table_fields(kernels_h)
    chosen = [f for f in fields if only is None or f in only]
    if only is not None and set(only) - set(fields):
        raise ValueError(f"kernel table has no field {sorted(set(only) - set(fields))}")
    entry, any_entry = _entry_re(chosen), _entry_re(list(fields))
    if not any(entry.search(m.group("body")) for m in _MACRO.finditer(text)):
        raise ValueError("no `.field[...] = kernel` entries of the kernel table found in macros")
    macros = {
        m.group("name"): m for m in _MACRO.finditer(text) if any_entry.search(m.group("body"))
    }
    in_macros = sum(len(any_entry.findall(m.group("body"))) for m in macros.values())
    if len(any_entry.findall(text)) != in_macros:
        raise ValueError("kernel table entries outside an X-macro: not supported")
    # the macros using an entry macro (RP_DTYPE_ENTRIES_ calls RP_EW_ENTRY_) are entry macros too
    uses = re.compile(r"\b(" + "|".join(map(re.escape, macros)) + r")\b")
    for m in _MACRO.finditer(text):
        if m.group("name") not in macros and uses.search(m.group("body")):
            macros[m.group("name")] = m
    names_re = re.compile(r"\b(" + "|".join(map(re.escape, macros)) + r")\b")
    table = re.search(r"^const[ \t]+rp_kernel_set\b[^=]*=\s*\{", text, re.M)
    if table is None:
        raise ValueError("no `const rp_kernel_set NAME = {` table definition found")
    table_end = _body_end(text, table.end() - 1)
    lists = re.findall(r"\b(\w+)\((\w+)\)", text[table.end() : table_end])
    lists = [(lst, m) for lst, m in lists if m in macros]
    if not lists:
        raise ValueError("the table expands none of the entry macros")

    planted: list[str] = []

    def to_wrapper(e: re.Match[str]) -> str:
        field, index, fn = e.group("field"), e.group("index"), e.group("fn")
        planted.append(f"{field}={fn}")
        return f".{field}{index} = {fn}##_planted{e.group('comma') or ''}"

    def to_definition(e: re.Match[str]) -> str:
        if e.group("field") not in chosen:  # an entry left alone defines nothing
            return ""
        return f"RP_PLANTED_DEF_{e.group('field')}({e.group('fn')}) "

    out, pos, twins = [], 0, []
    for name, m in sorted(macros.items(), key=lambda kv: kv[1].start()):
        out.append(text[pos : m.start("body")])
        out.append(entry.sub(to_wrapper, m.group("body")))
        body = names_re.sub(lambda u: u.group(1) + "_PLANTED_DEF_", m.group("body"))
        twins.append(
            f"#define {name}_PLANTED_DEF_({m.group('args')}){any_entry.sub(to_definition, body)}\n"
        )
        pos = m.end("body")
    out.append(text[pos : table.start()])
    defs = ["/* ---- planted: a wrapper per kernel table entry (tools/regress/plant.py) ---- */\n"]
    for f in chosen:
        ret, params = fields[f]
        # the kernel's name is the macro's parameter, rp_kernel_ (no parameter is named so)
        call = f"rp_kernel_({', '.join(_param_names(params))})"
        body = _timed(call, ret).replace("\n", " \\\n")
        defs.append(
            f"#define RP_PLANTED_DEF_{f}(rp_kernel_) \\\n"
            f"    RP_TARGET static {ret} rp_kernel_##_planted({params}) \\\n"
            f"    {{ \\\n{body}    }}\n"
        )
    defs += twins
    defs += [f"{lst}({m}_PLANTED_DEF_)\n" for lst, m in lists]
    out.append("".join(defs) + "\n")
    out.append(text[table.start() :])
    if not planted:
        raise ValueError("no kernel table entries found")
    return _with_helpers("".join(out), percent), planted


def _lib_path(src_dir: str, name: str) -> str:
    path = os.path.join(src_dir, "libraptors", name)
    if not os.path.isfile(path):
        raise ValueError(f"libraptors/{name} not found in {src_dir}: nothing to plant")
    return path


def _rewrite(path: str, patch: Callable[[str], tuple[str, list[str]]]) -> list[str]:
    with open(path) as f:
        new, names = patch(f.read())
    with open(path, "w") as f:
        f.write(new)
    return [f"{os.path.basename(path)}:{n}" for n in names]


def plant_entries(src_dir: str, where: str, percent: int) -> list[str]:
    """Entry level: the functions of ENTRIES[where], so every call of `where` takes
    (1 + percent/100) times as long, exactly."""
    names = []
    for file, fn, when in ENTRIES[where]:

        def patch(text: str, fn: str = fn, when: str | None = when) -> tuple[str, list[str]]:
            return patch_function_text(text, fn, percent, when)

        found = _rewrite(_lib_path(src_dir, file), patch)
        names += [n + (f" (when {when})" if when else "") for n in found]
    return names


def plant_kernels(src_dir: str, where: str, percent: int) -> list[str]:
    """Kernel level: the kernel table's entries of KERNELS[where] and the chunk loops of its
    files, i.e. inside the loops (see the module's docstring)."""
    if where not in KERNELS:
        raise ValueError(
            f"{where!r} cannot be planted at the kernel level: scale and binary run the same "
            "element-wise kernels (plant them at the entry level, or plant library, kernels "
            "or reduce at the kernel level)"
        )
    only, files = KERNELS[where]
    with open(_lib_path(src_dir, "kernels.h")) as f:
        kernels_h = f.read()
    names = _rewrite(
        _lib_path(src_dir, "kernel_set.h"), lambda t: patch_table_text(t, kernels_h, percent, only)
    )
    for file in files:
        names += _rewrite(_lib_path(src_dir, file), lambda t: patch_chunks_text(t, percent))
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
    if where not in WHERE:
        raise ValueError(f"unknown place {where!r}; choose from {', '.join(WHERE)}")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: entry or kernel")
    if where == "python":
        return plant_python(src_dir, percent)
    if level == "kernel":
        return plant_kernels(src_dir, where, percent)
    return plant_entries(src_dir, where, percent)


if __name__ == "__main__":
    argv = [a for a in sys.argv[1:] if not a.startswith("--level=")]
    levels = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--level=")]
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    where = argv[2] if len(argv) == 3 else "library"
    names = plant(argv[0], int(argv[1]), where, levels[-1] if levels else "entry")
    print("planted in:", ", ".join(names))
