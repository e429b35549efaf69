"""`python -m raptors`: what a bug report needs, as numpy.show_config() prints it.

Text by default; `--json` for one JSON object with the same content.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from typing import Union

import numpy as np

from . import __version__, _ffi, _threadpool, build_info

# What build_info() and the JSON hold: strings, numbers, lists, nested sections.
Value = Union[str, int, bool, None, list[str], dict[str, "Value"]]

# build_info() keys in the order and with the labels the text report uses.
LIBRARY_LABELS = {
    "library": "path",
    "version": "version",
    "abi_version": "ABI version",
    "compiler": "compiler",
    "cflags": "flags",
    "target": "target",
    "git_commit": "git commit",
}
CACHE_LABELS = {"l1d_bytes": "L1d", "l2_bytes": "L2", "l3_bytes": "L3"}
RUNTIME_KEYS = {
    "simd",
    "simd_available",
    "num_threads",
    "platform",
    "spin_us",
    "pool_max_bytes",
    "pool_idle_ms",
}
TUNING_KEYS = {
    "tuning",
    "tuning_id",
    "tuning_file",
    "tuning_simd",
    "stream_above_bytes",
    "stream_above_from",
    "bytes_per_thread",
    "bytes_per_thread_from",
}


def _threadpoolctl_version() -> str | None:
    try:
        import threadpoolctl
    except ImportError:
        return None
    return str(threadpoolctl.__version__)


def collect() -> dict[str, Value]:
    """Everything the report shows, grouped in sections."""
    library: dict[str, Value] = build_info()
    return {
        "raptors": {"version": __version__, "abi_version": _ffi.ABI_VERSION},
        # Verbatim: keys added to the library's build_info() show up here unchanged.
        "library": library,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "numpy": {"version": np.__version__},
        "platform": {"system": platform.platform(), "machine": platform.machine()},
        "threadpoolctl": {
            "version": _threadpoolctl_version(),
            "raptors_registered": _threadpool.registered,
        },
    }


def _size(nbytes: Value) -> str:
    if not isinstance(nbytes, int) or nbytes <= 0:
        return "unknown"  # the library reports 0 when the OS does not say
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if nbytes >= 1 << shift and nbytes % (1 << shift) == 0:
            return f"{nbytes >> shift} {unit}"
    return f"{nbytes} bytes"


def _text(value: Value) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return "unknown" if value is None else str(value)


def _threadpoolctl_text(tpc: dict[str, Value]) -> str:
    if tpc["version"] is None:
        return "not installed"
    if tpc["raptors_registered"]:
        return f"{tpc['version']} (sees and limits Raptors' thread pool)"
    return f"{tpc['version']} (too old to register Raptors' pool: 3.2 or later needed)"


def format_report(report: dict[str, Value]) -> str:
    """The report as indented text, one fact per line."""

    def section(name: str) -> dict[str, Value]:
        value = report[name]
        assert isinstance(value, dict)
        return value

    package, library, python = section("raptors"), section("library"), section("python")
    lines = [
        "Raptors (the Python package):",
        f"  version: {package['version']}",
        f"  ABI version: {package['abi_version']}",
        "libraptors (the library it loaded):",
        *(f"  {label}: {_text(library.get(key))}" for key, label in LIBRARY_LABELS.items()),
        "SIMD:",
        f"  selected: {_text(library.get('simd'))}",
        f"  available on this CPU: {_text(library.get('simd_available'))}",
        f"Threads: {_text(library.get('num_threads'))}",
        f"  idle workers spin: {_text(library.get('spin_us'))} us",
        f"Buffer pool: keeps up to {_size(library.get('pool_max_bytes'))}, "
        f"each block {_text(library.get('pool_idle_ms'))} ms unused",
        "Caches (read at run time):",
        *(f"  {label}: {_size(library.get(key))}" for key, label in CACHE_LABELS.items()),
    ]
    if "tuning" in library:

        def per_family(key: str) -> str:
            value = library.get(key)
            if not isinstance(value, dict):
                return _text(value)
            sizes = ("never" if v == -1 else _size(v) for v in value.values())
            return ", ".join(f"{k} {s}" for k, s in zip(value, sizes))

        lines += [
            f"Tuning: {_text(library.get('tuning'))}",
            "  variants moved by it: " + (_text(library.get("tuning_simd")) or "none"),
            f"  streaming stores above (bytes moved): {per_family('stream_above_bytes')}"
            f" ({_text(library.get('stream_above_from'))})",
            f"  bytes per thread: {per_family('bytes_per_thread')}"
            f" ({_text(library.get('bytes_per_thread_from'))})",
        ]
    known = LIBRARY_LABELS.keys() | CACHE_LABELS.keys() | RUNTIME_KEYS | TUNING_KEYS
    extra = [key for key in library if key not in known]
    if extra:  # reported by a newer library than this script knows
        lines += ["More from the library:", *(f"  {k}: {_text(library[k])}" for k in extra)]
    lines += [
        f"Python: {python['version']} ({python['implementation']}) {python['executable']}",
        f"NumPy: {section('numpy')['version']}",
        f"Platform: {section('platform')['system']}",
        f"threadpoolctl: {_threadpoolctl_text(section('threadpoolctl'))}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["tune"]:
        from ._tune import cli

        return cli.main(args_in[1:])
    parser = argparse.ArgumentParser(
        prog="python -m raptors",
        description="Show the Raptors build and run-time configuration (for bug reports). "
        "`python -m raptors tune` measures this machine's tuning (tune --help).",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(args_in)
    report = collect()
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
