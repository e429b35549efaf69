"""Run by test_data_pointers.py in a process started with RAPTORS_DATA_POINTERS=1, where
raptors passes every array by its data pointer (as on PyPy) instead of the id()-based
fast path. Runs every operation on the shapes its fast path would take, and others,
and prints JSON: what _ffi chose, and for each operation a list of [case, verdict]
("ok", or what differed from NumPy)."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from itertools import chain
from typing import Any

import numpy as np

import raptors
from raptors import _ffi

DTYPES = [np.float32, np.float64]
# 1 element up to past the pooled-allocation size; what the contiguous fast paths take.
SIZES = [1, 7, 16, 129, 4099, 70000, 1 << 18]
BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply}

Case = tuple[str, str, Any, Any]  # operation, case, Raptors' answer, NumPy's


def values(shape: int | tuple[int, ...], dtype: Any, seed: int) -> np.ndarray:
    """Mixed signs and magnitudes, -0.0 and subnormals among them (no NaN: NumPy's NaN
    payloads follow no rule, and bits are compared here)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    v = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)).astype(dtype)
    v[::97] = -0.0
    v[5::101] = np.finfo(dtype).smallest_subnormal
    return v.reshape(shape)


def call(fname: str, *args: Any, **kw: Any) -> Any:
    """raptors.<fname>(...), or the exception it raised (a verdict, not the end of the run);
    with out= it must return out."""
    try:
        got = getattr(raptors, fname)(*args, **kw)
    except Exception as e:
        return e
    if "out" in kw and got is not kw["out"]:
        return AssertionError("the call did not return out")
    return got


def scale_cases() -> Iterator[Case]:
    for dt in DTYPES:
        for n in SIZES:
            x = values(n, dt, n)
            want = x * dt(0.1)
            for f in (0.1, np.float32(-2.5), np.float64(3.0)):  # NumPy scalars promote (NEP 50)
                want_f = np.multiply(x, f if isinstance(f, np.generic) else dt(f))
                yield "scale", f"{dt.__name__}[{n}] * {f!r}", call("scale", x, f), want_f
            yield "scale", f"{dt.__name__}[{n}] out=", call("scale", x, 0.1, out=x + 1), want
            y = x.copy()
            yield "scale", f"{dt.__name__}[{n}] in place", call("scale", y, 0.1, out=y), want
        m = values((40, 30), dt, 1)
        for name, v in {"2-D": m, "F": np.asfortranarray(m), "strided": m[::2, ::-3]}.items():
            yield "scale", f"{dt.__name__} {name}", call("scale", v, 0.1), v * dt(0.1)


def binary_cases() -> Iterator[Case]:
    for op, ref in BINARY.items():
        for dt in DTYPES:
            for n in SIZES:
                x, y = values(n, dt, n), values(n, dt, n + 1)
                want = ref(x, y)
                yield op, f"{dt.__name__}[{n}] same shape", call(op, x, y), want
                for s in (0.1, np.float32(2.5), np.float64(-3.0)):
                    yield op, f"{dt.__name__}[{n}] and {s!r}", call(op, x, s), ref(x, s)
                    yield op, f"{s!r} and {dt.__name__}[{n}]", call(op, s, x), ref(s, x)
                yield op, f"{dt.__name__}[{n}] out=", call(op, x, y, out=x + 1), want
                z = x.copy()
                yield op, f"{dt.__name__}[{n}] in place", call(op, z, y, out=z), want
            m = values((40, 30), dt, 2)
            row, col = values(30, dt, 3), values((40, 1), dt, 4)
            for name, (a, b) in {
                "row broadcast": (m, row),
                "column broadcast": (m, col),
                "F and C": (np.asfortranarray(m), m),
                "strided": (m[::2, ::-3], m[1::2, ::3]),
            }.items():
                yield op, f"{dt.__name__} {name}", call(op, a, b), ref(a, b)


def reduction_cases() -> Iterator[Case]:
    for fname in ("sum", "mean"):
        ref = getattr(np, fname)
        for dt in DTYPES:
            for n in SIZES:
                x = values(n, dt, n)
                yield fname, f"{dt.__name__}[{n}]", call(fname, x), ref(x)
            m = values((300, 129), dt, 5)
            for name, v in {
                "2-D": m,
                "F": np.asfortranarray(m),
                "strided": m[::2, ::-3],
                "byte-swapped": m.astype(m.dtype.newbyteorder()),
            }.items():
                for axis in (None, 0, 1, -1):
                    for keep in (False, True):
                        # NumPy may keep a byte-swapped dtype; Raptors answers natively.
                        want = np.asarray(ref(v, axis=axis, keepdims=keep), dt)[()]
                        got = call(fname, v, axis=axis, keepdims=keep)
                        yield fname, f"{dt.__name__} {name} axis={axis} keepdims={keep}", got, want


def verdict(got: Any, want: Any) -> str:
    if isinstance(got, Exception):
        return f"raised {type(got).__name__}: {got}"
    if type(got) is not type(want):
        return f"type {type(got).__name__}, NumPy's {type(want).__name__}"
    g, w = np.asarray(got), np.asarray(want)
    if g.dtype != w.dtype or g.shape != w.shape:
        return f"{g.dtype}{g.shape}, NumPy's {w.dtype}{w.shape}"
    if g.tobytes() != w.tobytes():
        bad = int(np.sum(np.atleast_1d(g).view(np.uint8) != np.atleast_1d(w).view(np.uint8)))
        return f"{bad} bytes differ from NumPy's"
    return "ok"


def main() -> None:
    results: dict[str, list[list[str]]] = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for family, name, got, want in chain(scale_cases(), binary_cases(), reduction_cases()):
            results.setdefault(family, []).append([name, verdict(got, want)])
    json.dump(
        {
            "data_offset": _ffi.DATA_OFFSET,
            "call_addressing": _ffi.CALL_ADDRESSING,
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
