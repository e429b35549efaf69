"""The NumPy releases Raptors equals bit for bit: 2.3 and 2.4 (tested at both ends by
`make test-numpy-range`). Before 2.3, NumPy's buffered reductions added in another order
(its iterator chose buffers otherwise), so sums would differ in their last bits; before 2.0,
promotion was not NEP 50's. An older NumPy is refused at import; a newer one, untested,
gets a warning."""

from __future__ import annotations

import numpy as np

from . import _warn

OLDEST = (2, 3)
NEWEST = (2, 4)
SUPPORTED = f"NumPy {OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}"


def release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def check(version: str = np.__version__) -> None:
    have = release(version)
    if have < OLDEST:
        raise ImportError(
            f"raptors needs {SUPPORTED} (it equals their results bit for bit); this is NumPy "
            f"{version}, whose reductions add in another order. Upgrade NumPy: "
            f"pip install 'numpy>={OLDEST[0]}.{OLDEST[1]}'"
        )
    if have > NEWEST:
        _warn.warn(
            f"raptors was tested with {SUPPORTED}; NumPy {version} is newer, and its order of "
            f"additions or promotion may differ: results may not equal NumPy's bit for bit"
        )


def empty_mean_message() -> str:
    """NumPy's own words for a mean over no elements ('Mean of empty slice', with a full
    stop before 2.4), learned from NumPy itself."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.mean(np.empty(0))
    for w in caught:
        if "empty" in str(w.message):
            return str(w.message)
    return "Mean of empty slice"


check()
