"""Build the libraptors of a git revision (or of a source directory), cached.

Each revision is exported with `git archive` into .cache/regress/src/<sha>/ and
built there with its own Makefile into .cache/regress/libs/: the product tree
and the package's copy of the library are never touched. Two flavours:

- "native": the commit's default build (-O3 -flto -march=native), what users get
  and what the timing comparison loads;
- "icount": tuned for a fixed, valgrind-runnable target (x86-64-v3 on x86-64:
  AVX2, no AVX-512, which valgrind cannot decode), for the instruction counts.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("RAPTORS_REGRESS_CACHE") or os.path.join(REPO, ".cache", "regress")
LIBNAME = "libraptors.dylib" if sys.platform == "darwin" else "libraptors.so"


class BuildError(RuntimeError):
    pass


def flavor_args(flavor: str) -> list[str]:
    if flavor == "native":
        return []
    if flavor == "icount":
        if platform.machine() in ("x86_64", "AMD64"):
            return ["CPU=x86-64-v3"]
        return []
    raise ValueError(flavor)


def resolve(rev: str, repo: str = REPO) -> str:
    r = subprocess.run(
        ["git", "-C", repo, "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise BuildError(f"unknown revision {rev!r}: {r.stderr.strip()}")
    return r.stdout.strip()


def export(sha: str, repo: str = REPO) -> str:
    """The sources of commit `sha` in .cache/regress/src/<sha> (exported once)."""
    dest = os.path.join(CACHE, "src", sha)
    if os.path.isfile(os.path.join(dest, ".exported")):
        return dest
    tmp = f"{dest}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    arch = subprocess.run(["git", "-C", repo, "archive", "--format=tar", sha], capture_output=True)
    if arch.returncode != 0:
        raise BuildError(f"git archive {sha} failed: {arch.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", tmp], input=arch.stdout, check=True)
    open(os.path.join(tmp, ".exported"), "w").close()
    try:
        os.rename(tmp, dest)
    except OSError:  # another process exported it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def build_dir(src: str, out: str, flavor: str = "native", tag: str = "", quiet: bool = True) -> str:
    """Build the library of source tree `src` into file `out` (skipped if it exists)."""
    if os.path.isfile(out):
        return out
    bdir = f"{out}.build.{os.getpid()}"
    shutil.rmtree(bdir, ignore_errors=True)
    cmd = [
        "make",
        "-C",
        src,
        f"BUILD_DIR={bdir}",
        f"GIT_COMMIT={tag or 'regress'}",
        *flavor_args(flavor),
        os.path.join(bdir, LIBNAME),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(bdir, ignore_errors=True)
        raise BuildError(
            f"building {src} ({flavor}) failed:\n$ {' '.join(cmd)}\n"
            + "\n".join((r.stdout + r.stderr).strip().splitlines()[-25:])
        )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = f"{out}.{os.getpid()}.tmp"
    shutil.copyfile(os.path.join(bdir, LIBNAME), tmp)
    os.replace(tmp, out)
    shutil.rmtree(bdir, ignore_errors=True)
    return out


def build_rev(rev: str, flavor: str = "native", repo: str = REPO) -> tuple[str, str]:
    """(sha, path of the built library) for git revision `rev`."""
    sha = resolve(rev, repo)
    out = os.path.join(
        CACHE, "libs", f"{sha}-{flavor}-{platform.machine()}{os.path.splitext(LIBNAME)[1]}"
    )
    if not os.path.isfile(out):
        build_dir(export(sha, repo), out, flavor, tag=sha[:12])
    return sha, out


if __name__ == "__main__":
    for rev in sys.argv[1:] or ["HEAD"]:
        print(build_rev(rev))
