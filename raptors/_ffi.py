"""The binding: loads libraptors and declares every signature it exports.

This is the only module of the package that touches ctypes (as llvmlite's
binding/ffi.py is for LLVM). The library is looked for at $RAPTORS_LIBRARY
when set, else beside this file, where `make` and `pip install .` put it.
"""

from __future__ import annotations

import ctypes
import json
import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

#: The ABI this package was written against; must equal raptors_abi_version().
ABI_VERSION = 10
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
    c_int, c_size_t, c_void_p, c_char_p = (
        ctypes.c_int,
        ctypes.c_size_t,
        ctypes.c_void_p,
        ctypes.c_char_p,
    )
    i64p = ctypes.POINTER(ctypes.c_int64)
    signatures = {
        "raptors_version": ([], c_char_p),
        "raptors_build_info": ([], c_char_p),
        "raptors_protocol": ([], c_char_p),
        "raptors_call": ([c_void_p], c_int),
        "raptors_refused_settings": ([], c_char_p),
        "raptors_scale_f32": ([c_void_p, c_void_p, c_size_t, ctypes.c_float], c_int),
        "raptors_scale_f64": ([c_void_p, c_void_p, c_size_t, ctypes.c_double], c_int),
        "raptors_scale_strided_f32": (
            [c_int, i64p, c_void_p, i64p, c_void_p, i64p, ctypes.c_float],
            c_int,
        ),
        "raptors_scale_strided_f64": (
            [c_int, i64p, c_void_p, i64p, c_void_p, i64p, ctypes.c_double],
            c_int,
        ),
        **{
            f"raptors_binary_{s}": (
                [c_int, c_int, i64p, c_void_p, i64p, c_void_p, i64p, c_void_p, i64p],
                c_int,
            )
            for s in ("f32", "f64")
        },
        **{
            f"raptors_reduce_{s}": (
                [c_int, c_int, i64p, c_void_p, i64p, c_int, c_void_p, i64p, c_size_t],
                c_int,
            )
            for s in ("f32", "f64")
        },
        "raptors_alloc": ([c_size_t], c_void_p),
        "raptors_free": ([c_void_p, c_size_t], None),
        "raptors_pool_trim": ([], c_size_t),
        "raptors_pool_cached": ([], c_size_t),
        "raptors_pool_set_limit": ([c_size_t], c_size_t),
        "raptors_pool_get_limit": ([], c_size_t),
        "raptors_pool_set_idle_ms": ([ctypes.c_int64], ctypes.c_int64),
        "raptors_pool_get_idle_ms": ([], ctypes.c_int64),
        "raptors_handler_malloc": ([c_void_p, c_size_t], c_void_p),
        "raptors_handler_calloc": ([c_void_p, c_size_t, c_size_t], c_void_p),
        "raptors_handler_realloc": ([c_void_p, c_void_p, c_size_t], c_void_p),
        "raptors_handler_free": ([c_void_p, c_void_p, c_size_t], None),
        "raptors_set_num_threads": ([c_int], c_int),
        "raptors_get_num_threads": ([], c_int),
        "raptors_set_spin_us": ([ctypes.c_int64], ctypes.c_int64),
        "raptors_get_spin_us": ([], ctypes.c_int64),
        "raptors_thread_stats": ([i64p, c_int], c_int),
        "raptors_get_simd": ([], c_char_p),
        "raptors_set_simd": ([c_char_p], c_int),
        "raptors_set_tuning_simd": ([c_int, c_int, c_int, c_int, c_char_p], c_int),
        "raptors_get_tuning_simd": ([c_int, c_int, c_int, c_int], c_char_p),
        "raptors_set_tuning_bytes": ([c_int, c_int, ctypes.c_int64], c_int),
        "raptors_get_tuning_bytes": ([c_int, c_int], ctypes.c_int64),
        "raptors_clear_tuning": ([], None),
    }
    for name, (argtypes, restype) in signatures.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as exc:
            raise ImportError(
                f"raptors: {_library_path()} reports ABI {ABI_VERSION} but lacks {name}: a broken "
                f"or mismatched build. {_BUILD_HINT}"
            ) from exc
        fn.argtypes = argtypes
        fn.restype = restype


LIBRARY_PATH = _library_path()
_lib = _load()
_declare(_lib)

# Entry points, bound once: the scale kernels by dtype name.
scale_contig = {"float32": _lib.raptors_scale_f32, "float64": _lib.raptors_scale_f64}
_scale_strided = {
    "float32": _lib.raptors_scale_strided_f32,
    "float64": _lib.raptors_scale_strided_f64,
}


def scale_strided(
    dtype: str,
    shape: Sequence[int],
    x_addr: int,
    x_strides: Sequence[int],
    y_addr: int,
    y_strides: Sequence[int],
    factor: float,
) -> int:
    """Call the typed N-d strided entry point; shape and strides (bytes) are int sequences."""
    nd = len(shape)
    arr = ctypes.c_int64 * nd
    status: int = _scale_strided[dtype](
        nd, arr(*shape), x_addr, arr(*x_strides), y_addr, arr(*y_strides), factor
    )
    return status


# ---- The call protocol (libraptors/protocol.h), learned from the library ----
# Every operation is one raptors_call(block). The library describes the block, the
# operation and dtype ids and the return codes (raptors_protocol); nothing is mirrored
# by hand, and the ABI version (checked above) vouches for the description.
PROTOCOL: dict[str, Any] = json.loads(_lib.raptors_protocol().decode())
_WORDS: dict[str, int] = PROTOCOL["words"]
_FLAGS: dict[str, int] = PROTOCOL["flags"]
CALL_REFS, CALL_CONTIG, CALL_SCALAR_Y, CALL_BUFFERED, CALL_OUT_VOTES, _CALL_ARRAYS = (
    _FLAGS[k] for k in ("REFS", "CONTIG", "SCALAR_Y", "BUFFERED", "OUT_VOTES", "ARRAYS")
)
CALL_Y_VALUE: int = _FLAGS["Y_VALUE"]
#: Operation ids by name (add, subtract, multiply, scale, sum, mean, nansum, nanmean).
OPS: dict[str, int] = PROTOCOL["operations"]
_DTYPE_SHIFT: int = PROTOCOL["dtype_shift"]
#: Each dtype's id, by NumPy's name (the arithmetic ones first, then those reductions read).
DTYPE_IDS: dict[str, int] = PROTOCOL["dtypes"]
#: Each dtype's bits in the CODE word, by dtype name.
DTYPE_CODES: dict[str, int] = {k: v << _DTYPE_SHIFT for k, v in DTYPE_IDS.items()}
_RC: dict[str, int] = PROTOCOL["return_codes"]
OK, EINVAL, ENOMEM, EOVERLAP, ELAYOUT = (
    _RC[k] for k in ("OK", "EINVAL", "ENOMEM", "EOVERLAP", "ELAYOUT")
)
ALL_AXES: int = PROTOCOL["all_axes"]
CALL_WORDS: int = PROTOCOL["max_words"]
call = _lib.raptors_call


def _packed_call(dll: type[ctypes.CDLL]) -> Any:
    fn = dll(_lib._name, handle=_lib._handle)["raptors_call"]  # (a new function object)
    # No argtypes, on purpose: ctypes passes a bytes object as its char * by its own
    # conversion, 24 ns less per call than through argtypes' c_char_p (a tenth of what
    # Python adds to a 16-element call). Its callers pass only pack_*'s bytes.
    fn.restype = ctypes.c_int
    return fn


# The fast paths' calls: the block's first words packed into a bytes object, passed as
# it is (no ctypes array to fill, no thread's block to look up: about 0.2 us of a
# 16-element call's 1 us). call_packed releases the GIL, as `call`; call_packed_held
# keeps it (PyDLL), 0.05 us less, for calls of up to HOLD_GIL_MAX_BYTES, which end
# before another Python thread would get much done.
call_packed = _packed_call(ctypes.CDLL)
call_packed_held = _packed_call(ctypes.PyDLL)
HOLD_GIL_MAX_BYTES = 1 << 16


def check(rc: int, fname: str) -> None:
    """Raise for a return code other than OK (EOVERLAP is the caller's to handle first)."""
    if rc == OK:
        return
    if rc == ENOMEM:
        raise MemoryError(f"raptors.{fname}: out of memory for a scratch buffer")
    raise RuntimeError(f"raptors.{fname}: libraptors returned error {rc}")


class CallBlock:
    """A thread's call block, and a cell for a scalar operand of each dtype with a
    reference to it (the address of a pointer to the cell, what RAPTORS_CALL_REFS
    calls take for an array), so a Python scalar needs no array object."""

    __slots__ = (
        "_ptrs",
        "addr",
        "args",
        "f32",
        "f32_addr",
        "f32_ref",
        "f64",
        "f64_addr",
        "f64_ref",
        "i32",
        "i32_addr",
        "i32_ref",
        "i64",
        "i64_addr",
        "i64_ref",
    )

    def __init__(self) -> None:
        self.args = (ctypes.c_int64 * CALL_WORDS)()
        self.addr = ctypes.addressof(self.args)
        self.f32 = (ctypes.c_float * 1)()
        self.f64 = (ctypes.c_double * 1)()
        self.i32 = (ctypes.c_int32 * 1)()
        self.i64 = (ctypes.c_int64 * 1)()
        self.f32_addr = ctypes.addressof(self.f32)
        self.f64_addr = ctypes.addressof(self.f64)
        self.i32_addr = ctypes.addressof(self.i32)
        self.i64_addr = ctypes.addressof(self.i64)
        self._ptrs = (ctypes.c_void_p * 4)(
            self.f32_addr, self.f64_addr, self.i32_addr, self.i64_addr
        )
        p = ctypes.sizeof(ctypes.c_void_p)
        self.f32_ref = ctypes.addressof(self._ptrs)
        self.f64_ref = self.f32_ref + p
        self.i32_ref = self.f32_ref + 2 * p
        self.i64_ref = self.f32_ref + 3 * p

    def scalar(self, value: float, f64: bool) -> int:
        """value in this block's cell of the dtype; its address as CALL_ADDRESSING wants."""
        if f64:
            self.f64[0] = value
            return self.f64_ref if CALL_ADDRESSING else self.f64_addr
        self.f32[0] = value
        return self.f32_ref if CALL_ADDRESSING else self.f32_addr

    def int_scalar(self, value: int, i64: bool) -> int:
        """An integer already checked to fit int64 (i64) or int32 in this block's cell of
        that dtype (ctypes would wrap one that does not); its address as scalar()'s."""
        if i64:
            self.i64[0] = value
            return self.i64_ref if CALL_ADDRESSING else self.i64_addr
        self.i32[0] = value
        return self.i32_ref if CALL_ADDRESSING else self.i32_addr


class _ThreadState(threading.local):
    """Per-thread state: each thread gets its own call block on first use."""

    def __init__(self) -> None:
        self.block = CallBlock()


thread_state = _ThreadState()


# The words lie in this order (checked here, so the writers below may rely on it): the
# fast paths write the first ones as one slice, encode() all of them as one list.
_ORDER = ("CODE", "NDIM", "X", "Y", "OUT", "AXIS", "BUFSIZE", "X_NDIM", "Y_NDIM", "SHAPE")
if [_WORDS[k] for k in _ORDER] != list(range(len(_ORDER))):
    raise ImportError(f"raptors: the library's call words are not in the order {_ORDER}: {_WORDS}")
#: The words of a contiguous call (CODE, NDIM, X, Y, OUT, AXIS, BUFSIZE), which the
#: reduction fast path writes as one slice.
FAST_WORDS = slice(0, _ORDER.index("BUFSIZE") + 1)
#: The element-wise fast paths pass only CODE..OUT (the family reads no more of them).
FAST_EW_WORDS = slice(0, _ORDER.index("OUT") + 1)
#: Those words packed for call_packed: a contiguous element-wise call (CODE..OUT) and a
#: contiguous reduction (CODE..BUFSIZE).
pack_elementwise = struct.Struct(f"={FAST_EW_WORDS.stop}q").pack
#: A contiguous element-wise call with a scalar y whose value is the Y word itself
#: (CALL_Y_VALUE), by the computation's dtype: CODE, NDIM, X, y, OUT. struct's "f" rounds
#: a Python float to float32 once, as ctypes' c_float (and NumPy's cast) does, and
#: raises OverflowError where that gives an infinity from a finite float.
pack_scalar_y = {
    "float32": struct.Struct("=3qf4xq").pack,
    "float64": struct.Struct("=3qdq").pack,
}
pack_reduction = struct.Struct(f"={FAST_WORDS.stop}q").pack


def encode(
    blk: CallBlock,
    code: int,
    shape: Sequence[int],
    x: tuple[int, Sequence[int], Sequence[int]],
    y: tuple[int, Sequence[int], Sequence[int]] | None,
    out: tuple[int, Sequence[int]],
    axis: int = 0,
    bufsize: int = 1,
) -> None:
    """Write a general call into blk: the result's shape, each input as (address, shape,
    strides) -- y None for a reduction -- and out as (address, strides); addresses as
    CALL_ADDRESSING says (and encode sets its flag). The one writer of protocol.h's layout."""
    xa, xshape, xstrides = x
    ya, yshape, ystrides = y if y is not None else (0, (), ())
    words: list[Any] = [code | CALL_ADDRESSING, len(shape), xa, ya, out[0], axis, bufsize]
    words += (len(xshape), len(yshape), *shape, *xshape, *xstrides, *yshape, *ystrides, *out[1])
    blk.args[: len(words)] = words


# Array addresses. ctypes has no cheap way to get an ndarray's data pointer:
# __array_interface__ and .ctypes build objects (~0.5-1 us each, more than the
# 16-element kernel). But NumPy's C ABI fixes where the pointer lives, right after the
# object header (PyArrayObject_fields.data, read by every C extension through
# PyArray_DATA), so on CPython the field's address is id(arr) + sizeof(PyObject) and
# the library reads the pointer itself (RAPTORS_CALL_REFS). Checked below on probe
# arrays at import; if anything disagrees (another interpreter, another layout) every
# call passes the data pointers themselves.
def _find_data_offset() -> int | None:
    # RAPTORS_DATA_POINTERS=1 takes the path of other interpreters on CPython too (for tests).
    if sys.implementation.name != "cpython" or os.environ.get("RAPTORS_DATA_POINTERS") == "1":
        return None
    import numpy as np

    off: int = object.__basicsize__
    base = np.arange(64, dtype=np.float64)
    probes: list[np.ndarray[Any, Any]] = [
        base,
        base[3:],
        base[::2],
        np.empty((3, 5), np.float32),
        base.reshape(8, 8).T,
        np.frombuffer(bytearray(64), dtype=np.float32),
    ]
    for p in probes:
        if ctypes.c_void_p.from_address(id(p) + off).value != p.__array_interface__["data"][0]:
            return None
    return off


#: Offset of an ndarray's data pointer from id(arr); None disables the fast path.
DATA_OFFSET = _find_data_offset()

#: The flag calls take for array addresses here: RAPTORS_CALL_REFS (where each data
#: pointer lives) on CPython, 0 (the pointer itself) elsewhere.
CALL_ADDRESSING = CALL_REFS if DATA_OFFSET is not None else 0


# RAPTORS_CALL_ARRAYS: the library reads an ndarray's dimension count, shape, dtype
# object and flags where NumPy's C ABI keeps them after the data pointer
# (PyArrayObject_fields: data, nd, dimensions, strides, base, descr, flags; each in a
# pointer-sized slot), instead of Python reading .shape, .flags and each operand's .dtype
# one attribute at a time (a third of a 16-element call). Checked here on probe arrays of
# every kind the fast path meets; any disagreement and the flag is not used.
def _array_fields_match() -> bool:
    if DATA_OFFSET is None:
        return False
    import numpy as np

    p = ctypes.sizeof(ctypes.c_void_p)
    base = np.arange(60, dtype=np.float64)
    probes: list[np.ndarray[Any, Any]] = [
        base,
        base.reshape(3, 4, 5),
        base.reshape(6, 10).T,
        base[::2],
        np.frombuffer(bytes(16), np.float32),  # read-only
        np.empty(()),
        np.empty((0, 3), np.float32),
        np.frombuffer(bytearray(17), np.uint8)[1:].view(np.float64),  # misaligned
    ]
    for a in probes:
        at = id(a) + DATA_OFFSET
        nd = ctypes.c_int.from_address(at + p).value
        dims = ctypes.c_void_p.from_address(at + 2 * p).value
        descr = ctypes.c_void_p.from_address(at + 5 * p).value
        flags = ctypes.c_int.from_address(at + 6 * p).value
        shape = tuple((ctypes.c_ssize_t * nd).from_address(dims)) if nd and dims else ()
        bits = (bool(flags & 0x1), bool(flags & 0x100), bool(flags & 0x400))
        if (nd, shape, descr) != (a.ndim, a.shape, id(a.dtype)) or bits != (
            a.flags.c_contiguous,
            a.flags.aligned,
            a.flags.writeable,
        ):
            return False
    return True


#: RAPTORS_CALL_ARRAYS | CALL_ADDRESSING where the array layout is NumPy's ABI, else 0.
CALL_ARRAYS = _CALL_ARRAYS | CALL_ADDRESSING if _array_fields_match() else 0


def address(a: Any) -> int:
    """What a call takes for ndarray a under CALL_ADDRESSING."""
    if DATA_OFFSET is not None:
        return id(a) + DATA_OFFSET
    addr: int = a.__array_interface__["data"][0]
    return addr


# New arrays on pooled memory (libraptors/alloc.c). The array's base is a
# _Block; when the array and every view of it are gone, the block's refcount
# drops to zero and __del__ hands the memory back to the pool.
_alloc = _lib.raptors_alloc
_free = _lib.raptors_free


class _Block:
    __slots__ = ("__array_interface__", "_addr", "_nbytes")

    def __init__(
        self,
        shape: tuple[int, ...],
        typestr: str,
        strides: tuple[int, ...] | None,
        nbytes: int,
    ) -> None:
        self._addr: int | None = None  # __del__ runs even when __init__ raises
        addr: int | None = _alloc(nbytes)
        if not addr:
            raise MemoryError(f"raptors: cannot allocate {nbytes} bytes")
        self._addr = addr
        self._nbytes = nbytes
        self.__array_interface__: dict[str, Any] = {
            "data": (addr, False),
            "shape": shape,
            "typestr": typestr,
            "strides": strides,
            "version": 3,
        }

    def __del__(self, _free: Any = _free) -> None:
        # Default argument: still bound at interpreter shutdown, when globals may be gone.
        if self._addr:
            _free(self._addr, self._nbytes)


def block(
    shape: tuple[int, ...], typestr: str, strides: tuple[int, ...] | None, nbytes: int
) -> _Block:
    """An object whose __array_interface__ describes a fresh pooled buffer."""
    return _Block(shape, typestr, strides, nbytes)


# NumPy's memory handlers (NEP 49): np.empty allocates through the handler of the
# current context, and the array keeps that handler to free (and resize) its data. Set
# to libraptors' pooled blocks around one np.empty, it gives a result that is NumPy's
# own kind of array -- owndata, base None, resize() works -- on pooled memory, and is
# freed by NumPy in C (no Python finalizer). PyDataMem_SetHandler is reached through
# NumPy's C-API table (_ARRAY_API), whose slots are fixed by NumPy's ABI. Where any of
# it is missing (not CPython, an unexpected NumPy), results fall back to _Block.
class _Allocator(ctypes.Structure):
    _fields_ = [(f, ctypes.c_void_p) for f in ("ctx", "malloc", "calloc", "realloc", "free")]


class _Handler(ctypes.Structure):  # PyDataMem_Handler, version 1
    _fields_ = [
        ("name", ctypes.c_char * 127),
        ("version", ctypes.c_uint8),
        ("allocator", _Allocator),
    ]


_SET_HANDLER_SLOT = 304  # PyDataMem_SetHandler in NumPy's C-API table (NumPy >= 1.22)
HANDLER_NAME = "raptors"


def _numpy_handler() -> tuple[Any, Any] | None:
    """(PyDataMem_SetHandler, a capsule of libraptors' handler), or None where unavailable."""
    if sys.implementation.name != "cpython" or os.environ.get("RAPTORS_DATA_POINTERS") == "1":
        return None
    try:
        import importlib

        mu = importlib.import_module("numpy._core._multiarray_umath")

        c_void_p, c_size_t, py_object = ctypes.c_void_p, ctypes.c_size_t, ctypes.py_object

        def capi(name: str, restype: Any, *argtypes: Any) -> Any:
            # Private prototypes: ctypes.pythonapi's own function objects are shared with
            # every other user in the process, so their argtypes are left alone.
            return ctypes.PYFUNCTYPE(restype, *argtypes)((name, ctypes.pythonapi))

        get_pointer = capi("PyCapsule_GetPointer", c_void_p, py_object, c_void_p)
        table = get_pointer(mu._ARRAY_API, None)
        slot = ctypes.c_void_p.from_address(table + _SET_HANDLER_SLOT * ctypes.sizeof(c_void_p))
        if not slot.value:
            return None
        set_handler = ctypes.PYFUNCTYPE(py_object, py_object)(slot.value)
        fns = [
            ctypes.cast(getattr(_lib, f"raptors_handler_{f}"), c_void_p).value
            for f in ("malloc", "calloc", "realloc", "free")
        ]
        handler = _Handler(HANDLER_NAME.encode(), 1, _Allocator(None, *fns))
        # The handler and the capsule's name must outlive every array that uses them,
        # even at interpreter exit: both are copied to memory that is never freed.
        name = b"mem_handler\0"
        raw_alloc = capi("PyMem_RawMalloc", c_void_p, c_size_t)
        size = ctypes.sizeof(_Handler)
        raw = raw_alloc(size + len(name))
        if not raw:
            return None
        ctypes.memmove(raw, ctypes.addressof(handler), size)
        ctypes.memmove(raw + size, name, len(name))
        capsule_new = capi("PyCapsule_New", py_object, c_void_p, c_void_p, c_void_p)
        capsule = capsule_new(raw, raw + size, None)
        old = set_handler(capsule)
        try:
            ok = mu.get_handler_name() == HANDLER_NAME
        finally:
            set_handler(old)
        return (set_handler, capsule) if ok else None
    except (AttributeError, ImportError, OSError, TypeError, ValueError):
        return None


_HANDLER = _numpy_handler()
#: True when large results are NumPy-owned arrays on pooled memory (NEP 49 handler).
NUMPY_HANDLER = _HANDLER is not None


Order = Literal["C", "F"]


def _make_empty() -> Callable[[tuple[int, ...], Any, Order], np.ndarray[Any, Any]]:
    import numpy as np

    np_empty = np.empty
    if _HANDLER is None:

        def empty_blocks(
            shape: tuple[int, ...], dtype: Any, order: Order = "C"
        ) -> np.ndarray[Any, Any]:
            dt = np.dtype(dtype)
            nbytes = dt.itemsize
            for n in shape:
                nbytes *= n
            strides = None
            if order == "F" and len(shape) > 1:
                step, fs = dt.itemsize, []
                for n in shape:
                    fs.append(step)
                    step *= n
                strides = tuple(fs)
            return np.asarray(_Block(shape, dt.str, strides, nbytes))

        return empty_blocks
    set_handler, capsule = _HANDLER

    def empty(shape: tuple[int, ...], dtype: Any, order: Order = "C") -> np.ndarray[Any, Any]:
        old = set_handler(capsule)
        try:
            return np_empty(shape, dtype, order)
        finally:
            set_handler(old)

    return empty


#: np.empty(shape, dtype, order) on pooled memory: a result of 4 MiB or more.
empty = _make_empty()


def pool_trim() -> int:
    """Unmap every buffer the pool keeps for reuse; returns the bytes released."""
    released: int = _lib.raptors_pool_trim()
    return released


def pool_cached() -> int:
    """Bytes of freed buffers the pool holds for reuse."""
    cached: int = _lib.raptors_pool_cached()
    return cached


def pool_set_limit(nbytes: int) -> int:
    """Keep at most nbytes of freed buffers (the coldest beyond it are unmapped now)."""
    old: int = _lib.raptors_pool_set_limit(nbytes)
    return old


def pool_get_limit() -> int:
    limit: int = _lib.raptors_pool_get_limit()
    return limit


def pool_set_idle_ms(ms: int) -> int:
    """Unmap a freed buffer unused for ms milliseconds; the previous value (EINVAL: ms < 0)."""
    old: int = _lib.raptors_pool_set_idle_ms(ms)
    return old


def pool_get_idle_ms() -> int:
    ms: int = _lib.raptors_pool_get_idle_ms()
    return ms


def refused_settings() -> list[dict[str, str]]:
    """The RAPTORS_* variables whose values the library refused: name, value, instead."""
    text: bytes = _lib.raptors_refused_settings()
    refused: list[dict[str, str]] = json.loads(text.decode())
    return refused


def version() -> str:
    text: bytes = _lib.raptors_version()
    return text.decode()


def build_info() -> dict[str, Any]:
    text: bytes = _lib.raptors_build_info()
    info: dict[str, Any] = json.loads(text.decode())
    return info


def set_num_threads(n: int) -> int:
    status: int = _lib.raptors_set_num_threads(n)
    return status


def get_num_threads() -> int:
    n: int = _lib.raptors_get_num_threads()
    return n


def set_spin_us(us: int) -> int:
    old: int = _lib.raptors_set_spin_us(us)
    return old


def get_spin_us() -> int:
    us: int = _lib.raptors_get_spin_us()
    return us


#: raptors_thread_stats' counts, in the order of RAPTORS_STAT_* (raptors.h).
THREAD_STATS = ("parallel_calls", "woke_workers", "backoffs", "alone_by_backoff")


def thread_stats() -> dict[str, int]:
    counts = (ctypes.c_int64 * len(THREAD_STATS))()
    _lib.raptors_thread_stats(counts, len(THREAD_STATS))
    return dict(zip(THREAD_STATS, counts, strict=True))


def get_simd() -> str:
    name: bytes = _lib.raptors_get_simd()
    return name.decode()


def set_simd(name: str) -> int:
    status: int = _lib.raptors_set_simd(name.encode())
    return status


# Tuning (raptors.h): which variant serves which calls, and the two thresholds. The indices
# are raptors.h's RAPTORS_FAMILY_*, RAPTORS_STORE_*, RAPTORS_REGIME_*, in this order.
FAMILIES = ("scale", "binary", "reduce")
DTYPES = ("f32", "f64")
STORES = ("plain", "stream", "inplace")
REGIMES = ("cache", "llc", "dram")
TUNE_STREAM_ABOVE_BYTES, TUNE_BYTES_PER_THREAD, TUNE_STREAM_ABOVE_BYTES_ONE_THREAD = 0, 1, 2
#: The family number meaning every family (RAPTORS_FAMILY_ALL).
FAMILY_ALL = -1
#: raptors_get_tuning_bytes's "never" (and what set takes for it).
NEVER = (1 << 63) - 1
#: Raw entry points for the tuner's timed closures (a call each, no Python checks).
raw_set_simd = _lib.raptors_set_simd
raw_set_num_threads = _lib.raptors_set_num_threads
raw_set_tuning_bytes = _lib.raptors_set_tuning_bytes


def set_tuning_simd(family: int, dtype: int, store: int, regime: int, name: str | None) -> int:
    status: int = _lib.raptors_set_tuning_simd(
        family, dtype, store, regime, None if name is None else name.encode()
    )
    return status


def get_tuning_simd(family: int, dtype: int, store: int, regime: int) -> str | None:
    name: bytes | None = _lib.raptors_get_tuning_simd(family, dtype, store, regime)
    return None if name is None else name.decode()


def set_tuning_bytes(which: int, nbytes: int, family: int = FAMILY_ALL) -> int:
    status: int = _lib.raptors_set_tuning_bytes(which, family, nbytes)
    return status


def get_tuning_bytes(which: int, family: int = FAMILY_ALL) -> int:
    value: int = _lib.raptors_get_tuning_bytes(which, family)
    return value


def clear_tuning() -> None:
    _lib.raptors_clear_tuning()
