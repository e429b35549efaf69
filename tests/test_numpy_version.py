"""The NumPy releases Raptors supports (raptors/_numpy_version.py): an older NumPy is refused
at import with a clear message, a newer one warned about; both ends of the range run the
product's tests (`make test-numpy-range`, in CI)."""

import warnings

import numpy as np
import pytest

from raptors import _numpy_version as nv


def test_the_running_numpy_is_in_the_supported_range():
    assert nv.OLDEST <= nv.release(np.__version__) <= nv.NEWEST


@pytest.mark.parametrize("version", ["1.26.4", "2.0.2", "2.2.6"])
def test_an_older_numpy_is_refused_with_what_to_do(version):
    with pytest.raises(ImportError, match=rf"NumPy {version}.*pip install 'numpy>=2\.3'"):
        nv.check(version)


@pytest.mark.parametrize("version", ["2.3.0", "2.3.5", "2.4.0rc1", "2.4.6"])
def test_a_supported_numpy_passes_silently(version):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nv.check(version)


@pytest.mark.parametrize("version", ["2.5.0", "3.0.0"])
def test_a_newer_numpy_is_warned_about(version):
    with pytest.warns(RuntimeWarning, match=rf"NumPy {version} is newer"):
        nv.check(version)


def test_the_empty_mean_message_is_numpys_own():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.mean(np.empty(0))
    assert nv.empty_mean_message() in [str(w.message) for w in caught]
