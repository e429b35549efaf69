"""Instructions executed by one call of each operation: a deterministic cost per commit.

Timings on a shared machine swing; instruction counts do not. callgrind (valgrind)
counts what one library call executes on fixed, aligned inputs (about 100 000
elements, one thread, a fixed SIMD variant): scale (raptors_scale_*), add, subtract,
multiply and a row broadcast (raptors_binary_*), sum, mean and mean along each axis
of a 316 x 317 array (raptors_reduce_*). A commit that adds work to a kernel shows as
a step in its graph even when every timing is noise. A commit without an operation
(an older one, in bench-history) skips its cases.

The library counted is the commit's own: asv sets ASV_COMMIT, and the commit's
sources are built with a fixed, valgrind-runnable target (x86-64-v3: valgrind
cannot run AVX-512, which -march=native would emit on this machine), cached per
commit in .cache/regress/libs/. Outside asv (the in-process suite test) the working
tree's sources are built the same way. Where valgrind is absent every benchmark
here is skipped with a message saying so. See tools/regress/icount.py and
docs/regress.md.

asv names: bench_instructions.ScaleInstructions.track_instructions (case x simd; its name
is kept from when scale was the only operation, so the graph's history stays one series).
"""

import hashlib
import importlib.util
import os
import platform
import subprocess

from .common import pin_versions

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TOOLS = os.path.join(_REPO, "tools", "regress")


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f"_raptors_regress_{name}", os.path.join(_TOOLS, f"{name}.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


if platform.machine() in ("x86_64", "AMD64"):
    _VARIANTS = ["avx2", "scalar"]
elif platform.machine() in ("aarch64", "arm64"):
    _VARIANTS = ["neon", "scalar"]
else:
    _VARIANTS = ["scalar"]

_CASES = [
    "f32",
    "f64",
    "f32-inplace",
    "f32-strided",
    "add-f32",
    "subtract-f64",
    "multiply-f32",
    "add-row-f32",
    "sum-f32",
    "mean-f64",
    "mean-axis0-f32",
    "mean-axis1-f32",
]
_memo = {}


def _worktree_hash(repo):
    h = hashlib.sha256()
    src = os.path.join(repo, "libraptors")
    for name in sorted(os.listdir(src)) + ["../Makefile"]:
        path = os.path.join(src, name)
        if os.path.isfile(path):
            h.update(name.encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def _library():
    """(path, where from) of a valgrind-runnable build of the library being benchmarked."""
    if "lib" in _memo:
        return _memo["lib"]
    libs = _load("libs")
    commit = os.environ.get("ASV_COMMIT")
    # asv may run from a temporary config inside the work tree (tools/bench/run.py):
    # git needs the repository's top level, not that directory.
    conf_dir = os.environ.get("ASV_CONF_DIR") or _REPO
    top = subprocess.run(
        ["git", "-C", conf_dir, "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    repo = top.stdout.strip() if top.returncode == 0 and top.stdout.strip() else _REPO
    if commit:
        _sha, path = libs.build_rev(commit, "icount", repo=repo)
        where = f"commit {commit[:12]}"
    else:
        out = os.path.join(
            libs.CACHE, "libs", f"worktree-{_worktree_hash(_REPO)}-icount-{platform.machine()}.so"
        )
        path = libs.build_dir(_REPO, out, "icount", tag="worktree")
        where = "working tree"
    _memo["lib"] = (path, where)
    return _memo["lib"]


class ScaleInstructions:
    """Instructions per library call (callgrind), by case and SIMD variant. The cases named
    f32/f64/... are scale's; the others name their operation."""

    params = [_CASES, _VARIANTS]
    param_names = ["case", "simd"]
    unit = "instructions"
    timeout = 300
    number = 1
    repeat = 1

    def setup(self, case, simd):
        icount = _load("icount")
        if icount.valgrind() is None:
            raise NotImplementedError(
                "valgrind is not installed (apt-get install valgrind): instruction counts skipped"
            )
        key = (case, simd)
        if key not in _memo:
            try:
                lib, _where = _library()
                _memo[key] = icount.count(lib, case, simd)
            except Exception as e:  # a build or valgrind failure: skip, saying why
                _memo[key] = NotImplementedError(f"instruction count unavailable: {e}")
        if isinstance(_memo[key], Exception):
            raise _memo[key]
        self.count = _memo[key]

    def track_instructions(self, case, simd):
        return self.count

    track_instructions.unit = "instructions"


pin_versions(globals())  # each benchmark's version: see common.pin_versions
