"""The CUDA backend (ember._cuda) against the CPU backend on the same inputs.

Every test but the last section needs a GPU: without one they are skipped (not passed). The last
section checks the CPU-only surface this file adds (pin_memory, the backend capsule); the rest of
the CPU-build behaviour (.cuda() raising torch's error, ember.cuda answers) is in test_device.py.
"""
import numpy as np
import pytest

import ember

HAS_CUDA = ember.cuda.is_available()


def cuda_only(fn):
    """Marked `cuda` (conftest skips these without a GPU) and skipped with the reason spelled out."""
    return pytest.mark.cuda(pytest.mark.skipif(not HAS_CUDA, reason="needs an NVIDIA GPU and ember built with "
                                               "EMBER_WITH_CUDA=ON")(fn))


RNG = np.random.default_rng(0)


def _np(t):
    return t.detach().cpu().float().numpy() if t.dtype == ember.bfloat16 else t.detach().cpu().numpy()


def _rand(*shape, dtype=np.float32):
    return ember.from_numpy(RNG.standard_normal(shape).astype(dtype))


def _close(gpu, cpu, rtol=1e-5, atol=1e-6):
    assert gpu.device.type == "cuda", gpu.device
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_allclose(_np(gpu).astype(np.float64), _np(cpu).astype(np.float64), rtol=rtol, atol=atol)


# ---- device, copies -----------------------------------------------------------------------------------
@cuda_only
def test_device_queries():
    assert ember.cuda.device_count() >= 1
    assert ember.cuda.current_device() == 0
    props = ember.cuda.get_device_properties(0)
    assert props.total_memory > 0 and props.multi_processor_count > 0
    assert isinstance(ember.cuda.get_device_name(), str) and ember.cuda.get_device_name() == props.name
    assert ember.cuda.get_device_capability() == (props.major, props.minor)
    ember.cuda.set_device(0)
    ember.cuda.synchronize()
    free, total = ember.cuda.mem_get_info()
    assert 0 < free <= total


@cuda_only
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_])
def test_copy_round_trip(dtype):
    a = (RNG.standard_normal((3, 5)) * 10).astype(dtype)
    x = ember.from_numpy(a)
    for y in (x.cuda(), x.to("cuda"), x.to(ember.device("cuda:0")), x.to("cuda", non_blocking=True)):
        assert y.is_cuda and y.device == ember.device("cuda:0") and str(y.device) == "cuda:0"
        np.testing.assert_array_equal(y.cpu().numpy(), a)
    np.testing.assert_array_equal(x.cuda().cuda().cpu().numpy(), a)  # no-op on the same device


@cuda_only
def test_copy_strided_broadcast_and_casting_across_devices():
    a = _rand(4, 6)
    g = ember.zeros(6, 4, device="cuda")
    g.copy_(a.t())  # non-contiguous source from the CPU
    np.testing.assert_array_equal(g.cpu().numpy(), a.t().numpy())
    d = ember.zeros(4, 6, dtype=ember.float64)
    d.copy_(g.t())  # CUDA -> CPU with a cast
    np.testing.assert_allclose(d.numpy(), a.numpy().astype(np.float64))
    b = ember.empty(3, 6, device="cuda")
    b.copy_(a[0])  # broadcast
    np.testing.assert_array_equal(b.cpu().numpy(), np.broadcast_to(a[0].numpy(), (3, 6)))
    h = ember.zeros(3, 6, dtype=ember.float16, device="cuda")
    h.copy_(b)  # device-side cast
    np.testing.assert_array_equal(h.cpu().numpy(), b.cpu().numpy().astype(np.float16))
    s = ember.zeros(6, device="cuda")[::2]
    s.copy_(ember.arange(3.0))  # strided destination
    np.testing.assert_array_equal(s.cpu().numpy(), [0.0, 1.0, 2.0])


@cuda_only
def test_pinned_memory_and_non_blocking_copies():
    x = _rand(1000)
    assert not x.is_pinned()
    p = x.pin_memory()
    assert p.is_pinned() and p.device.type == "cpu"
    np.testing.assert_array_equal(p.numpy(), x.numpy())
    g = p.to("cuda", non_blocking=True)
    back = ember.empty(1000).pin_memory()
    back.copy_(g, non_blocking=True)
    ember.cuda.synchronize()
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert g.cuda(non_blocking=True) is not None


@cuda_only
def test_factories_item_and_repr_on_cuda():
    z = ember.zeros(2, 3, device="cuda")
    assert z.is_cuda and float(z.sum()) == 0.0
    f = ember.full((2,), 7, device="cuda")
    assert f.dtype == ember.int64 and f.cpu().tolist() == [7, 7]
    assert ember.ones(3, device="cuda")[1].item() == 1.0
    assert "device='cuda:0'" in repr(ember.ones(2, device="cuda"))
    with pytest.raises(TypeError):
        ember.ones(2, device="cuda").numpy()


# ---- the caching allocator ----------------------------------------------------------------------------
@cuda_only
def test_allocator_statistics():
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    base = ember.cuda.memory_allocated()
    x = ember.empty(1024 * 1024, device="cuda")  # 4 MiB
    assert ember.cuda.memory_allocated() - base >= 4 * 1024 * 1024
    assert ember.cuda.memory_reserved() >= ember.cuda.memory_allocated()
    peak = ember.cuda.max_memory_allocated()
    assert peak >= ember.cuda.memory_allocated()
    ptr = x.data_ptr()
    del x
    assert ember.cuda.memory_allocated() == base
    assert ember.cuda.memory_reserved() > 0  # cached, not returned
    y = ember.empty(1024 * 1024, device="cuda")
    assert y.data_ptr() == ptr  # served from the cache
    del y
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == ember.cuda.memory_allocated()
    ember.cuda.empty_cache()
    if base == 0:
        assert ember.cuda.memory_reserved() == 0
    small = [ember.empty(10, device="cuda") for _ in range(100)]  # small pool: one 2 MiB segment
    assert len({t.data_ptr() for t in small}) == 100
    del small


@cuda_only
def test_out_of_memory_raises_and_allocator_survives():
    with pytest.raises(ember.cuda.OutOfMemoryError, match="out of memory"):
        ember.empty(1 << 50, dtype=ember.uint8, device="cuda")
    assert issubclass(ember.cuda.OutOfMemoryError, RuntimeError)
    x = ember.ones(10, device="cuda")
    assert float(x.sum()) == 10.0


# ---- elementwise ---------------------------------------------------------------------------------------
UNARY = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos", "erf", "floor", "rsqrt",
         "expm1", "log1p", "reciprocal", "square"]


@cuda_only
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_matches_cpu(name, dtype):
    x = _rand(7, 9, dtype=dtype).abs() + 0.1 if name in ("log", "sqrt", "rsqrt", "log1p") else _rand(7, 9, dtype=dtype)
    fn = getattr(ember, name)
    _close(fn(x.cuda()), fn(x), rtol=1e-5 if dtype == np.float32 else 1e-12)
    _close(fn(x.cuda().t()), fn(x.t()), rtol=1e-5 if dtype == np.float32 else 1e-12)  # transposed


@cuda_only
@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_half_types_elementwise(dtype):
    x, y = _rand(33, 17).to(dtype), _rand(33, 17).to(dtype)
    _close(x.cuda() + y.cuda(), x + y, rtol=1e-2, atol=1e-2)
    _close(ember.exp(x.cuda()), ember.exp(x), rtol=1e-2, atol=1e-2)
    _close(x.cuda().float(), x.float())


@cuda_only
def test_binary_broadcast_alpha_and_scalars():
    a, b = _rand(4, 1, 5), _rand(3, 1)
    _close(a.cuda() + b.cuda(), a + b)
    _close(ember.add(a.cuda(), b.cuda(), alpha=2.5), ember.add(a, b, alpha=2.5))
    _close(a.cuda() * 3 - 1, a * 3 - 1)
    _close(a.cuda() / b.cuda(), a / b)
    _close(ember.maximum(a.cuda(), b.cuda()), ember.maximum(a, b))
    _close(a.cuda().abs() ** b.cuda(), a.abs() ** b, rtol=1e-4)
    _close(a.cuda() > b.cuda(), a > b)
    _close(ember.where(a.cuda() > 0, a.cuda(), b.cuda()), ember.where(a > 0, a, b))
    i, j = ember.arange(12).reshape(3, 4), ember.arange(1, 5)
    _close(i.cuda() // j.cuda(), i // j)
    _close(i.cuda() % j.cuda(), i % j)
    _close(i.cuda() & j.cuda(), i & j)
    _close(ember.clamp(a.cuda(), -0.5, 0.5), ember.clamp(a, -0.5, 0.5))
    s = ember.tensor(2.0)  # a 0-dim CPU tensor joins a CUDA tensor, as in PyTorch
    _close(a.cuda() * s, a * s)


@cuda_only
def test_mixing_devices_raises_torchs_error():
    a, b = ember.ones(3).cuda(), ember.ones(3)
    msg = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    with pytest.raises(RuntimeError, match=msg.replace("!", "")):
        a + b
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.matmul(ember.ones(2, 2).cuda(), ember.ones(2, 2))


@cuda_only
def test_missing_cuda_kernel_names_the_op():
    x = ember.ones(4, device="cuda")
    with pytest.raises(NotImplementedError, match="cuda"):
        ember.cumsum(x, 0)


# ---- reductions ----------------------------------------------------------------------------------------
@cuda_only
@pytest.mark.parametrize("shape,dim", [((1000,), None), ((37, 53), 0), ((37, 53), 1), ((5, 6, 7), (0, 2)),
                                       ((3, 200000), 1), ((2_000_001,), None), ((64, 3), 1)])
def test_sum_mean_amax_amin(shape, dim):
    x = _rand(*shape, dtype=np.float64)
    g = x.cuda()
    kw = {} if dim is None else {"dim": dim}
    _close(g.sum(**kw), x.sum(**kw), rtol=1e-10)
    _close(g.mean(**kw), x.mean(**kw), rtol=1e-10)
    _close(ember.amax(g, **kw), ember.amax(x, **kw))
    _close(ember.amin(g, **kw), ember.amin(x, **kw))
    if dim is not None:
        _close(g.sum(keepdim=True, **kw), x.sum(keepdim=True, **kw), rtol=1e-10)


@cuda_only
def test_arg_reductions_ties_nan_and_transposed():
    x = ember.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, float("nan"), 5.0, float("nan")], [-1.0, -1.0, -2.0, -2.0]])
    for fn in (ember.argmax, ember.argmin):
        for dim in (0, 1):
            _close(fn(x.cuda(), dim=dim), fn(x, dim=dim))
        _close(fn(x.cuda()), fn(x))
    v, i = ember.max(x.cuda(), 1)
    ev, ei = ember.max(x, 1)
    _close(v, ev)
    _close(i, ei)
    y = _rand(300, 70)
    _close(ember.argmax(y.cuda().t(), dim=1), ember.argmax(y.t(), dim=1))


@cuda_only
def test_integer_and_bool_reductions():
    i = ember.arange(24).reshape(4, 6)
    _close(i.cuda().sum(1), i.sum(1))
    _close(i.cuda().prod(0), i.prod(0))
    b = i % 3 == 0
    _close(b.cuda().any(1), b.any(1))
    _close(b.cuda().all(0), b.all(0))
    _close(b.cuda().sum(), b.sum())


# ---- softmax -------------------------------------------------------------------------------------------
@cuda_only
@pytest.mark.parametrize("shape,dim", [((8, 1000), 1), ((8, 1000), 0), ((4, 5, 6), 1), ((3, 7), -1)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_forward_backward(shape, dim, log):
    fn = ember.log_softmax if log else ember.softmax
    x = _rand(*shape, dtype=np.float64).requires_grad_()
    xg = x.detach().cuda().requires_grad_()
    y, yg = fn(x, dim), fn(xg, dim)
    _close(yg, y, rtol=1e-10, atol=1e-12)
    g = _rand(*shape, dtype=np.float64)
    y.backward(g)
    yg.backward(g.cuda())
    _close(xg.grad, x.grad, rtol=1e-10, atol=1e-12)
    row = ember.tensor([[0.0, float("-inf"), 1.0], [float("-inf")] * 3])
    _close(fn(row.cuda(), 1), fn(row, 1))


# ---- matmul --------------------------------------------------------------------------------------------
@cuda_only
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (17, 33, 9), (128, 64, 256), (1, 100, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_matches_cpu(m, k, n, dtype):
    a, b = _rand(m, k, dtype=dtype), _rand(k, n, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    _close(a.cuda() @ b.cuda(), a @ b, rtol=tol, atol=tol)
    at, bt = _rand(k, m, dtype=dtype).t(), _rand(n, k, dtype=dtype).t()  # column-major operands
    _close(at.cuda() @ bt.cuda(), at @ bt, rtol=tol, atol=tol)
    _close(a.cuda() @ bt.cuda(), a @ bt, rtol=tol, atol=tol)


@cuda_only
def test_batched_broadcast_and_strided_matmul():
    a, b = _rand(5, 7, 3), _rand(5, 3, 4)
    _close(ember.bmm(a.cuda(), b.cuda()), ember.bmm(a, b), rtol=1e-4, atol=1e-5)
    w = _rand(3, 4)
    _close(a.cuda() @ w.cuda(), a @ w, rtol=1e-4, atol=1e-5)  # broadcast weight (batch stride 0)
    s = _rand(5, 7, 6)[:, :, ::2]  # strided inner dim: packed to a scratch copy
    _close(s.cuda() @ b.cuda(), s @ b, rtol=1e-4, atol=1e-5)
    lin = ember.nn.Linear(3, 4)
    x = _rand(8, 3)
    lin_cuda = ember.nn.Linear(3, 4)
    lin_cuda.load_state_dict(lin.state_dict())
    lin_cuda.cuda()
    _close(lin_cuda(x.cuda()), lin(x), rtol=1e-4, atol=1e-5)


@cuda_only
@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_half_matmul_on_tensor_cores(dtype):
    a, b = _rand(64, 96), _rand(96, 48)
    ref = (a @ b).numpy()
    got = (a.to(dtype).cuda() @ b.to(dtype).cuda())
    assert got.dtype == dtype
    np.testing.assert_allclose(_np(got), ref, rtol=5e-2, atol=5e-1 if dtype == ember.bfloat16 else 1e-1)


@cuda_only
def test_tf32_flag():
    a, b = _rand(256, 256), _rand(256, 256)
    ref = (a.double() @ b.double()).numpy()
    try:
        ember.backends.cuda.matmul.allow_tf32 = True
        tf32 = (a.cuda() @ b.cuda()).cpu().numpy()
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False
    full = (a.cuda() @ b.cuda()).cpu().numpy()
    np.testing.assert_allclose(full, ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tf32, ref, rtol=5e-2, atol=5e-2)


# ---- autograd across devices ---------------------------------------------------------------------------
@cuda_only
def test_backward_through_cuda_ops_reaches_cpu_leaf():
    x = _rand(4, 3).requires_grad_()
    w = _rand(3, 2).requires_grad_()
    y = (ember.relu(x.cuda() @ w.cuda()) * 2).sum()
    y.backward()
    x2, w2 = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
    (ember.relu(x2 @ w2) * 2).sum().backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- streams and events --------------------------------------------------------------------------------
@cuda_only
def test_streams_and_events():
    s = ember.cuda.Stream()
    assert ember.cuda.current_stream() == ember.cuda.default_stream()
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
        start.record()
        x = ember.ones(1000, 1000, device="cuda") * 2
        end.record()
    assert ember.cuda.current_stream() == ember.cuda.default_stream()
    ember.cuda.current_stream().wait_stream(s)
    end.synchronize()
    assert end.query() and s.query()
    assert start.elapsed_time(end) >= 0.0
    assert float(x.sum()) == 2_000_000.0


# ---- a CPU-only build ----------------------------------------------------------------------------------
cpu_only = pytest.mark.skipif(HAS_CUDA, reason="describes a build or machine without a GPU")


@cpu_only
def test_pin_memory_without_a_gpu_raises_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as te:
        torch.ones(2).pin_memory()
    with pytest.raises(RuntimeError) as ee:
        ember.ones(2).pin_memory()
    assert "accelerator" in str(te.value) and "accelerator" in str(ee.value)
    assert ember.ones(2).is_pinned() is False and torch.ones(2).is_pinned() is False


def test_backend_api_capsule_is_exported():
    assert type(ember._C._backend_api).__name__ == "PyCapsule"
    assert ember._C._backend_api_version >= 1


@cpu_only
def test_cuda_tensor_factories_raise_without_a_gpu():
    with pytest.raises(RuntimeError, match="not compiled with CUDA"):
        ember.zeros(2, device="cuda")
    assert ember.cuda.memory_allocated() == 0 and not ember.cuda.is_initialized()
