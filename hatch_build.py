"""Build hook: `pip install .` / `pip wheel .` (from the tree or from the sdist) compile
libraptors with the project's Makefile and put the shared library inside the wheel."""

import os
import subprocess
import sys
import sysconfig
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LIBRARY = "libraptors.dylib" if sys.platform == "darwin" else "libraptors.so"


def wheel_tag() -> str:
    """py3-none-<platform>: the wheel carries a native library, so it is tied to a platform,
    but ctypes loads it and no CPython C API is involved, so any Python 3 can use it."""
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{platform}"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        make = os.environ.get("MAKE", "make")
        subprocess.run([make, "-C", self.root, "lib"], check=True)
        build_data["pure_python"] = False
        build_data["tag"] = wheel_tag()
        if version != "editable":
            # git-ignored, so it must be named explicitly.
            build_data["force_include"][os.path.join(self.root, "raptors", LIBRARY)] = (
                f"raptors/{LIBRARY}"
            )
