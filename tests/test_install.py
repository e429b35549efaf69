"""`pip install .` ships the compiled library inside the package: the wheel
imports from any directory, with no source tree on the path."""

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_wheel_installs_and_imports_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            ROOT,
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("raptors-*.whl")
    # Platform-specific (it holds a native library), for any Python 3 (ctypes loads it).
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert wheel.name.endswith(f"-py3-none-{platform}.whl"), wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("raptors/libraptors.") for n in names), names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "RAPTORS_LIBRARY"}
    env["PYTHONPATH"] = str(target)
    code = (
        "import raptors, numpy as np; x = np.arange(5, dtype=np.float32);"
        "assert (raptors.scale(x, 2) == x * 2).all(); print(raptors.__file__)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=str(elsewhere),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(str(target))
