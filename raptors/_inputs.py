"""What Raptors takes as an array: a plain numpy.ndarray, a NumPy scalar, a Python scalar or
a nested sequence of them. An ndarray subclass (np.matrix, np.ma.MaskedArray, np.memmap, ...)
or an object that overrides NumPy's dispatch (__array_function__, __array_ufunc__: dask,
xarray, CuPy, ...) follows rules of its own under NumPy -- a matrix result, a mask, a lazy
graph -- that a plain array computed from its raw data would silently drop. Raptors refuses
them with a TypeError that says how to compute on the data instead (np.asarray)."""

from __future__ import annotations

from typing import Any

import numpy as np


def refuse_overrides(v: Any, fname: str, role: str) -> None:
    """TypeError for an ndarray subclass or an object overriding NumPy's dispatch. As `out`,
    a subclass is taken (its elements are written and it is returned, as NumPy does) unless
    it is a masked array or overrides the dispatch."""
    t = type(v)
    if t is np.ndarray or isinstance(v, np.generic):
        return
    name = f"{t.__module__}.{t.__qualname__}"
    overrides = (
        getattr(t, "__array_ufunc__", None) is not np.ndarray.__array_ufunc__
        or getattr(t, "__array_function__", None) is not np.ndarray.__array_function__
    )
    if isinstance(v, np.ndarray):
        if role == "out" and not overrides and not isinstance(v, np.ma.MaskedArray):
            return
        why = "an ndarray subclass, whose own rules NumPy would follow"
    elif hasattr(t, "__array_function__") or hasattr(t, "__array_ufunc__"):  # a duck array
        why = "it overrides NumPy's dispatch (__array_function__ / __array_ufunc__)"
    else:
        return
    raise TypeError(
        f"raptors.{fname} takes plain numpy.ndarray {role}s, got {name} ({why}); "
        f"pass np.asarray(...) to compute on its data as a plain array, or call NumPy's "
        f"function to keep the {t.__qualname__}'s rules"
    )


def check_out(
    out: Any, fname: str, dtype: np.dtype | None = None, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """An out= as NumPy takes it, checked before anything is written: a numpy.ndarray (a
    subclass that keeps NumPy's dispatch too), of the result's dtype and shape where the
    caller gives them, writeable, and no element twice (a zero stride); returned."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"raptors.{fname}: out must be a numpy.ndarray, got {type(out).__name__}")
    refuse_overrides(out, fname, "out")
    if dtype is not None and out.dtype != dtype:
        raise TypeError(
            f"raptors.{fname}: out has dtype {out.dtype}, expected {dtype} (the result's dtype)"
        )
    if shape is not None and out.shape != shape:
        raise ValueError(
            f"raptors.{fname}: out has shape {out.shape}, the result's shape is {shape}"
        )
    if not out.flags.writeable:
        raise ValueError(f"raptors.{fname}: out is read-only")
    if out.size > 1 and any(s == 0 and n > 1 for s, n in zip(out.strides, out.shape)):
        raise ValueError(f"raptors.{fname}: out has overlapping elements (a zero stride)")
    return out
