"""The binding: loads libraptors and declares every signature it exports.

This is the only module of the package that touches ctypes (as llvmlite's
binding/ffi.py is for LLVM). The library is looked for at $RAPTORS_LIBRARY
when set, else beside this file, where `make` and `pip install .` put it.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys

#: The ABI this package was written against; must equal raptors_abi_version().
ABI_VERSION = 1
#: The library's highest dimension count (RAPTORS_MAX_DIMS) and thread count.
MAX_DIMS = 64
MAX_THREADS = 256

LIBRARY_NAME = "libraptors.dylib" if sys.platform == "darwin" else "libraptors.so"
_BUILD_HINT = (
    "Build it with `make` in the Raptors source tree (or install the package "
    "with `pip install .`), or point RAPTORS_LIBRARY at a built library."
)


def _library_path() -> str:
    env = os.environ.get("RAPTORS_LIBRARY")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def _load() -> ctypes.CDLL:
    path = _library_path()
    origin = "RAPTORS_LIBRARY" if os.environ.get("RAPTORS_LIBRARY") else "the raptors package"
    if not os.path.isfile(path):
        raise ImportError(
            f"raptors: shared library not found: looked for {path} (from {origin}). {_BUILD_HINT}"
        )
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise ImportError(
            f"raptors: could not load the shared library {path} (from {origin}): {exc}. "
            f"{_BUILD_HINT}"
        ) from exc
    try:
        abi_fn = lib.raptors_abi_version
    except AttributeError as exc:
        raise ImportError(
            f"raptors: {path} is not a Raptors library (no raptors_abi_version). {_BUILD_HINT}"
        ) from exc
    abi_fn.argtypes = []
    abi_fn.restype = ctypes.c_int
    abi = abi_fn()
    if abi != ABI_VERSION:
        raise ImportError(
            f"raptors: ABI version mismatch: {path} has ABI {abi}, this package needs "
            f"ABI {ABI_VERSION}. Rebuild the library from the same source tree. {_BUILD_HINT}"
        )
    return lib


def _declare(lib: ctypes.CDLL) -> None:
    c_int, c_size_t, c_void_p, c_char_p = ctypes.c_int, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_char_p
    i64p = ctypes.POINTER(ctypes.c_int64)
    signatures = {
        "raptors_version": ([], c_char_p),
        "raptors_build_info": ([], c_char_p),
        "raptors_scale_f32": ([c_void_p, c_void_p, c_size_t, ctypes.c_float], c_int),
        "raptors_scale_f64": ([c_void_p, c_void_p, c_size_t, ctypes.c_double], c_int),
        "raptors_scale_strided_f32": (
            [c_int, i64p, c_void_p, i64p, c_void_p, i64p, ctypes.c_float], c_int),
        "raptors_scale_strided_f64": (
            [c_int, i64p, c_void_p, i64p, c_void_p, i64p, ctypes.c_double], c_int),
        "raptors_set_num_threads": ([c_int], c_int),
        "raptors_get_num_threads": ([], c_int),
        "raptors_get_simd": ([], c_char_p),
        "raptors_set_simd": ([c_char_p], c_int),
    }
    for name, (argtypes, restype) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = restype


LIBRARY_PATH = _library_path()
_lib = _load()
_declare(_lib)

# Entry points, bound once: the scale kernels by dtype name.
scale_contig = {"float32": _lib.raptors_scale_f32, "float64": _lib.raptors_scale_f64}
_scale_strided = {"float32": _lib.raptors_scale_strided_f32, "float64": _lib.raptors_scale_strided_f64}


def scale_strided(dtype: str, shape, x_addr: int, x_strides, y_addr: int, y_strides, factor) -> int:
    """Call the N-d strided kernel; shape and strides (bytes) are int sequences."""
    nd = len(shape)
    arr = ctypes.c_int64 * nd
    return _scale_strided[dtype](nd, arr(*shape), x_addr, arr(*x_strides), y_addr,
                                 arr(*y_strides), factor)


def version() -> str:
    return _lib.raptors_version().decode()


def build_info() -> dict:
    return json.loads(_lib.raptors_build_info().decode())


def set_num_threads(n: int) -> int:
    return _lib.raptors_set_num_threads(n)


def get_num_threads() -> int:
    return _lib.raptors_get_num_threads()


def get_simd() -> str:
    return _lib.raptors_get_simd().decode()


def set_simd(name: str) -> int:
    return _lib.raptors_set_simd(name.encode())
