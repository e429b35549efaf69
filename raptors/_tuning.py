"""The tuning in effect: found, checked and applied when raptors is imported.

`python -m raptors tune` (raptors/_tune/) measures on this machine which SIMD variant serves
each operation family, dtype, store kind and size regime best, and the two thresholds (bytes
moved above which stores stream, bytes per thread), and writes them to a small JSON file per
processor type: $XDG_CACHE_HOME/raptors/tuning-<key>.json (~/.cache/raptors/... when
XDG_CACHE_HOME is unset; ~/Library/Caches/raptors on macOS), where the key names the CPU
(vendor, family, model, L2 and L3 sizes, the SIMD variants it runs; raptors/_cpu.py spells it).
RAPTORS_TUNING=<path> uses another file instead (and `tune` writes there); RAPTORS_TUNING=off
uses none.

The package reads the file and hands the decisions to libraptors through raptors_set_tuning_*
(raptors.h). Reading it here rather than in C: the file is JSON (the standard library parses it,
C would need a parser of its own), the cache directory's rules (XDG, macOS) and the CPU key
are a few lines of Python, and a C user who wants a tuning calls the same three entry points.
A file that is missing, unreadable, of another format or naming a variant this CPU cannot run
leaves the derived defaults in place (with a RuntimeWarning for a broken one): a tuning can
only ever change speed, never a result, so being without one is always safe.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _cpu, _ffi, _warn

#: Version of the file's layout; a file of another one is ignored (re-run the tuner).
FORMAT = 1
ENV = "RAPTORS_TUNING"
OFF_VALUES = ("off", "0", "none", "no", "false")
#: Environment variables that override a tuning's thresholds (and would falsify a tuner run).
THRESHOLD_ENV = ("RAPTORS_STREAM_MIN_BYTES", "RAPTORS_MIN_BYTES_PER_THREAD")


def cpu_identity() -> dict[str, Any]:
    """What a tuning is keyed by: the processor type and the caches and variants the library
    reads."""
    info = _ffi.build_info()
    return {
        **_cpu.processor(),
        "l2_bytes": int(info.get("l2_bytes", 0)),
        "l3_bytes": int(info.get("l3_bytes", 0)),
        "simd_available": [s for s in str(info.get("simd_available", "")).split(",") if s],
    }


def cpu_key(ident: dict[str, Any] | None = None) -> str:
    """This processor type's key (or ident's), e.g.
    AuthenticAMD-25-17-L2_1M-L3_32M-avx512+avx2+scalar."""
    return _cpu.tuning_key(ident or cpu_identity())


def cache_dir() -> Path:
    """Where tunings are kept: $XDG_CACHE_HOME/raptors, else ~/.cache/raptors
    (~/Library/Caches/raptors on macOS)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "raptors"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "raptors"
    return Path.home() / ".cache" / "raptors"


def default_path(key: str | None = None) -> Path:
    return cache_dir() / f"tuning-{key or cpu_key()}.json"


def env_setting() -> str:
    return os.environ.get(ENV, "").strip()


def is_off() -> bool:
    return env_setting().lower() in OFF_VALUES


def tuning_path() -> Path:
    """The file a tuning is read from and written to: RAPTORS_TUNING's, else this CPU's in the
    cache directory."""
    env = env_setting()
    if env and not is_off():
        return Path(env).expanduser()
    return default_path()


class TuningError(ValueError):
    """A tuning file that cannot be applied (the library keeps its derived defaults)."""


def _cell(name: str) -> tuple[int, int, int, int]:
    parts = name.split(".")
    if len(parts) != 4:
        raise TuningError(f"bad cell {name!r} (family.dtype.store.regime)")
    try:
        return (
            _ffi.FAMILIES.index(parts[0]),
            _ffi.DTYPES.index(parts[1]),
            _ffi.STORES.index(parts[2]),
            _ffi.REGIMES.index(parts[3]),
        )
    except ValueError:
        raise TuningError(f"bad cell {name!r} (family.dtype.store.regime)") from None


def _bytes_value(value: Any, what: str) -> int:
    if value == "never":
        return _ffi.NEVER
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TuningError(f"{what} must be a byte count or 'never', got {value!r}")
    return min(value, _ffi.NEVER)


THRESHOLDS = {
    "stream_above_bytes": _ffi.TUNE_STREAM_ABOVE_BYTES,
    "stream_above_bytes_one_thread": _ffi.TUNE_STREAM_ABOVE_BYTES_ONE_THREAD,
    "bytes_per_thread": _ffi.TUNE_BYTES_PER_THREAD,
}


def _thresholds(dec: dict[str, Any], key: str) -> dict[int, int]:
    """{family number (FAMILY_ALL: every family): bytes} of one threshold: a number (every
    family) or an object by family name ("all": every family)."""
    value = dec.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        return {_ffi.FAMILY_ALL: _bytes_value(value, key)}
    out = {}
    for fam, v in value.items():
        if fam == "all":
            out[_ffi.FAMILY_ALL] = _bytes_value(v, f"{key}.all")
        elif fam in _ffi.FAMILIES:
            out[_ffi.FAMILIES.index(fam)] = _bytes_value(v, f"{key}.{fam}")
        else:
            raise TuningError(f"{key}: unknown family {fam!r}")
    return out


def validate(doc: Any) -> dict[str, Any]:
    """The decisions of a tuning document, checked; TuningError otherwise."""
    if not isinstance(doc, dict):
        raise TuningError("not a JSON object")
    if doc.get("format") != FORMAT:
        raise TuningError(f"format {doc.get('format')!r}, this raptors reads format {FORMAT}")
    dec = doc.get("decisions")
    if not isinstance(dec, dict):
        raise TuningError("no 'decisions' object")
    simd = dec.get("simd", {})
    if not isinstance(simd, dict) or not all(isinstance(v, str) for v in simd.values()):
        raise TuningError("'decisions.simd' must map cells to variant names")
    for cell in simd:
        _cell(cell)
    for k in THRESHOLDS:
        _thresholds(dec, k)
    return dec


def apply(doc: dict[str, Any]) -> None:
    """Hand a tuning's decisions to libraptors, replacing any earlier tuning. All or nothing: a
    variant this CPU cannot run leaves the library untuned (TuningError)."""
    dec = validate(doc)
    _ffi.clear_tuning()
    try:
        for cell, name in dec.get("simd", {}).items():
            if _ffi.set_tuning_simd(*_cell(cell), name) != 0:
                raise TuningError(f"{cell}: variant {name!r} is unknown or unsupported here")
        for key, which in THRESHOLDS.items():
            for fam, v in _thresholds(dec, key).items():
                _ffi.set_tuning_bytes(which, v, fam)
    except BaseException:
        _ffi.clear_tuning()
        raise


def read(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            doc: Any = json.load(f)
    except (OSError, ValueError) as exc:
        raise TuningError(f"cannot read {path}: {exc}") from exc
    validate(doc)
    assert isinstance(doc, dict)
    return doc


def write(doc: dict[str, Any], path: Path) -> None:
    """Atomically (a process importing raptors meanwhile reads the old file or the new one)."""
    validate(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


@dataclass
class Status:
    """Which tuning is in effect and where it came from."""

    state: str  # "tuned", "default" (no file for this CPU), "off", "ignored" (a broken file)
    path: str  # the file applied, looked for, or ignored ("" when off)
    detail: str  # one line for people

    measured: str = ""  # when a tuning in effect was measured

    def summary(self) -> str:
        return f"{self.state}: {self.detail}"

    def ident(self) -> str:
        """Short and stable, for provenance records: 'tuned <when>', 'default', 'off'..."""
        return f"tuned {self.measured}" if self.state == "tuned" else self.state


STATUS = Status("default", "", "not applied yet")


def _tuned_detail(doc: dict[str, Any], path: Path, key: str) -> str:
    where = f"{ENV}={path}" if env_setting() else str(path)
    when = str(doc.get("measured", "?"))
    cpu = doc.get("cpu")
    for_cpu = _cpu.describe(cpu) if isinstance(cpu, dict) and "vendor" in cpu else "?"
    other = "" if doc.get("key") == key else f" (measured on another CPU type: {doc.get('key')})"
    return f"measured {when} on {for_cpu}{other}, from {where}"


def load_at_import() -> Status:
    """Apply the tuning for this CPU, if there is one; never raises."""
    global STATUS
    try:
        if is_off():
            _ffi.clear_tuning()
            STATUS = Status("off", "", f"derived defaults ({ENV}={env_setting()})")
            return STATUS
        key = cpu_key()
        path = tuning_path()
        if not env_setting() and not path.is_file():
            STATUS = Status(
                "default",
                str(path),
                f"derived defaults (no tuning for this CPU type yet: python -m raptors tune "
                f"writes {path})",
            )
            return STATUS
        doc = read(path)
        apply(doc)
        STATUS = Status(
            "tuned", str(path), _tuned_detail(doc, path, key), str(doc.get("measured", "?"))
        )
    except Exception as exc:  # a tuning is never worth a failed import
        STATUS = Status("ignored", str(tuning_path()), f"derived defaults ({exc})")
        _warn.warn(
            f"raptors: tuning ignored, using the derived defaults: {exc} "
            f"(`python -m raptors tune` writes a new one; {ENV}=off silences this)"
        )
    return STATUS
