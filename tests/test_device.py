"""The device surface on a CPU-only build, against torch's CPU build: ember.device, .to/.cuda errors,
ember.cuda queries, and nn.DataParallel as a pass-through."""
import numpy as np
import pytest
import torch

import ember

pytestmark = pytest.mark.skipif(ember.cuda.is_available(), reason="describes a CPU-only build")

SPECS = [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu", 0)]


@pytest.mark.parametrize("spec", SPECS)
def test_device_matches_torch(spec):
    e, t = ember.device(*spec), torch.device(*spec)
    assert e.type == t.type and e.index == t.index
    assert str(e) == str(t) and repr(e) == repr(t)
    assert ember.device(str(e)) == e and hash(ember.device(str(e))) == hash(e)
    assert ember.device(e) == e


def test_device_equality_and_hashing():
    assert ember.device("cuda:1").index == 1
    assert ember.device("cuda", 1) == ember.device("cuda:1")
    assert ember.device("cuda:0") != ember.device("cuda")
    assert ember.device("cpu") != ember.device("cuda")
    assert len({ember.device("cpu"), ember.device("cpu"), ember.device("cuda:0")}) == 2
    for bad in ("gpu", "cuda:-1", "cuda:x"):
        with pytest.raises(RuntimeError):
            ember.device(bad)
        with pytest.raises(RuntimeError):
            torch.device(bad)


def _error(fn):
    try:
        fn()
    except BaseException as e:  # noqa: BLE001
        return e
    return None


@pytest.mark.parametrize("what", ["tensor.cuda", "tensor.to(cuda)", "tensor.to(device)", "tensor.to(cuda:1)",
                                  "module.cuda", "module.to(cuda)"])
def test_cuda_requests_raise_torchs_error(what):
    calls = {
        "tensor.cuda": lambda m: m.ones(2).cuda(),
        "tensor.to(cuda)": lambda m: m.ones(2).to("cuda"),
        "tensor.to(device)": lambda m: m.ones(2).to(m.device("cuda")),
        "tensor.to(cuda:1)": lambda m: m.ones(2).to("cuda:1", m.float64),
        "module.cuda": lambda m: m.nn.Linear(2, 2).cuda(),
        "module.to(cuda)": lambda m: m.nn.Linear(2, 2).to("cuda"),
    }
    te, ee = _error(lambda: calls[what](torch)), _error(lambda: calls[what](ember))
    assert type(te) is AssertionError and "Torch not compiled with CUDA enabled" in str(te)
    assert isinstance(ee, AssertionError) and "Torch not compiled with CUDA enabled" in str(ee)
    assert isinstance(ee, RuntimeError)  # ember's earlier contract (tests/test_dispatch.py) still holds


def test_to_cpu_and_dtype_still_work():
    x = ember.arange(3)
    assert x.to("cpu").data_ptr() == x.data_ptr() and x.to(ember.device("cpu")).data_ptr() == x.data_ptr()
    assert x.to(ember.float64).dtype == ember.float64
    assert x.to("cpu", ember.float32).dtype == ember.float32
    assert x.to(dtype=ember.int8, device="cpu").dtype == ember.int8
    assert x.cpu().data_ptr() == x.data_ptr()
    m = ember.nn.Linear(2, 2)
    assert m.cpu() is m and m.to("cpu") is m


@pytest.mark.parametrize("name", ["is_available", "device_count", "is_initialized", "memory_allocated",
                                  "max_memory_allocated", "memory_reserved", "empty_cache", "is_bf16_supported",
                                  "current_device", "synchronize", "get_device_name", "get_device_properties",
                                  "get_device_capability", "init", "mem_get_info"])
def test_cuda_module_answers_like_torchs_cpu_build(name):
    def call(m):
        return getattr(m.cuda, name)()

    te, ee = _error(lambda: call(torch)), _error(lambda: call(ember))
    if te is None:
        assert ee is None and call(ember) == call(torch)
    else:
        assert isinstance(ee, type(te)) and str(ee) == str(te)


def test_cuda_device_context_manager():
    with ember.cuda.device(None):
        pass
    with pytest.raises(RuntimeError, match="compiled without CUDA"):
        with ember.cuda.device(0):
            pass


# ---- DataParallel -----------------------------------------------------------------------------------
def test_data_parallel_is_a_pass_through_like_torch_on_cpu():
    assert ember.nn.DataParallel is ember.nn.parallel.DataParallel
    torch.manual_seed(0)
    tlin = torch.nn.Linear(4, 3)
    elin = ember.nn.Linear(4, 3)
    elin.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tlin.state_dict().items()})
    tdp, edp = torch.nn.DataParallel(tlin), ember.nn.DataParallel(elin, device_ids=None, output_device=None, dim=0)
    assert edp.module is elin and edp.device_ids == tdp.device_ids == []
    assert list(edp.state_dict()) == list(tdp.state_dict()) == ["module.weight", "module.bias"]
    assert repr(edp) == repr(tdp)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(edp(ember.from_numpy(x)).detach().numpy(), tdp(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    # parameters are the module's, so training through the wrapper trains the module
    assert [id(p) for p in edp.parameters()] == [id(p) for p in elin.parameters()]
    out = edp(ember.from_numpy(x), ).sum()
    out.backward()
    assert elin.weight.grad is not None
    # a torch DataParallel checkpoint loads into the ember wrapper, and the module's own keys into the module
    edp.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) * 0 for k, v in tdp.state_dict().items()})
    assert float(elin.weight.abs().sum()) == 0.0
    assert ember.nn.parallel.data_parallel(elin, ember.ones(1, 4)).shape == (1, 3)


def test_device_does_not_equal_strings_like_torch():
    assert (ember.device("cuda:1") == "cuda:1") is (torch.device("cuda:1") == "cuda:1") is False
    assert (ember.device("cpu") != "cpu") is (torch.device("cpu") != "cpu") is True
