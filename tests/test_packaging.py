"""Packaging: the wheel from the tree, the sdist round trip in a fresh virtualenv, the wheel's
platform tag, and the one place where versions are pinned (requirements/constraints.txt)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
# Tied to the platform (a native library inside), not to a CPython ABI (ctypes loads it).
WHEEL_TAG = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")


def pins() -> dict[str, Version]:
    """name -> pinned version, from requirements/constraints.txt."""
    found: dict[str, Version] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier  # exactly one `==` per line
        assert spec.operator == "==", line
        found[req.name.lower()] = Version(spec.version)
    return found


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def test_every_development_requirement_is_pinned_in_constraints():
    extras = pyproject()["project"]["optional-dependencies"]
    pinned = pins()
    for extra, names in extras.items():
        for name in names:
            req = Requirement(name)
            if req.name == "raptors":  # dev = raptors[test,lint,...]
                assert req.extras <= set(extras), (extra, name)
                continue
            assert not req.specifier, f"{extra}: {name}: versions belong in {CONSTRAINTS.name}"
            assert req.name.lower() in pinned, f"{extra}: {name} is not pinned in {CONSTRAINTS}"


def test_pins_satisfy_the_declared_ranges():
    """The runtime dependency and the build backend's range admit the pinned versions."""
    pinned = pins()
    data = pyproject()
    for text in data["project"]["dependencies"] + data["build-system"]["requires"]:
        req = Requirement(text)
        assert pinned[req.name.lower()] in req.specifier, (text, pinned[req.name.lower()])


def test_asv_measures_against_the_pinned_numpy():
    """Tests and benchmarks compare against one NumPy; asv.conf.json names it too."""
    text = (ROOT / "asv.conf.json").read_text()
    conf = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))
    assert Version(conf["matrix"]["req"]["numpy"]) == pins()["numpy"]


def _clean_env() -> dict[str, str]:
    """No RAPTORS_LIBRARY or PYTHONPATH leaking the source tree into the new environment;
    pip's builds (the isolated one included) take the pinned versions."""
    env = {k: v for k, v in os.environ.items() if k not in ("RAPTORS_LIBRARY", "PYTHONPATH")}
    env["PIP_CONSTRAINT"] = str(CONSTRAINTS)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("QEMU_LD_PREFIX")),  # set by `make test-arm64`'s emulated interpreter
    reason="qemu-user: the emulated AArch64 sysroot's Python has no ensurepip, so no new venv",
)
def test_sdist_builds_and_imports_in_a_fresh_virtualenv(tmp_path):
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        env=_clean_env(),
    )
    (sdist,) = dist.glob("raptors-*.tar.gz")

    with tarfile.open(sdist) as tar:
        members = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "libraptors").glob("*.[ch]")}
    assert sources and sources <= members, sources - members  # every C source and header
    for needed in ("Makefile", "hatch_build.py", "pyproject.toml", "raptors/py.typed"):
        assert needed in members, needed
    assert not [m for m in members if m.endswith((".so", ".dylib", ".o"))], members

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    # What a user types; pip builds a wheel from the sdist (make lib) and installs it.
    _run([py, "-m", "pip", "install", str(sdist)], env=_clean_env())

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    check = (
        "import json, pathlib, raptors, numpy as np\n"
        "x = np.array([1.5, -0.0, np.inf, np.nan, 1e-45, 3.4e38], np.float32)\n"
        "y = raptors.scale(x, 2.5)\n"
        "ref = np.multiply(x, np.float32(2.5))\n"
        "assert y.tobytes() == ref.tobytes(), (y, ref)\n"
        "pkg = pathlib.Path(raptors.__file__).parent\n"
        "dist = next(pkg.parent.glob('raptors-*.dist-info'))\n"
        "print(json.dumps({'pkg': str(pkg), 'typed': (pkg / 'py.typed').is_file(),\n"
        "                  'wheel': (dist / 'WHEEL').read_text()}))\n"
    )
    out = json.loads(_run([py, "-c", check], cwd=elsewhere, env=_clean_env()).stdout)
    assert out["pkg"].startswith(str(venv)), out["pkg"]  # the installed copy, not the tree
    assert out["typed"]
    assert f"Tag: {WHEEL_TAG}" in out["wheel"], out["wheel"]
    assert "Root-Is-Purelib: false" in out["wheel"], out["wheel"]

    report = _run([py, "-m", "raptors", "--json"], cwd=elsewhere, env=_clean_env()).stdout
    info = json.loads(report)
    assert (
        info["raptors"]["version"]
        == _run(
            [py, "-c", "import raptors; print(raptors.__version__)"],
            cwd=elsewhere,
            env=_clean_env(),
        ).stdout.strip()
    )


# `pip install .` ships the compiled library inside the package: the wheel imports from any
# directory, with no source tree on the path.
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
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("raptors-*.whl")
    assert wheel.name.endswith(f"-{WHEEL_TAG}.whl"), wheel.name
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
