"""Floating-point exceptions, answered as NumPy answers them after its loops: the library
reports which of invalid, divide by zero, overflow and underflow a call raised (on any of
its threads: a positive return code), and this module does what np.errstate says for each
-- ignore, warn (a RuntimeWarning at the caller's line), raise FloatingPointError, call
np.seterrcall's function, print, or log -- in NumPy's words and order."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _ffi, _warn

_FPE = _ffi.PROTOCOL["fp_exceptions"]
# NumPy's order, its errstate keys, its words, and the flag bit its "call" handler gets.
_KINDS = (
    (_FPE["FPE_DIVIDE"], "divide", "divide by zero", 1),
    (_FPE["FPE_OVERFLOW"], "over", "overflow", 2),
    (_FPE["FPE_UNDERFLOW"], "under", "underflow", 4),
    (_FPE["FPE_INVALID"], "invalid", "invalid value", 8),
)


def report(flags: int, name: str) -> None:
    """What np.errstate says for the exceptions in `flags`, raised by NumPy's `name` (the
    ufunc's name, "reduce", "cast")."""
    modes: dict[str, Any] = {**np.geterr()}
    for bit, key, words, numpy_bit in _KINDS:
        if not flags & bit:
            continue
        mode = modes[key]
        if mode == "ignore":
            continue
        message = f"{words} encountered in {name}"
        if mode == "raise":
            raise FloatingPointError(message)
        if mode == "warn":
            _warn.warn(message)
        elif mode == "print":
            print(f"Warning: {message}", file=sys.stderr)
        else:  # "call" or "log": np.seterrcall's function or object with a write method
            handler: Any = np.geterrcall()
            if mode == "call":
                handler(words, numpy_bit)
            else:
                handler.write(f"Warning: {message}\n")


def done(rc: int, fname: str, name: str) -> None:
    """A call's return code: exceptions reported as NumPy's `name` would, errors raised."""
    if rc > 0:
        report(rc, name)
    elif rc:
        _ffi.check(rc, fname)


#: The smallest magnitude a double rounds to infinity at in float32 (half an ulp past max).
F32_OVERFLOW = 2.0**128 * (1 - 2.0**-25)


def cast_overflow(value: float) -> None:
    """NumPy's "overflow encountered in cast" for a Python float whose float32 is infinite
    though it is finite (a weak scalar of NEP 50 converted to a float32 computation); called
    when abs(value) >= F32_OVERFLOW."""
    if value == value and abs(value) != float("inf"):
        report(_FPE["FPE_OVERFLOW"], "cast")
