"""Smoke test of the emulated AArch64 Python: `make arm64-python ARGS=tools/arm64/hello.py`."""

import platform
import subprocess
import sys

import hypothesis
import numpy as np
import pytest

print("machine:", platform.machine(), "| python", platform.python_version(), "|", sys.executable)
print(
    "numpy", np.__version__, "| pytest", pytest.__version__, "| hypothesis", hypothesis.__version__
)
x = np.arange(1, 9, dtype=np.float32)
print("numpy says 2.5 * [1..8] =", (x * np.float32(2.5)).tolist())
child = subprocess.run(
    [sys.executable, "-c", "import platform; print(platform.machine())"],
    capture_output=True,
    text=True,
    check=True,
)
print("a subprocess of sys.executable runs on:", child.stdout.strip())
try:
    import raptors
except Exception as exc:  # raptors not built / not on the path: the interpreter still works
    print("raptors: not importable here:", exc)
else:
    info = raptors.build_info()
    print(
        "raptors",
        info.get("version"),
        "| simd:",
        info.get("simd"),
        "| available:",
        info.get("simd_available"),
        "| compiler:",
        info.get("compiler"),
    )
    y = raptors.scale(x, 2.5)
    print(
        "raptors.scale matches numpy bit for bit:",
        np.array_equal(y.view(np.uint32), (x * np.float32(2.5)).view(np.uint32)),
    )
