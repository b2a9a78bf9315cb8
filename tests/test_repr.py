"""Printing: repr(ember tensor) must equal repr(torch tensor) with 'torch.' -> 'ember.'."""
import numpy as np
import pytest

import ember
from conftest import require_torch


def _arrays():
    rng = np.random.default_rng(0)
    f32 = np.float32
    return {
        "int_matrix": np.arange(12).reshape(3, 4),
        "neg_ints": np.array([-5, 120, 3]),
        "f32_matrix": rng.standard_normal((4, 5)).astype(f32),
        "f64_3d": rng.standard_normal((2, 3, 4)),
        "tiny_and_one": np.array([1e-5, 1.0, 2.0], dtype=f32),
        "huge": np.array([1e10, 1.0], dtype=f32),
        "wide_ratio": np.array([100000.0, 0.5], dtype=f32),
        "int_valued_floats": np.array([1.0, 2.0, 3.0]),
        "int_valued_large": np.array([123456789.0, 1.0]),
        "nonfinite": np.array([1.0, np.nan, np.inf, -np.inf], dtype=f32),
        "only_nonfinite": np.array([np.nan, np.inf], dtype=f32),
        "zeros": np.zeros(4, dtype=f32),
        "neg_zero": np.array([-0.0, 0.0], dtype=f32),
        "bools": np.array([True, False, True]),
        "bool_matrix": np.array([[True, False], [False, False]]),
        "scalar_f32": np.array(3.5, dtype=f32),
        "scalar_int": np.array(7),
        "scalar_bool": np.array(True),
        "scalar_tiny": np.array(1.5e-7, dtype=f32),
        "empty_1d": np.zeros((0,), dtype=f32),
        "empty_int": np.zeros((0, 3), dtype=np.int64),
        "empty_2d_f32": np.zeros((2, 0), dtype=f32),
        "empty_f64": np.zeros((0,)),
        "long_row": rng.standard_normal(37).astype(f32),
        "big_matrix": rng.standard_normal((50, 40)).astype(f32),
        "big_vector": rng.standard_normal(2000).astype(f32),
        "big_ints": np.arange(5000).reshape(10, 500),
        "big_4d": rng.standard_normal((5, 6, 7, 8)).astype(f32),
        "half": rng.standard_normal((3, 4)).astype(np.float16),
        "half_ints": np.array([1, 2, 300], dtype=np.float16),
        "int32": np.arange(30, dtype=np.int32),
        "uint8": np.arange(100, dtype=np.uint8),
        "int8": np.array([-128, 0, 127], dtype=np.int8),
        "int16": np.array([[1, -2], [300, 4]], dtype=np.int16),
        "small": (rng.standard_normal((3, 3)) * 1e-6).astype(f32),
        "mixed_mag": np.array([0.001, 12.5, -300.25], dtype=f32),
        "f64": rng.standard_normal(6),
        "big_2d_tall": rng.standard_normal((2000, 2)).astype(f32),
    }


ARRAYS = _arrays()


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("requires_grad", [False, True])
def test_repr_matches_torch(name, requires_grad):
    torch = require_torch()
    a = ARRAYS[name]
    if requires_grad and a.dtype.kind != "f":
        return
    t = torch.tensor(a, requires_grad=requires_grad)
    e = ember.tensor(a, requires_grad=requires_grad)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert str(e) == str(t).replace("torch.", "ember.")


def test_repr_bfloat16():
    torch = require_torch()
    t = torch.randn(3, 4).to(torch.bfloat16)
    e = ember.tensor(t.float().numpy()).bfloat16()
    assert repr(e) == repr(t).replace("torch.", "ember.")


def test_repr_grad_fn():
    torch = require_torch()
    a = np.array([1.5, -2.0, 3.25], dtype=np.float32)
    t = torch.tensor(a, requires_grad=True) * 2
    e = ember.tensor(a, requires_grad=True) * 2
    assert repr(e) == repr(t).replace("torch.", "ember.")
    t2 = torch.tensor(np.arange(200, dtype=np.float64), requires_grad=True) + 1
    e2 = ember.tensor(np.arange(200, dtype=np.float64), requires_grad=True) + 1
    assert repr(e2) == repr(t2).replace("torch.", "ember.")


@pytest.mark.parametrize("opts", [dict(precision=2), dict(precision=6), dict(threshold=5), dict(edgeitems=1, threshold=10),
                                  dict(linewidth=40), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"),
                                  dict(profile="full"), dict(edgeitems=0, threshold=5)])
def test_print_options(opts):
    torch = require_torch()
    rng = np.random.default_rng(1)
    samples = [rng.standard_normal((4, 7)).astype(np.float32) * 100, np.arange(40).reshape(4, 10),
               np.array([1e-6, 3.0], dtype=np.float32), rng.standard_normal(30)]
    old_t, old_e = torch._tensor_str.get_printoptions(), ember.get_printoptions()
    try:
        torch.set_printoptions(**opts)
        ember.set_printoptions(**opts)
        for a in samples:
            assert repr(ember.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "ember.")
    finally:
        torch.set_printoptions(**old_t)
        ember.set_printoptions(**old_e)
    assert ember.get_printoptions() == old_e


def test_printoptions_context():
    with ember.printoptions(precision=1):
        assert repr(ember.tensor([1.25, 2.5])) == "tensor([1.2, 2.5])"
    assert repr(ember.tensor([1.25, 2.5])) == "tensor([1.2500, 2.5000])"
    with pytest.raises(ValueError):
        ember.set_printoptions(profile="nope")


def test_non_default_dtype_shown_after_set_default_dtype():
    old = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        assert repr(ember.tensor([1.5])) == "tensor([1.5000])"
        assert repr(ember.tensor([1.5], dtype=ember.float32)) == "tensor([1.5000], dtype=ember.float32)"
    finally:
        ember.set_default_dtype(old)


def test_format_and_subclass():
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert f"{ember.tensor([1, 2])}" == "tensor([1, 2])"

    class MyTensor(ember.Tensor):
        pass

    m = MyTensor(ember.tensor([1.0]))
    assert type(m) is MyTensor and repr(m) == "MyTensor([1.])"
