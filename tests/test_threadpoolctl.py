"""threadpoolctl sees Raptors' thread pool and limits it; raptors works without it.

Every test runs in a fresh interpreter: threadpoolctl's controller registry,
its caches and the thread count read from the environment are per process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import raptors
from raptors import _ffi

pytest.importorskip("threadpoolctl")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Thread settings of the calling environment would change what the children report.
THREAD_VARS = (
    "RAPTORS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "MKL_NUM_THREADS",
)
PRELUDE = """
import json, os, sys
import numpy as np
"""


def run(
    body: str, env: dict[str, str] | None = None, cwd: str = ROOT, warnings_are_errors: bool = False
) -> dict:
    """Run body in a fresh interpreter; it prints one JSON object, returned here."""
    child_env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    child_env.update(env or {})
    flags = ["-W", "error"] if warnings_are_errors else []
    r = subprocess.run(
        [sys.executable, *flags, "-c", PRELUDE + textwrap.dedent(body)],
        env=child_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def raptors_entries(info: list[dict]) -> list[dict]:
    return [lib for lib in info if lib["user_api"] == "raptors"]


def test_info_lists_raptors_with_its_thread_count_path_and_version():
    out = run("""
        import raptors, threadpoolctl
        raptors._threadpool.register_threadpoolctl_controller()  # a second call: no duplicate
        print(json.dumps({
            "info": threadpoolctl.threadpool_info(),
            "threads": raptors.get_num_threads(),
            "library": os.path.realpath(raptors._ffi.LIBRARY_PATH),
            "version": raptors.__version__,
        }))
    """)
    [lib] = raptors_entries(out["info"])
    assert lib["internal_api"] == "raptors"
    assert lib["prefix"] == "libraptors"
    assert lib["num_threads"] == out["threads"] >= 1
    assert lib["filepath"] == out["library"]
    assert lib["version"] == out["version"]


def test_threadpool_limits_on_all_libraries_limits_raptors_and_restores():
    out = run("""
        import raptors, threadpoolctl
        raptors.set_num_threads(3)  # not the default, so the restore is seen on any machine
        with threadpoolctl.threadpool_limits(1):
            inside = raptors.get_num_threads()
            info_inside = threadpoolctl.threadpool_info()
        print(json.dumps({
            "inside": inside, "info_inside": info_inside, "after": raptors.get_num_threads()
        }))
    """)
    assert out["inside"] == 1
    assert all(lib["num_threads"] == 1 for lib in out["info_inside"])
    assert out["after"] == 3


def test_user_api_raptors_limits_raptors_only():
    out = run("""
        import raptors, threadpoolctl
        raptors.set_num_threads(3)
        before = threadpoolctl.threadpool_info()
        with threadpoolctl.threadpool_limits(limits=1, user_api="raptors"):
            raptors_only = threadpoolctl.threadpool_info()
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            under_blas_limit = raptors.get_num_threads()
        print(json.dumps({
            "before": before, "raptors_only": raptors_only,
            "under_blas_limit": under_blas_limit, "after": raptors.get_num_threads(),
        }))
    """)
    limited = {lib["filepath"]: lib["num_threads"] for lib in out["raptors_only"]}
    for lib in out["before"]:
        expected = 1 if lib["user_api"] == "raptors" else lib["num_threads"]
        assert limited[lib["filepath"]] == expected, lib
    assert out["under_blas_limit"] == 3
    assert out["after"] == 3


def test_controller_limit_wrap_and_restore_original_limits():
    out = run("""
        import raptors, threadpoolctl
        raptors.set_num_threads(3)
        controller = threadpoolctl.ThreadpoolController()
        seen = {}
        with controller.limit(limits=2, user_api="raptors"):
            seen["limit"] = raptors.get_num_threads()
        with controller.select(internal_api="raptors").limit(limits=1):
            seen["select"] = raptors.get_num_threads()

        @controller.wrap(limits=1, user_api="raptors")
        def decorated():
            return raptors.get_num_threads()

        seen["wrap"] = decorated()
        limiter = threadpoolctl.threadpool_limits(limits=1)  # the callable form
        seen["callable"] = raptors.get_num_threads()
        limiter.restore_original_limits()
        seen["after"] = raptors.get_num_threads()
        print(json.dumps(seen))
    """)
    assert out == {"limit": 2, "select": 1, "wrap": 1, "callable": 1, "after": 3}


def test_dict_list_and_sequential_blas_limits():
    out = run("""
        import raptors, threadpoolctl
        raptors.set_num_threads(3)
        [lib] = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "raptors"]
        seen = {}
        for name, limits in [
            ("user_api key", {"raptors": 1}),
            ("prefix key", {"libraptors": 1}),
            ("filepath key", {lib["filepath"]: 1}),
            ("list", [dict(lib, num_threads=1)]),
            ("other library only", {"blas": 1}),
            ("sequential BLAS", "sequential_blas_under_openmp"),
        ]:
            with threadpoolctl.threadpool_limits(limits=limits):
                seen[name] = raptors.get_num_threads()
        seen["after"] = raptors.get_num_threads()
        print(json.dumps(seen))
    """)
    assert out == {
        "user_api key": 1,
        "prefix key": 1,
        "filepath key": 1,
        "list": 1,
        # Limits for BLAS (what "sequential_blas_under_openmp" amounts to) leave Raptors alone.
        "other library only": 3,
        "sequential BLAS": 3,
        "after": 3,
    }


def test_out_of_range_limits_are_clamped_not_raised():
    out = run("""
        import raptors, threadpoolctl
        raptors.set_num_threads(3)
        seen = {}
        for limit in (0, -4, 10**6):
            with threadpoolctl.threadpool_limits(limits=limit, user_api="raptors"):
                seen[str(limit)] = raptors.get_num_threads()
        seen["after"] = raptors.get_num_threads()
        print(json.dumps(seen))
    """)
    assert out == {"0": 1, "-4": 1, str(10**6): _ffi.MAX_THREADS, "after": 3}


def test_results_bit_exact_inside_limits():
    out = run("""
        import raptors, threadpoolctl
        rng = np.random.default_rng(7)
        # 8 MiB in, 8 MiB out: large enough for the pool to split the work.
        x = (rng.standard_normal(2**21) * 1e3).astype(np.float32)
        x[::4097] = np.float32(1e-42)  # subnormals too
        want = np.multiply(x, x.dtype.type(0.3)).view(np.uint32)
        same = {}
        for limit in (1, 2, 3):
            with threadpoolctl.threadpool_limits(limits=limit, user_api="raptors"):
                got = raptors.scale(x, 0.3).view(np.uint32)
                same[limit] = bool(np.array_equal(got, want))
        print(json.dumps(same))
    """)
    assert out == {"1": True, "2": True, "3": True}


def test_environment_thread_count_and_set_num_threads_show_in_info():
    out = run(
        """
        import raptors, threadpoolctl
        def raptors_threads():
            return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["user_api"] == "raptors"]
        at_start = raptors_threads()
        raptors.set_num_threads(3)
        print(json.dumps({"at_start": at_start, "after_set": raptors_threads()}))
        """,
        env={"RAPTORS_NUM_THREADS": "1"},
    )
    assert out == {"at_start": [1], "after_set": [3]}


def test_omp_num_threads_does_not_change_raptors():
    body = """
        import raptors, threadpoolctl
        print(json.dumps({
            "raptors": raptors.get_num_threads(),
            "openblas": [i["num_threads"] for i in threadpoolctl.threadpool_info()
                         if i["internal_api"] == "openblas"],
        }))
    """
    default = run(body)
    with_omp = run(body, env={"OMP_NUM_THREADS": "1"})
    assert with_omp["raptors"] == default["raptors"]
    # The variable did reach the process: NumPy's OpenBLAS (when it has one) obeys it.
    assert all(n == 1 for n in with_omp["openblas"])


def test_import_without_threadpoolctl_works_silently():
    out = run(
        """
        import importlib.abc

        class NoThreadpoolctl(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "threadpoolctl" or name.startswith("threadpoolctl."):
                    raise ImportError("threadpoolctl blocked by the test")
                return None

        sys.meta_path.insert(0, NoThreadpoolctl())
        import raptors
        x = np.arange(5, dtype=np.float64)
        print(json.dumps({
            "threadpoolctl imported": "threadpoolctl" in sys.modules,
            "scale": raptors.scale(x, 2.0).tolist(),
            "threads": raptors.get_num_threads(),
        }))
        """,
        warnings_are_errors=True,
    )
    assert out["threadpoolctl imported"] is False
    assert out["scale"] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert out["threads"] >= 1


@pytest.mark.parametrize("threadpoolctl_first", [True, False], ids=["tpc-first", "raptors-first"])
def test_import_order(threadpoolctl_first):
    imports = (
        "import threadpoolctl; info_before = threadpoolctl.threadpool_info(); import raptors"
        if threadpoolctl_first
        else "import raptors; import threadpoolctl; info_before = []"
    )
    out = run(
        imports
        + """
limits_applied = None
with threadpoolctl.threadpool_limits(1):
    limits_applied = raptors.get_num_threads()
print(json.dumps({
    "before": [i["user_api"] for i in info_before],
    "after": [i["num_threads"] for i in threadpoolctl.threadpool_info()
              if i["user_api"] == "raptors"],
    "threads": raptors.get_num_threads(),
    "limited": limits_applied,
}))
""",
        warnings_are_errors=True,
    )
    # A listing made before raptors was imported has no Raptors; one made after has.
    assert "raptors" not in out["before"]
    assert out["after"] == [out["threads"]]
    assert out["limited"] == 1


def test_library_from_relative_raptors_library_is_matched(tmp_path):
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    shutil.copy(_ffi.LIBRARY_PATH, copy_dir / _ffi.LIBRARY_NAME)
    out = run(
        """
        import raptors, threadpoolctl
        os.chdir("/")  # the relative path no longer names the library
        print(json.dumps([i for i in threadpoolctl.threadpool_info()
                          if i["user_api"] == "raptors"]))
        """,
        env={"RAPTORS_LIBRARY": os.path.join("copy", _ffi.LIBRARY_NAME)},
        cwd=str(tmp_path),
    )
    [lib] = out
    assert lib["filepath"] == os.path.realpath(copy_dir / _ffi.LIBRARY_NAME)
    assert lib["num_threads"] >= 1


def test_another_copy_of_libraptors_is_listed_but_left_alone(tmp_path):
    other = tmp_path / _ffi.LIBRARY_NAME
    shutil.copy(_ffi.LIBRARY_PATH, other)
    out = run(f"""
        import ctypes, raptors, threadpoolctl
        ctypes.CDLL({str(other)!r})  # loaded by someone else: a pool raptors does not drive
        raptors.set_num_threads(3)
        def raptors_libs():
            return {{i["filepath"]: [i["num_threads"], i["version"]]
                    for i in threadpoolctl.threadpool_info() if i["user_api"] == "raptors"}}
        before = raptors_libs()
        with threadpoolctl.threadpool_limits(1):
            inside = raptors_libs()
        print(json.dumps({{
            "before": before, "inside": inside, "after": raptors.get_num_threads(),
            "ours": os.path.realpath(raptors._ffi.LIBRARY_PATH),
        }}))
    """)
    ours, theirs = out["ours"], os.path.realpath(other)
    version = raptors.__version__
    assert out["before"] == {ours: [3, version], theirs: [None, None]}
    assert out["inside"] == {ours: [1, version], theirs: [None, None]}
    assert out["after"] == 3
