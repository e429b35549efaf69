"""Build hook: `pip install .` / `pip wheel .` compile libraptors with the
project's Makefile and put the shared library inside the wheel."""

import os
import subprocess
import sys

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LIBRARY = "libraptors.dylib" if sys.platform == "darwin" else "libraptors.so"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        make = os.environ.get("MAKE", "make")
        subprocess.run([make, "-C", self.root, "lib"], check=True)
        # A compiled library inside: the wheel is platform-specific.
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            # git-ignored, so it must be named explicitly.
            build_data["force_include"][os.path.join(self.root, "raptors", LIBRARY)] = (
                f"raptors/{LIBRARY}"
            )
