"""embedding (C++ op) and embedding_bag: values and gradients vs torch, padding_idx,
scale_grad_by_freq, bitwise determinism across thread counts, errors."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from conftest import require_torch
from nn_helpers import E, T

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_embedding_matches_torch(padding_idx, scale, dtype, idx_dtype):
    torch = require_torch()
    w = RNG.normal(size=(10, 4)).astype(dtype)
    idx = RNG.integers(0, 10, size=(3, 5)).astype(idx_dtype)
    idx[0, :3] = 3  # repeats and the padding row
    we, wt = E(w, True), T(w, True)
    oe = F.embedding(E(idx), we, padding_idx=padding_idx, scale_grad_by_freq=scale)
    ot = torch.nn.functional.embedding(T(idx), wt, padding_idx=padding_idx, scale_grad_by_freq=scale)
    g = RNG.normal(size=ot.shape).astype(dtype)
    oe.backward(E(g))
    ot.backward(T(g))
    np.testing.assert_array_equal(oe.detach().numpy(), ot.detach().numpy())
    np.testing.assert_allclose(we.grad.numpy(), wt.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert oe.grad_fn.name() == "EmbeddingBackward0"


def test_embedding_module_and_double_backward():
    torch = require_torch()
    m = nn.Embedding(12, 3, padding_idx=2)
    mt = torch.nn.Embedding(12, 3, padding_idx=2)
    mt.weight.data = T(m.weight.detach().numpy())
    idx = RNG.integers(0, 12, size=(7,))
    np.testing.assert_array_equal(m(E(idx)).detach().numpy(), mt(T(idx)).detach().numpy())
    w = E(RNG.normal(size=(6, 2)), True)
    i = E(np.array([1, 1, 4, 0]))
    assert ember.autograd.gradcheck(lambda w: F.embedding(i, w), (w,))  # padding_idx: no gradient by definition
    assert ember.autograd.gradgradcheck(lambda w: F.embedding(i, w, padding_idx=4) ** 2, (w,))
    # scale_grad_by_freq is not the true derivative (torch's definition): its differentiable backward
    # must equal the fused kernel's
    g = E(RNG.normal(size=(4, 2)), True)
    (gw,) = ember.autograd.grad(F.embedding(i, w, padding_idx=0, scale_grad_by_freq=True), w, g, create_graph=True)
    (gk,) = ember.autograd.grad(F.embedding(i, w, padding_idx=0, scale_grad_by_freq=True), w, g.detach())
    assert gw.requires_grad
    np.testing.assert_allclose(gw.detach().numpy(), gk.numpy(), rtol=1e-12)


def test_embedding_backward_bitwise_same_across_threads():
    w = RNG.normal(size=(50, 64)).astype(np.float32)
    idx = RNG.integers(0, 50, size=(64, 32))
    g = RNG.normal(size=(64, 32, 64)).astype(np.float32)
    grads = []
    old = ember.get_num_threads()
    try:
        for n in (1, 2):
            ember.set_num_threads(n)
            we = E(w, True)
            F.embedding(E(idx), we, scale_grad_by_freq=True).backward(E(g))
            grads.append(we.grad.numpy().copy())
    finally:
        ember.set_num_threads(old)
    assert np.array_equal(grads[0], grads[1])


def test_embedding_errors():
    torch = require_torch()
    w = RNG.normal(size=(10, 3)).astype(np.float32)
    for idx in (np.array([0, 10]), np.array([0, -1])):
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(E(idx), E(w))
        with pytest.raises(IndexError):
            torch.nn.functional.embedding(T(idx), T(w))
    with pytest.raises(RuntimeError, match="indices"):
        F.embedding(E(np.array([0.0, 1.0])), E(w))
    with pytest.raises(AssertionError):
        F.embedding(E(np.array([0])), E(w), padding_idx=10)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("layout", ["2d", "offsets", "offsets_last"])
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_bag_matches_torch(mode, layout, padding_idx):
    torch = require_torch()
    w = RNG.normal(size=(8, 3))
    if layout == "2d":
        idx, off, last = RNG.integers(0, 8, size=(4, 3)), None, False
        idx[1, 0] = 1
    else:
        idx = RNG.integers(0, 8, size=(9,))
        idx[2] = 1
        off = np.array([0, 2, 2, 5] + ([9] if layout == "offsets_last" else []))  # one empty bag
        last = layout == "offsets_last"
    psw = RNG.normal(size=idx.shape) if mode == "sum" else None
    we, wt = E(w, True), T(w, True)
    kw = dict(mode=mode, include_last_offset=last, padding_idx=padding_idx)
    oe = F.embedding_bag(E(idx), we, None if off is None else E(off),
                         per_sample_weights=None if psw is None else E(psw), **kw)
    ot = torch.nn.functional.embedding_bag(T(idx), wt, None if off is None else T(off),
                                           per_sample_weights=None if psw is None else T(psw), **kw)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = RNG.normal(size=ot.shape)
    oe.backward(E(g))
    ot.backward(T(g))
    np.testing.assert_allclose(we.grad.numpy(), wt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_embedding_bag_module():
    torch = require_torch()
    m = nn.EmbeddingBag(10, 4, mode="sum")
    mt = torch.nn.EmbeddingBag(10, 4, mode="sum")
    mt.weight.data = T(m.weight.detach().numpy())
    idx, off = RNG.integers(0, 10, size=(6,)), np.array([0, 4])
    np.testing.assert_allclose(m(E(idx), E(off)).detach().numpy(), mt(T(idx), T(off)).detach().numpy(), rtol=1e-6)
    assert list(m.state_dict()) == list(mt.state_dict())
    with pytest.raises(NotImplementedError):
        F.embedding_bag(E(idx), m.weight, E(off), mode="mean", per_sample_weights=E(np.ones(6, np.float32)))
