"""`make sanitize` first proves the sanitizers are live: the library loaded is
the instrumented build, and a deliberate out-of-bounds call through the C entry
point (101 elements of a 100-element buffer) is caught by AddressSanitizer in a
child process. Exits non-zero, saying why, if either is not so."""

import os
import subprocess
import sys

import raptors

CHILD = """
import numpy as np
from raptors import _ffi
x = np.ones(100, np.float32)
y = np.empty(100, np.float32)
_ffi.scale_contig["float32"](x.ctypes.data, y.ctypes.data, 101, 2.0)
print("NOT CAUGHT")
"""


def main() -> int:
    info = raptors.build_info()
    flags = info["cflags"]
    if "-fsanitize=address,undefined" not in flags:
        print(
            f"sanitize: {info['library']} is not a sanitizer build (cflags: {flags})",
            file=sys.stderr,
        )
        return 1
    r = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, env=os.environ
    )
    if r.returncode == 0 or "heap-buffer-overflow" not in r.stderr:
        print(
            "sanitize: AddressSanitizer did not catch a deliberate out-of-bounds read:\n"
            f"exit {r.returncode}\n{r.stdout}\n{r.stderr[-3000:]}",
            file=sys.stderr,
        )
        return 1
    print(
        f"sanitize: {info['library']} is instrumented and ASan catches an out-of-bounds "
        f"read (simd={info['simd']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
