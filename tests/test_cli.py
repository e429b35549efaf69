"""`python -m raptors`: the configuration report, as text and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import raptors
from raptors import _ffi
from raptors.__main__ import collect, format_report, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Settings of the calling environment that would make the children differ from the defaults.
RUNTIME_VARS = ("RAPTORS_NUM_THREADS", "RAPTORS_SIMD")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in RUNTIME_VARS}
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "raptors", *args],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def build_info_in(env: dict[str, str] | None = None) -> dict:
    """raptors.build_info() of a fresh interpreter with the same environment as run_cli's."""
    child_env = {k: v for k, v in os.environ.items() if k not in RUNTIME_VARS}
    child_env.update(env or {})
    r = subprocess.run(
        [sys.executable, "-c", "import json, raptors; print(json.dumps(raptors.build_info()))"],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_json_report_matches_build_info():
    r = run_cli("--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["library"] == build_info_in()
    assert report["raptors"] == {"version": raptors.__version__, "abi_version": _ffi.ABI_VERSION}
    assert report["library"]["abi_version"] == _ffi.ABI_VERSION
    library = report["library"]
    assert library["simd"] in library["simd_available"]
    for key in ("l1d_bytes", "l2_bytes", "l3_bytes"):
        assert isinstance(library[key], int) and library[key] >= 0, key
    assert isinstance(library["num_threads"], int) and library["num_threads"] >= 1
    assert report["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert report["numpy"]["version"] == __import__("numpy").__version__
    assert set(report["threadpoolctl"]) == {"version", "raptors_registered"}


def test_environment_shows_in_json_report():
    env = {"RAPTORS_SIMD": "scalar", "RAPTORS_NUM_THREADS": "1"}
    r = run_cli("--json", env=env)
    assert r.returncode == 0, r.stderr
    library = json.loads(r.stdout)["library"]
    assert library["simd"] == "scalar"
    assert library["num_threads"] == 1
    assert library == build_info_in(env)


def test_text_report():
    r = run_cli(env={"RAPTORS_SIMD": "scalar"})
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert f"version: {raptors.__version__}" in text
    assert "  selected: scalar" in text
    info = build_info_in()
    for value in (info["library"], info["compiler"], info["cflags"], info["git_commit"]):
        assert value in text
    assert "L1d: " in text and "L2: " in text and "L3: " in text
    assert "NumPy: " in text and "Python: " in text and "threadpoolctl: " in text


@pytest.mark.parametrize("args", [["--bogus"], ["extra"], ["--json", "--nope"]])
def test_bad_arguments_exit_2(args):
    r = run_cli(*args)
    assert r.returncode == 2
    assert "usage:" in r.stderr and r.stdout == ""


def test_help():
    r = run_cli("--help")
    assert r.returncode == 0 and "--json" in r.stdout


def test_main_in_process(capsys):
    assert main(["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["library"]["simd"] == raptors.get_simd()
    assert main([]) == 0
    assert f"selected: {raptors.get_simd()}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "nbytes, text",
    [
        (32768, "32 KiB"),
        (1 << 20, "1 MiB"),
        (1310720, "1280 KiB"),
        (1000, "1000 bytes"),
        (0, "unknown"),  # the library's "the OS does not say"
    ],
)
def test_cache_sizes_have_units(nbytes, text):
    report = json.loads(json.dumps(collect()))
    report["library"]["l2_bytes"] = nbytes
    assert f"  L2: {text}\n" in format_report(report)
