"""NumPy and DLPack interop: shared memory both ways, dtype inference of ember.tensor vs
torch.tensor, tolist/item, and DLPack round trips with NumPy and PyTorch."""
import warnings

import numpy as np
import pytest

import ember
from conftest import require_torch

NP_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


# ---- NumPy: memory sharing
@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_from_numpy_shares_memory(dtype):
    a = np.zeros((3, 4), dtype=dtype)
    t = ember.from_numpy(a)
    assert t.dtype == getattr(ember, dtype) and t.shape == (3, 4)
    a[1, 2] = 1
    assert t[1, 2].item() == 1
    t[0, 0] = 1
    assert a[0, 0] == 1


def test_from_numpy_strides_and_keepalive():
    a = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]
    t = ember.from_numpy(a)
    assert t.stride() == (6, 2) and not t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), a)
    b = np.arange(5.0)
    t = ember.from_numpy(b)
    del b
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_from_numpy_errors():
    with pytest.raises(TypeError):
        ember.from_numpy([1, 2])
    with pytest.raises(TypeError):
        ember.from_numpy(np.zeros(3, dtype=np.complex64))
    with pytest.raises(ValueError):
        ember.from_numpy(np.arange(5)[::-1])


def test_numpy_shares_memory():
    t = ember.zeros(2, 3)
    a = t.numpy()
    a[0, 1] = 5
    assert t[0, 1].item() == 5
    t.add_(1)
    assert a[1, 1] == 1
    v = ember.arange(12).view(3, 4).t()
    np.testing.assert_array_equal(v.numpy(), np.arange(12).reshape(3, 4).T)
    with pytest.raises(RuntimeError):
        ember.zeros(2, requires_grad=True).numpy()
    assert ember.zeros(2, requires_grad=True).numpy(force=True).shape == (2,)


def test_array_protocol():
    t = ember.arange(6, dtype=ember.float32).view(2, 3)
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert np.sum(np.asarray(t)) == 15 and np.sqrt(t).dtype == np.float32
    np.testing.assert_array_equal(np.add(np.asarray(t), 1), np.arange(1, 7).reshape(2, 3))
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.array(ember.tensor([True, False])), [True, False])
    assert np.asarray(ember.tensor(3.5)).shape == ()


def test_tolist_and_item():
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor([1.5, 2.5]).tolist() == [1.5, 2.5]
    assert ember.tensor([True, False]).tolist() == [True, False]
    assert ember.tensor(3).tolist() == 3
    assert ember.tensor(2.5).item() == 2.5 and isinstance(ember.tensor(2.5).item(), float)
    assert isinstance(ember.tensor(2).item(), int) and isinstance(ember.tensor(True).item(), bool)
    assert ember.tensor([7]).item() == 7
    with pytest.raises(RuntimeError):
        ember.tensor([1, 2]).item()
    assert ember.zeros(2, 0).tolist() == [[], []]
    assert ember.tensor([1.5], dtype=ember.bfloat16).tolist() == [1.5]


# ---- ember.tensor: dtype inference vs torch.tensor
def _inputs():
    return [
        [1, 2, 3], [1.0, 2], [True, False], [[1, 2], [3, 4]], ((1, 2), (3, 4)), [(1.5, 2), (3, 4)],
        5, 5.0, True, -3, [], [[]], [[], []], [1, 2.5, True], [True, 2], [2**40, 1],
        np.array([1, 2], dtype=np.int32), np.array([1.5], dtype=np.float16), np.array(2.5), np.arange(6).reshape(2, 3),
        np.array([True]), np.float64(1.5), np.float32(2.5), np.int32(4), np.int64(7), np.bool_(True),
        [np.array([1.0, 2.0]), np.array([3.0, 4.0])], np.zeros((2, 0, 3)), [[[1]], [[2]]],
        np.arange(12, dtype=np.uint8).reshape(3, 4)[:, ::2], float("inf"), [float("nan"), 1],
    ]


@pytest.mark.parametrize("i", range(len(_inputs())))
def test_tensor_inference_matches_torch(i):
    torch = require_torch()
    data = _inputs()[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "a list of numpy.ndarrays is extremely slow"
        t = torch.tensor(data)
    e = ember.tensor(data)
    assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", ""), repr(data)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(np.asarray(e.tolist()), np.asarray(t.tolist()))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int8", "uint8", "bool"])
def test_tensor_with_dtype_matches_torch(dtype):
    torch = require_torch()
    data = [[0, 1], [1, 0]]
    e = ember.tensor(data, dtype=getattr(ember, dtype))
    t = torch.tensor(data, dtype=getattr(torch, dtype))
    assert e.dtype == getattr(ember, dtype)
    assert e.tolist() == t.tolist()


def test_tensor_copies_and_default_dtype():
    a = np.zeros(3, dtype=np.float32)
    t = ember.tensor(a)
    a[0] = 1
    assert t[0].item() == 0
    old = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.tensor([1.5]).dtype == ember.float64
        assert ember.tensor([1]).dtype == ember.int64
    finally:
        ember.set_default_dtype(old)
    assert ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]).tolist() == [1.0, 2.0]
    src = ember.tensor([1.0, 2.0])
    cp = ember.tensor(src)
    cp.add_(1)
    assert src.tolist() == [1.0, 2.0]
    assert ember.tensor([1.0], requires_grad=True).requires_grad


def test_tensor_errors():
    with pytest.raises(ValueError):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(ValueError):
        ember.tensor([[1, 2], 3])
    with pytest.raises(TypeError):
        ember.tensor("abc")
    with pytest.raises(TypeError):
        ember.tensor(["a", "b"])
    with pytest.raises(TypeError):
        ember.tensor([1, None])
    with pytest.raises(TypeError):
        ember.tensor({"a": 1})


# ---- DLPack
DL_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def test_dlpack_device():
    assert ember.zeros(2).__dlpack_device__() == (1, 0)


@pytest.mark.parametrize("dtype", DL_DTYPES)
def test_dlpack_numpy_round_trip(dtype):
    e = ember.zeros(3, 4, dtype=getattr(ember, dtype))
    a = np.from_dlpack(e)
    assert a.dtype == np.dtype(dtype) and a.shape == (3, 4)
    a[1, 1] = 1
    assert e[1, 1].item() == 1
    e[2, 3] = 1
    assert a[2, 3] == 1
    b = np.zeros((2, 5), dtype=dtype)
    f = ember.from_dlpack(b)
    assert f.dtype == getattr(ember, dtype) and f.shape == (2, 5)
    b[0, 4] = 1
    assert f[0, 4].item() == 1


def test_dlpack_numpy_strides():
    e = ember.arange(24, dtype=ember.float32).view(4, 6).t()[::2]
    a = np.from_dlpack(e)
    assert a.strides == tuple(s * 4 for s in e.stride())
    np.testing.assert_array_equal(a, e.contiguous().numpy())
    b = np.arange(30.0).reshape(5, 6)[1:, ::3]
    f = ember.from_dlpack(b)
    assert f.stride() == (6, 3) and f.storage_offset() == 0
    np.testing.assert_array_equal(f.numpy(), b)
    z = ember.from_dlpack(np.array(4.5))
    assert z.shape == () and z.item() == 4.5
    emp = ember.from_dlpack(np.zeros((0, 3), dtype=np.float32))
    assert emp.shape == (0, 3)


def test_dlpack_keeps_producer_alive():
    e = ember.arange(5, dtype=ember.float64)
    a = np.from_dlpack(e)
    del e
    np.testing.assert_array_equal(a, np.arange(5.0))
    b = np.arange(4.0)
    f = ember.from_dlpack(b)
    del b
    assert f.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_dlpack_capsules():
    e = ember.ones(3)
    cap = e.__dlpack__()
    f = ember.from_dlpack(cap)
    f[0] = 7
    assert e[0].item() == 7
    with pytest.raises(ValueError):
        ember.from_dlpack(cap)  # consumed
    unused = e.__dlpack__(max_version=(1, 0))
    del unused  # an unconsumed capsule frees its tensor
    copied = ember.from_dlpack(e.__dlpack__(max_version=(1, 0), copy=True))
    copied[1] = 9
    assert e[1].item() == 1
    with pytest.raises(RuntimeError):
        ember.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(TypeError):
        ember.from_dlpack([1, 2])


@pytest.mark.parametrize("dtype", DL_DTYPES + ["bfloat16"])
def test_dlpack_torch_round_trip(dtype):
    torch = require_torch()
    e = ember.zeros(2, 3, dtype=getattr(ember, dtype))
    t = torch.from_dlpack(e)
    assert t.dtype == getattr(torch, dtype) and tuple(t.shape) == (2, 3)
    t[0, 1] = 1
    assert e[0, 1].item() == 1
    src = torch.zeros(4, 5, dtype=getattr(torch, dtype))[:, 1::2]
    f = ember.from_dlpack(src)
    assert f.dtype == getattr(ember, dtype) and f.stride() == src.stride()
    src[3, 1] = 1
    assert f[3, 1].item() == 1
    assert f.data_ptr() == src.data_ptr()


def test_dlpack_torch_values():
    torch = require_torch()
    e = ember.randn(5, 7)
    np.testing.assert_array_equal(torch.from_dlpack(e.t()).numpy(), e.t().contiguous().numpy())
    t = torch.randn(3, 4)
    np.testing.assert_array_equal(ember.from_dlpack(t).numpy(), t.numpy())
    legacy = torch.utils.dlpack.from_dlpack(ember._C._ops._to_dlpack(e))
    assert legacy.data_ptr() == e.data_ptr()
