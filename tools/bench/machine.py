"""The benchmark machine's identity: a name and asv machine info that say which processor type
measured a result, derived from the processor at run time (never from the host name).

    python tools/bench/machine.py          the name, e.g. amd-zen4-f25m17-2cpu
    python tools/bench/machine.py --json   the asv machine info (machine, cpu, arch, num_cpu, ...)

The rules (vendor, microarchitecture, family/model or Arm part, usable CPUs) are raptors/_cpu.py's,
the one module that also keys a tuning by processor type. It is loaded by its path: this runs
under the host's Python (`make bench-machine`), where the package need not be importable.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "raptors", "_cpu.py")
_spec = importlib.util.spec_from_file_location("raptors_cpu", _PATH)
cpu = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cpu)

#: asv machine info for this processor type (its arguments stand in for the host in tests).
identify = cpu.machine_info


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    info = identify()
    print(json.dumps(info, indent=1) if "--json" in argv else info["machine"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
