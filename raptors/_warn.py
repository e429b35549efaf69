"""Warnings that name the caller's line, as NumPy's do: the first frame outside this
package (and outside the import machinery, for a warning raised while importing)."""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = RuntimeWarning) -> None:
    level = 2  # stacklevel 2: whoever called warn()
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_PACKAGE):
            level += 1
        elif "importlib" not in name or "_bootstrap" not in name:
            break  # (warnings.warn skips the import machinery's frames itself)
        frame = frame.f_back
    warnings.warn(message, category, stacklevel=level)
