"""np.errstate is obeyed (issue: never silently different): overflow, invalid, divide by zero
and underflow raised by a computation -- on any thread, in any SIMD variant and layout -- give
NumPy's RuntimeWarning in NumPy's words at the caller's line, FloatingPointError under
"raise", np.seterrcall's function under "call", and nothing under "ignore"."""

import warnings

import numpy as np
import pytest
from conftest import DTYPES

import raptors

VARIANTS = raptors.build_info()["simd_available"]
BIG = 1 << 20  # elements: several pieces on every thread


def overflowing(dtype, n, at):
    """Mostly ones; 0.9 x max at positions `at` (where x * x and x + x overflow)."""
    x = np.ones(n, dtype)
    x[at] = np.finfo(dtype).max * dtype(0.9)
    return x


def with_infinities(dtype, n, at):
    x = np.ones(n, dtype)
    x[at] = np.inf
    return x


CASES = {
    # name: (raptors call, numpy call, input maker)
    "multiply overflow": (
        lambda x: raptors.multiply(x, x),
        lambda x: np.multiply(x, x),
        overflowing,
    ),
    "add overflow": (lambda x: raptors.add(x, x), lambda x: np.add(x, x), overflowing),
    "subtract invalid": (
        lambda x: raptors.subtract(x, x),
        lambda x: np.subtract(x, x),
        with_infinities,
    ),
    "scale invalid": (
        lambda x: raptors.scale(x, 0.0),
        lambda x: np.multiply(x, x.dtype.type(0.0)),
        with_infinities,
    ),
    "scale overflow": (
        lambda x: raptors.scale(x, 4.0),
        lambda x: np.multiply(x, x.dtype.type(4.0)),
        overflowing,
    ),
    "sum overflow": (
        lambda x: raptors.sum(x),
        lambda x: np.sum(x),
        lambda d, n, at: overflowing(d, n, [at, at + 1] if isinstance(at, int) else at),
    ),
    "mean axis 0 overflow": (
        lambda x: raptors.mean(x.reshape(2, -1), axis=0),
        lambda x: np.mean(x.reshape(2, -1), axis=0),
        lambda d, n, at: overflowing(d, n, [0, n // 2]),
    ),
    "sum invalid": (
        lambda x: raptors.sum(x),
        lambda x: np.sum(x),
        lambda d, n, at: np.where(
            np.arange(n) == at, np.inf, np.where(np.arange(n) == 0, -np.inf, 1)
        ).astype(d),
    ),
    "divide-free add": (
        lambda x: raptors.add(x, x),
        lambda x: np.add(x, x),
        lambda d, n, at: np.ones(n, d),
    ),
}


def recorded(call, x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(x)
    return result, [(w.category, str(w.message)) for w in caught], caught


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_warnings_are_numpys_in_its_words(case, dtype):
    rc, nc, make = CASES[case]
    for n, at in [(38, 5), (BIG, BIG - 3)]:
        x = make(dtype, n, at)
        got, messages, caught = recorded(rc, x)
        want, want_messages, _ = recorded(nc, x)
        np.testing.assert_array_equal(got, want)
        assert messages == want_messages, (case, n)
        assert all(w.filename == __file__ for w in caught)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize(
    "case", ["multiply overflow", "subtract invalid", "sum overflow", "scale invalid"]
)
def test_every_thread_and_variant_reports_what_its_pieces_raised(case, threads, variant):
    """The exception sits in one element of a large array -- first, middle or last -- so it
    falls in the caller's piece or in a worker's: either way the call reports it."""
    rc, nc, make = CASES[case]
    raptors.set_simd(variant)
    old = raptors.get_num_threads()
    raptors.set_num_threads(threads)
    try:
        for at in (0, BIG // 2 + 17, BIG - 2):
            for dtype in DTYPES:
                x = make(dtype, BIG, at)
                _, messages, _ = recorded(rc, x)
                _, want, _ = recorded(nc, x)
                assert messages == want, (at, dtype)
    finally:
        raptors.set_num_threads(old)
        raptors.set_simd("auto")


@pytest.mark.parametrize("case", ["multiply overflow", "subtract invalid", "sum overflow"])
def test_raise_call_print_and_ignore_as_numpy(case, capfd):
    rc, nc, make = CASES[case]
    x = make(np.float32, 64, 3)
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError) as ours:
            rc(x)
        with pytest.raises(FloatingPointError) as numpys:
            nc(x)
    assert str(ours.value) == str(numpys.value)
    calls = {"ours": [], "numpy": []}
    for who, call in (("ours", rc), ("numpy", nc)):
        old = np.seterrcall(lambda *args, who=who: calls[who].append(args))
        try:
            with np.errstate(all="call"):
                call(x)
        finally:
            np.seterrcall(old)
    assert calls["ours"] == calls["numpy"] and calls["ours"]
    with np.errstate(all="print"):
        rc(x)
        ours_printed = capfd.readouterr().err  # NumPy prints to the stderr file descriptor
        nc(x)
        assert ours_printed == capfd.readouterr().err != ""
    with np.errstate(all="ignore"):
        _, messages, _ = recorded(rc, x)
    assert messages == []


def test_a_python_float_beyond_float32_warns_as_numpys_cast():
    x = np.ones(8, np.float32)
    for call, ncall in [
        (lambda: raptors.scale(x, 1e300), lambda: np.multiply(x, 1e300)),
        (lambda: raptors.add(x, -1e300), lambda: np.add(x, -1e300)),
        (lambda: raptors.multiply(x[::2], 1e39), lambda: np.multiply(x[::2], 1e39)),
    ]:
        _, ours, _ = recorded(lambda _, f=call: f(), None)
        _, numpys, _ = recorded(lambda _, f=ncall: f(), None)
        assert ours == numpys and ours
