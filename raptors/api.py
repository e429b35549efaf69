"""The public API of Raptors: scale, threads, SIMD variant, build information."""

from __future__ import annotations

import numbers
import platform
import warnings
from typing import Any

import numpy as np

from . import _ffi, _fpe, _tuning, _warn
from ._inputs import check_out, refuse_overrides

__all__ = [
    "build_info",
    "get_num_threads",
    "get_pool",
    "get_simd",
    "get_spin_us",
    "pool_cached",
    "pool_trim",
    "scale",
    "set_num_threads",
    "set_pool",
    "set_simd",
    "set_spin_us",
    "thread_stats",
]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_I32, _I64 = np.dtype(np.int32), np.dtype(np.int64)
_SUPPORTED = (_F32, _F64, _I32, _I64)
_ndarray, _empty, _asarray, _id = np.ndarray, np.empty, np.asarray, id
from ._ffi import CALL_ARRAYS as _ARRAYS  # noqa: E402
from ._ffi import HOLD_GIL_MAX_BYTES as _HOLD_GIL_MAX_BYTES  # noqa: E402
from ._ffi import call as _call  # noqa: E402
from ._ffi import call_packed as _call_packed  # noqa: E402
from ._ffi import call_packed_held as _call_held  # noqa: E402
from ._ffi import empty as _pooled  # noqa: E402
from ._ffi import thread_state as _TLS  # noqa: E402

_OFF: int = _ffi.DATA_OFFSET or 0  # used only where _ARRAYS is set
_SCALE = _ffi.OPS["scale"]
_F32_OVERFLOW = _fpe.F32_OVERFLOW
_DTYPE_CODE = {dt: _ffi.DTYPE_CODES[dt.name] for dt in _SUPPORTED}  # (dtype.name is slow)
# The fast path per dtype of x: its call code, the factor types it takes -- float() of
# each is exact, struct then rounds that double to x's dtype once, as x.dtype.type(factor)
# does, and none promotes x (np.float64 does promote float32: NEP 50, the general path) --
# and the packer of its block.
_FAST = {
    dt: (
        _ARRAYS | _SCALE | _ffi.CALL_CONTIG | _ffi.CALL_SCALAR_Y | _ffi.CALL_Y_VALUE | code,
        (float, np.float32) if dt == _F32 else (float, np.float32, np.float64),
        _ffi.pack_scalar_y[dt.name],
    )
    for dt, code in _DTYPE_CODE.items()
    if dt.kind == "f"
}
# New arrays of at least this many bytes come from libraptors' buffer pool
# (no page faults or zeroing on reuse). Below it malloc reuses its heap without
# faults, and the pool's Python wrapper (a few us: the block object, NumPy
# reading its __array_interface__, the finalizer) costs more than it saves
# (measured: 0.76 vs NumPy at 1 MiB pooled).
POOL_MIN_BYTES = 4 << 20
_SUPPORTED_NAMES = "float32, float64, int32 and int64"


def _check_dtype(dtype: np.dtype) -> None:
    """TypeError unless x is float32, float64, int32 or int64 (either byte order)."""
    if dtype.newbyteorder("=") not in _SUPPORTED:
        raise TypeError(f"raptors.scale supports {_SUPPORTED_NAMES} arrays only, got dtype {dtype}")


def _result_dtype(dtype: np.dtype, factor: Any) -> np.dtype:
    """The dtype of np.multiply(x, factor) for x of this dtype (NEP 50): a Python scalar is
    weak and takes x's; a NumPy scalar or 0-d array is strong and promotes."""
    native = dtype.newbyteorder("=")
    if not isinstance(factor, (np.generic, np.ndarray)):
        if native.kind == "i" and isinstance(factor, float):
            return _F64  # an integer x times a Python float: float64, as np.multiply
        return native
    fdt = factor.dtype
    if fdt.kind not in "biuf" or (isinstance(factor, np.ndarray) and factor.ndim != 0):
        raise TypeError(
            f"raptors.scale: factor must be a real number (int or float), got "
            f"{type(factor).__name__} of dtype {fdt}"
            + (f" and shape {factor.shape}" if isinstance(factor, np.ndarray) else "")
        )
    result = np.result_type(native, fdt)
    if result not in _SUPPORTED:
        raise TypeError(
            f"raptors.scale: x times a factor of dtype {fdt} is {result}; "
            f"raptors.scale supports {_SUPPORTED_NAMES} results"
        )
    return result


def _factor(factor: Any, dtype: np.dtype) -> float | int:
    """The factor in the result's dtype, converted exactly as np.multiply(x, factor) does
    (an integer result: an int, NumPy's OverflowError for a Python int that does not fit)."""
    if isinstance(factor, np.ndarray) and factor.ndim == 0 and factor.dtype.kind in "biuf":
        factor = factor[()]
    if dtype.kind == "i":
        if isinstance(factor, (int, np.integer, np.bool_)):
            return int(dtype.type(factor))
    elif isinstance(factor, (numbers.Real, np.bool_)) and not isinstance(factor, np.timedelta64):
        # NumPy's own cast ("overflow encountered in cast" as np.errstate says), its warning
        # told again at the caller's line.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = float(dtype.type(factor))
        for w in caught:
            _warn.warn(str(w.message), w.category)
        return value
    raise TypeError(
        f"raptors.scale: factor must be a real number (int or float), got {type(factor).__name__}"
    )


def _new_like(x: np.ndarray) -> np.ndarray:
    """An uninitialised array like x (its memory order), pooled when large."""
    if x.nbytes >= POOL_MIN_BYTES and (x.flags.c_contiguous or x.flags.f_contiguous):
        return _pooled(x.shape, x.dtype, "C" if x.flags.c_contiguous else "F")
    return np.empty_like(x)


def scale(x: Any, factor: Any, out: np.ndarray | None = None) -> np.ndarray:
    """Return ``factor * x`` elementwise, computed by libraptors.

    The result equals ``np.multiply(x, factor)`` bit for bit (for a float ``x``:
    ``np.multiply(x, x.dtype.type(factor))``), special values (±0, ±inf, NaN,
    subnormals) included; integers wrap modulo 2^bits, as NumPy's do.

    Parameters
    ----------
    x : array_like of float32, float64, int32 or int64
        Any layout: C or Fortran order, sliced, transposed, negative strides,
        0-d or empty. Other dtypes raise ``TypeError``.
    factor : real number
        As in ``np.multiply(x, factor)`` (NumPy 2, NEP 50): a Python int, float
        or bool takes a float ``x``'s dtype, so it does not promote a float32
        array. With an int32/int64 ``x``, a Python int or bool keeps ``x``'s
        dtype (``OverflowError`` if it does not fit, NumPy's words) and a Python
        float gives a float64 result (``x`` converted to float64 as NumPy's
        loop does). A NumPy scalar or 0-d array keeps its own dtype and promotes
        as NumPy does (``np.float64(0.1)`` or ``np.int64(3)`` with float32 ``x``
        give float64; ``np.int64(3)`` with int32 ``x`` int64). Strings, None,
        complex raise ``TypeError``.
    out : numpy.ndarray, optional
        Where to write: ``x`` itself (in place) or any writable array of the
        same shape and dtype, strided too; only its elements are written.
        If it overlaps ``x`` partially, the result is as if ``x`` were copied
        first. Wrong shape or read-only: ``ValueError``; wrong dtype or not an
        ndarray: ``TypeError``.

    Returns
    -------
    numpy.ndarray
        ``out`` if given, else a new array with the result's dtype and
        ``x``'s shape and memory order (a 0-d array for 0-d input).
    """
    # Fast path: an exact ndarray of native float32 or float64 and a float factor -- a
    # Python float (within float32's range for a float32 x: else the general path warns as
    # NumPy does), or a NumPy float scalar that does not promote x -- packed into the block
    # as its value; libraptors takes the call if x and out (a new one, x itself, or another
    # of x's shape and dtype object) are C-contiguous and aligned, out writeable (ELAYOUT:
    # not, nothing written). Anything else takes the general path below.
    if type(x) is _ndarray and _ARRAYS:
        dt = x.dtype
        fast = _FAST.get(dt)
        if (
            fast is not None
            and type(factor) in fast[1]
            and (dt is _F64 or type(factor) is not float or -_F32_OVERFLOW < factor < _F32_OVERFLOW)
        ):
            y: np.ndarray | None = None
            nbytes = x.nbytes
            if out is None:
                y = _pooled(x.shape, dt, "C") if nbytes >= POOL_MIN_BYTES else _empty(x.shape, dt)
            elif type(out) is _ndarray:
                y = out
            if y is not None:
                call = _call_held if nbytes <= _HOLD_GIL_MAX_BYTES else _call_packed
                rc = call(fast[2](fast[0], _OFF, _id(x), factor, _id(y)))
                if not rc:
                    return y
                if rc > 0:
                    _fpe.report(rc, "multiply")
                    return y
                if rc != _ffi.EOVERLAP and rc != _ffi.ELAYOUT:
                    _ffi.check(rc, "scale")
                # Not the simple case, or a partial overlap with out (nothing written):
                # the general path checks, copies and raises as NumPy would.

    if type(x) is not np.ndarray:
        refuse_overrides(x, "scale", "input")
        x = np.asarray(x)
    _check_dtype(x.dtype)
    result = _result_dtype(x.dtype, factor)
    a = _factor(factor, result)
    same = not x.dtype.isnative and result == x.dtype.newbyteorder("=")
    if same and isinstance(out, np.ndarray) and out.dtype == x.dtype:
        # out has x's own non-native dtype: compute natively, store byte-swapped.
        check_out(out, "scale", x.dtype, x.shape)
        out[...] = scale(x, a)
        return out
    if x.dtype != result:
        x = x.astype(result)  # native, or float32 widened exactly, as NumPy's loop does
    if out is None:
        out = _new_like(x)
    else:
        check_out(out, "scale", x.dtype, x.shape)
    if x.size == 0:
        return out
    rc = _scale_call(x, a, out)
    if rc == _ffi.EOVERLAP:
        # out overlaps x other than as the very same view: read x from a copy, as NumPy.
        rc = _scale_call(x.copy(), a, out)
    _fpe.done(rc, "scale", "multiply")
    return out


def _scale_call(x: np.ndarray, factor: float, out: np.ndarray) -> int:
    """One general call: x times the factor (a 0-d operand in this thread's cell)."""
    blk = _TLS.block
    code = _SCALE | _DTYPE_CODE[x.dtype]
    if x.dtype.kind == "i":
        cell = (blk.int_scalar(int(factor), x.dtype == _I64), (), ())
    else:
        cell = (blk.scalar(factor, x.dtype == _F64), (), ())
    x_operand = (_ffi.address(x), x.shape, x.strides)
    _ffi.encode(blk, code, x.shape, x_operand, cell, (_ffi.address(out), out.strides))
    rc: int = _call(blk.addr)
    return rc


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads per call (1 <= n <= 256). Calls on small arrays use fewer."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"raptors.set_num_threads: n must be an int, got {type(n).__name__}")
    if not 1 <= n <= _ffi.MAX_THREADS:
        raise ValueError(f"raptors.set_num_threads: n must be in [1, {_ffi.MAX_THREADS}], got {n}")
    _ffi.set_num_threads(int(n))


def get_num_threads() -> int:
    """Threads a call may use: set_num_threads, else $RAPTORS_NUM_THREADS, else the usable CPUs."""
    return _ffi.get_num_threads()


#: The largest spin time set_spin_us takes (1 s), as RAPTORS_SPIN_US.
MAX_SPIN_US = 1_000_000


def set_spin_us(us: int) -> None:
    """How long (microseconds) an idle worker thread stays awake after a call, at least; 0 to
    1,000,000.

    A call within that time finds the workers awake (about 1 us to start them); after it
    they sleep and the next call wakes them (tens of us, 80-150 us on some VMs), but no CPU is
    burnt between sparse calls. While calls keep arriving soon after the workers fell asleep,
    each worker doubles its spin time (up to 10,000, or `us` if more); it halves back to `us`
    when they stop. 0 never spins. Default 1000; ``RAPTORS_SPIN_US=n`` or
    ``RAPTORS_WAIT_POLICY=passive`` (0) or ``active`` (10,000) set it at load time.
    """
    us = _whole(us, "set_spin_us", "us")
    if us > MAX_SPIN_US:
        raise ValueError(f"raptors.set_spin_us: us must be at most {MAX_SPIN_US}, got {us}")
    _ffi.set_spin_us(us)


def get_spin_us() -> int:
    """How long (microseconds) an idle worker stays awake after a call, at least (see
    set_spin_us)."""
    return _ffi.get_spin_us()


def thread_stats() -> dict[str, int]:
    """What the thread pool did since the library loaded, to diagnose thread use: calls that
    handed work to the workers (``parallel_calls``), those of them that found a worker asleep
    and had to wake it (``woke_workers``: the spin time was shorter than the gap between
    calls), calls that ran slower than the caller alone would have (``backoffs``: a worker
    preempted by another program), and calls the back-off then ran on one thread
    (``alone_by_backoff``)."""
    return _ffi.thread_stats()


def _whole(value: Any, fname: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"raptors.{fname}: {what} must be an int, got {type(value).__name__}")
    if not 0 <= value < 1 << 63:
        raise ValueError(f"raptors.{fname}: {what} must be in [0, 2**63), got {value}")
    return int(value)


def set_pool(max_bytes: int | None = None, idle_ms: int | None = None) -> None:
    """Set how much freed result memory the buffer pool keeps, and for how long.

    New results of 4 MiB or more come from a pool; when such a result and its views
    are gone, its buffer is kept for the next result of its size (no page faults,
    no zeroing) -- at most ``max_bytes`` in all (default 256 MiB, or
    ``$RAPTORS_POOL_BYTES``), and each for at most ``idle_ms`` milliseconds unused
    (default 1000, or ``$RAPTORS_POOL_IDLE_MS``): then a background thread returns it
    to the system, with no further call needed. 0 keeps none. A value left as None
    is unchanged. Lowering either returns what no longer fits at once.
    """
    if max_bytes is not None:
        _ffi.pool_set_limit(_whole(max_bytes, "set_pool", "max_bytes"))
    if idle_ms is not None:
        _ffi.pool_set_idle_ms(_whole(idle_ms, "set_pool", "idle_ms"))


def get_pool() -> dict[str, int]:
    """The buffer pool's settings and state: max_bytes, idle_ms, cached_bytes."""
    return {
        "max_bytes": _ffi.pool_get_limit(),
        "idle_ms": _ffi.pool_get_idle_ms(),
        "cached_bytes": _ffi.pool_cached(),
    }


def pool_cached() -> int:
    """Bytes of freed results the buffer pool holds for reuse now."""
    return _ffi.pool_cached()


def pool_trim() -> int:
    """Return every buffer the pool holds for reuse to the system now; the bytes released."""
    return _ffi.pool_trim()


def get_simd() -> str:
    """The SIMD variant the kernels use now: 'avx512', 'avx2', 'neon' or 'scalar'."""
    return _ffi.get_simd()


def set_simd(name: str) -> None:
    """Force a SIMD variant by name, or 'auto' for the best this CPU supports.

    A named variant serves every call, whatever a tuning (``python -m raptors
    tune``) chose per size; 'auto' gives the tuning's choices back. Raises
    ``ValueError`` for a name this build or CPU cannot run. The environment
    variable RAPTORS_SIMD does the same at load time.
    """
    if not isinstance(name, str):
        raise TypeError(f"raptors.set_simd: name must be a str, got {type(name).__name__}")
    if _ffi.set_simd(name) != 0:
        available = build_info()["simd_available"]
        raise ValueError(
            f"raptors.set_simd: {name!r} is not available here; choose from "
            f"auto, {', '.join(available)}"
        )


def build_info() -> dict[str, Any]:
    """What the library was built with and how it runs now.

    Keys: version, abi_version, compiler, cflags, target, git_commit, simd (the
    variant in use), simd_available, num_threads, spin_us (set_spin_us),
    pool_max_bytes and pool_idle_ms (set_pool), l1d_bytes, l2_bytes,
    l3_bytes, library (its path), platform (machine architecture); the tuning:
    tuning (which one is in effect and where it came from: "tuned: ...",
    "default: ...", "off: ..." or "ignored: ..."), tuning_id (short: "tuned <when>",
    "default", "off", "ignored"), tuning_file, tuning_simd
    (the calls a tuning moved to another variant, family.dtype.store.regime=name,
    comma-separated), stream_above_bytes and bytes_per_thread (the thresholds in
    effect, in bytes moved per call, by family -- scale, binary, reduce -- and
    "all" for calls that name none; stream_above_bytes -1: never) with
    stream_above_from and bytes_per_thread_from ("derived", "tuning" or
    "environment").
    """
    info = _ffi.build_info()
    info["simd_available"] = [s for s in info["simd_available"].split(",") if s]
    stream = info.get("stream_above_bytes")
    if isinstance(stream, dict):
        info["stream_above_bytes"] = {k: -1 if v == _ffi.NEVER else v for k, v in stream.items()}
    info["library"] = _ffi.LIBRARY_PATH
    info["platform"] = platform.machine()
    info["tuning"] = _tuning.STATUS.summary()
    info["tuning_id"] = _tuning.STATUS.ident()
    info["tuning_file"] = _tuning.STATUS.path
    return info


def _check_environment() -> None:
    """Say which RAPTORS_* settings the library refused, and what it uses instead."""
    for r in _ffi.refused_settings():
        _warn.warn(
            f"raptors: {r['name']}={r['value']!r} is refused (it takes {r['takes']}); "
            f"using {r['instead']}"
        )


_check_environment()
