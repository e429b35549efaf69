"""Makes libraptors' thread pool visible to threadpoolctl, when it is installed.

threadpoolctl (3.2 or later) finds loaded libraries by file name and asks a
registered controller class to read and set their thread counts. Raptors
registers one when it is imported, if threadpoolctl can be imported; it is
never a dependency. The controller goes through raptors.api (no ctypes of its
own), so the semantics are those of raptors.get_num_threads/set_num_threads.
"""

from __future__ import annotations

import os

from . import _ffi, api

#: True once threadpoolctl knows Raptors' controller (python -m raptors reports it).
registered = False


def register_threadpoolctl_controller() -> None:
    """Register Raptors' controller with threadpoolctl; do nothing without it."""
    global registered
    if registered:
        return
    try:
        # register() appeared in threadpoolctl 3.2: older versions fail here too.
        from threadpoolctl import LibController, register
    except ImportError:
        return

    # Resolved now, from the directory the library was just loaded from: a relative
    # RAPTORS_LIBRARY would point elsewhere after a chdir.
    loaded_library = os.path.realpath(_ffi.LIBRARY_PATH)

    def is_loaded_library(filepath: str) -> bool:
        if os.path.realpath(filepath) == loaded_library:
            return True
        try:  # the same file reached through a hard link or another mount
            return os.path.samefile(filepath, loaded_library)
        except OSError:
            return False

    class RaptorsController(LibController):  # type: ignore[misc]  # untyped base
        """libraptors' pthread pool: a process-wide thread count (1 to 256)."""

        user_api = "raptors"
        internal_api = "raptors"
        # "libraptors" (not "libraptors.so"): one prefix for .so and .dylib, and
        # the shortest key a dict limit can use; check_symbols rules out
        # unrelated libraries whose names merely start the same way.
        filename_prefixes = ("libraptors",)
        check_symbols = ("raptors_abi_version",)

        def _is_ours(self) -> bool:
            # Another copy of libraptors in the process (loaded by other code) has
            # its own pool, which raptors.api cannot reach: report it with no
            # thread count and leave it alone, as threadpoolctl does for an OpenMP
            # runtime without the symbols. Declining it by raising from here would
            # break threadpool_info() in threadpoolctl 3.6 and earlier.
            return is_loaded_library(str(self.filepath))

        def get_num_threads(self) -> int | None:
            return api.get_num_threads() if self._is_ours() else None

        def set_num_threads(self, num_threads: int | None) -> None:
            # None: restoring a count that was unknown. Out-of-range limits are
            # clamped rather than raised: an exception here would stop
            # threadpoolctl halfway through the other libraries, and "at most 0"
            # or "at most 1000" threads have an obvious nearest meaning.
            if num_threads is None or not self._is_ours():
                return
            api.set_num_threads(min(max(num_threads, 1), _ffi.MAX_THREADS))

        def get_version(self) -> str | None:
            if not self._is_ours():
                return None
            from . import __version__  # raptors/__init__ has finished importing by now

            return __version__

    register(RaptorsController)
    registered = True
