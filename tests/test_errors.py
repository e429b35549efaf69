"""Bad input gets a clear exception, never a crash or a write outside a buffer."""

import numpy as np
import pytest

import raptors


@pytest.mark.parametrize(
    "dtype",
    [
        np.int8,
        np.uint32,
        np.uint8,
        np.bool_,
        np.float16,
        np.longdouble,
        np.complex64,
        np.complex128,
        "U3",
        "S3",
        object,
        "datetime64[s]",
        "f4,f4",
    ],
)
def test_unsupported_dtype_is_type_error_naming_supported(dtype):
    x = np.zeros(4, dtype=dtype)
    with pytest.raises(TypeError, match="float32, float64, int32 and int64"):
        raptors.scale(x, 2.0)


def test_list_of_ints_is_int64():
    got = raptors.scale([1, 2, 3], 2)
    assert got.dtype == np.int64 and got.tolist() == [2, 4, 6]
    got = raptors.scale([1, 2, 3], 2.5)  # an int times a Python float: float64, as np.multiply
    assert got.dtype == np.float64 and got.tolist() == [2.5, 5.0, 7.5]


@pytest.mark.parametrize(
    "factor",
    [
        "2.5",
        None,
        b"2",
        1 + 2j,
        np.complex64(1),
        [2.0],
        np.array([2.0]),
        object(),
        np.datetime64(1, "s"),
    ],
)
def test_factor_not_a_real_number(factor):
    with pytest.raises(TypeError, match="factor"):
        raptors.scale(np.ones(3, np.float32), factor)


def test_factor_too_large_for_float64():
    with pytest.raises(OverflowError):
        raptors.scale(np.ones(3), 10**400)


def test_out_wrong_shape():
    x = np.ones((4, 5), np.float32)
    for shape in [(5, 4), (20,), (4, 5, 1), (1, 5)]:
        with pytest.raises(ValueError, match="shape"):
            raptors.scale(x, 2, out=np.empty(shape, np.float32))


def test_out_read_only():
    x = np.ones(10)
    out = np.empty(10)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        raptors.scale(x, 2, out=out)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        raptors.scale(x, 2, out=x)
    assert (x == 1).all()


def test_out_broadcast_view_is_refused():
    x = np.ones((3, 4))
    out = np.broadcast_to(np.empty(4), (3, 4))
    with pytest.raises(ValueError):
        raptors.scale(x, 2, out=out)


def test_out_with_zero_stride_made_writable_is_refused():
    base = np.zeros(4)
    out = np.lib.stride_tricks.as_strided(base, shape=(3, 4), strides=(0, 8), writeable=True)
    with pytest.raises(ValueError, match="overlapping"):
        raptors.scale(np.ones((3, 4)), 2, out=out)


def test_out_wrong_dtype():
    with pytest.raises(TypeError, match="dtype"):
        raptors.scale(np.ones(3, np.float32), 2, out=np.empty(3, np.float64))
    with pytest.raises(TypeError, match="dtype"):
        raptors.scale(np.ones(3), 2, out=np.empty(3, np.int64))


@pytest.mark.parametrize("out", [[0.0, 0.0, 0.0], (0.0,) * 3, memoryview(bytearray(24)), 3.0])
def test_out_not_an_ndarray(out):
    with pytest.raises(TypeError, match="ndarray"):
        raptors.scale(np.ones(3), 2, out=out)


def test_errors_leave_out_untouched():
    out = np.full(3, 7.0)
    with pytest.raises(TypeError):
        raptors.scale(np.ones(3), "x", out=out)
    assert (out == 7).all()


@pytest.mark.parametrize("n", [0, -1, 257, 10**9])
def test_set_num_threads_range(n):
    with pytest.raises(ValueError):
        raptors.set_num_threads(n)


@pytest.mark.parametrize("n", [2.0, "2", None, True])
def test_set_num_threads_type(n):
    with pytest.raises(TypeError):
        raptors.set_num_threads(n)


def test_set_num_threads_roundtrip():
    raptors.set_num_threads(3)
    assert raptors.get_num_threads() == 3
    assert raptors.build_info()["num_threads"] == 3
    raptors.set_num_threads(np.int64(1))
    assert raptors.get_num_threads() == 1


def test_set_simd_unknown():
    with pytest.raises(ValueError, match="not available"):
        raptors.set_simd("sse9")
    with pytest.raises(TypeError):
        raptors.set_simd(3)
    assert raptors.get_simd() in raptors.build_info()["simd_available"]
