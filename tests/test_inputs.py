"""Subclasses and duck arrays (raptors/_inputs.py): never a plain array computed from the
raw data of an object whose own rules NumPy would follow. np.matrix, masked arrays and other
ndarray subclasses, and objects overriding __array_function__/__array_ufunc__, are refused
with a TypeError before anything is written; np.asarray(...) of them computes as usual; an
ndarray subclass as out= is written and returned, as NumPy does."""

import numpy as np
import pytest

import raptors

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix


class Sub(np.ndarray):
    pass


class Duck:
    """An array-like that overrides NumPy's dispatch (as dask or xarray do)."""

    def __init__(self, a):
        self.a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self.a

    def __array_function__(self, func, types, args, kwargs):
        return "the duck's answer"

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return "the duck's answer"


def inputs():
    data = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    return {
        "matrix": np.matrix(data),
        "masked": np.ma.masked_invalid(np.array([[1.0, np.nan, 3.0, 4.0]] * 2, np.float32)),
        "subclass": data.view(Sub),
        "memmap-like view": data.view(Sub)[:, ::2],
        "duck": Duck(data),
    }


CALLS = {
    "sum": lambda v: raptors.sum(v, axis=0),
    "mean": lambda v: raptors.mean(v),
    "add": lambda v: raptors.add(v, 1.0),
    "add (right)": lambda v: raptors.add(np.ones(4, np.float32), v),
    "multiply": lambda v: raptors.multiply(v, v),
    "scale": lambda v: raptors.scale(v, 2.0),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("kind", list(inputs()))
def test_objects_with_rules_of_their_own_are_refused_by_name(kind, call):
    v = inputs()[kind]
    with pytest.raises(
        TypeError, match=rf"raptors\.\w+ takes plain numpy\.ndarray .*{type(v).__name__}"
    ):
        CALLS[call](v)


@pytest.mark.parametrize("kind", ["matrix", "masked", "subclass"])
def test_their_data_computes_through_asarray(kind):
    v = np.asarray(inputs()[kind])
    assert type(v) is np.ndarray
    np.testing.assert_array_equal(raptors.sum(v, axis=0), np.sum(v, axis=0))


def test_a_subclass_out_is_written_and_returned_as_numpy_does():
    x = np.arange(6.0)
    out = np.empty(6).view(Sub)
    assert raptors.scale(x, 2.0, out=out) is out and type(out) is Sub
    assert raptors.add(x, x, out=out) is out
    np.testing.assert_array_equal(out, x + x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda o: raptors.scale(np.ones(2), 2.0, out=o),
        lambda o: raptors.add(np.ones(2), 1.0, out=o),
    ],
)
def test_a_masked_out_is_refused_and_left_untouched(fn):
    out = np.ma.masked_array(np.full(2, 7.0), mask=[True, False])
    with pytest.raises(TypeError, match="MaskedArray"):
        fn(out)
    assert (out.data == 7.0).all() and out.mask.tolist() == [True, False]
