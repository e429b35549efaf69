"""Loading the library: where it is looked for, and the ImportError a user
sees when it is missing, not a Raptors library, or of another ABI."""

import os
import shutil
import subprocess
import sys

from conftest import compile_c_library

import raptors
from raptors import _ffi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_import(env_extra, code="import raptors; print(raptors.get_simd())"):
    env = dict(os.environ, **env_extra)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_missing_library_via_env(tmp_path):
    missing = str(tmp_path / "nope" / "libraptors.so")
    r = run_import({"RAPTORS_LIBRARY": missing})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and missing in r.stderr and "make" in r.stderr


def test_missing_library_in_package(tmp_path):
    pkg = tmp_path / "raptors"
    shutil.copytree(
        os.path.join(ROOT, "raptors"),
        pkg,
        ignore=shutil.ignore_patterns("*.so", "*.dylib", "__pycache__"),
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    env.pop("RAPTORS_LIBRARY", None)
    r = subprocess.run(
        [sys.executable, "-c", "import raptors"],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0
    assert "not found" in r.stderr and str(pkg / _ffi.LIBRARY_NAME) in r.stderr


def test_corrupt_library(tmp_path):
    bad = tmp_path / _ffi.LIBRARY_NAME
    bad.write_bytes(b"\x7fELF this is not a library")
    r = run_import({"RAPTORS_LIBRARY": str(bad)})
    assert r.returncode != 0
    assert "could not load" in r.stderr and str(bad) in r.stderr


def _compile(tmp_path, source, name):
    return compile_c_library(tmp_path, name, source)


def test_not_a_raptors_library(tmp_path):
    lib = _compile(tmp_path, "int something_else(void) { return 1; }\n", "other")
    r = run_import({"RAPTORS_LIBRARY": str(lib)})
    assert r.returncode != 0
    assert "not a Raptors library" in r.stderr


def test_abi_mismatch(tmp_path):
    lib = _compile(tmp_path, "int raptors_abi_version(void) { return 999; }\n", "future")
    r = run_import({"RAPTORS_LIBRARY": str(lib)})
    assert r.returncode != 0
    assert "ABI version mismatch" in r.stderr and "999" in r.stderr


def test_right_abi_but_missing_entry_points(tmp_path):
    src = f"int raptors_abi_version(void) {{ return {_ffi.ABI_VERSION}; }}\n"
    lib = _compile(tmp_path, src, "hollow")
    r = run_import({"RAPTORS_LIBRARY": str(lib)})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "lacks raptors_" in r.stderr and "make" in r.stderr


def test_raptors_library_env_points_at_a_copy(tmp_path):
    copy = tmp_path / _ffi.LIBRARY_NAME
    shutil.copy(_ffi.LIBRARY_PATH, copy)
    r = run_import(
        {"RAPTORS_LIBRARY": str(copy)}, "import raptors; print(raptors.build_info()['library'])"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(copy)


def test_bad_thread_env_warns_and_uses_default():
    r = run_import(
        {"RAPTORS_NUM_THREADS": "lots"},
        "import warnings; warnings.simplefilter('always');"
        "import raptors; print(raptors.get_num_threads())",
    )
    assert r.returncode == 0, r.stderr
    assert "RAPTORS_NUM_THREADS" in r.stderr and int(r.stdout) >= 1


def test_thread_env_is_used():
    r = run_import({"RAPTORS_NUM_THREADS": "3"}, "import raptors; print(raptors.get_num_threads())")
    assert r.returncode == 0 and r.stdout.strip() == "3"


def test_simd_env_is_used():
    r = run_import({"RAPTORS_SIMD": "scalar"}, "import raptors; print(raptors.get_simd())")
    assert r.returncode == 0 and r.stdout.strip() == "scalar"
    r = run_import({"RAPTORS_SIMD": "bogus"}, "import raptors; print(raptors.get_simd())")
    assert r.returncode == 0 and r.stdout.strip() == raptors.build_info()["simd_available"][0]
    assert "RAPTORS_SIMD" in r.stderr
