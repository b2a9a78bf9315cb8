"""Fused dropout: mask statistics and scaling, backward through the saved mask, p=0 / p=1 and eval
edge cases, in-place, same mask for the same seed whatever the thread count."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_helpers import E

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_grad(p, dtype):
    x = RNG.uniform(1, 2, size=(300, 101)).astype(dtype)
    xe = E(x, True)
    y = F.dropout(xe, p)
    yn = y.detach().numpy()
    kept = yn != 0
    np.testing.assert_allclose(yn[kept], x[kept] / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.01
    g = RNG.normal(size=x.shape).astype(dtype)
    y.backward(E(g))
    np.testing.assert_allclose(xe.grad.numpy(), np.where(kept, g / (1 - p), 0), rtol=1e-6)
    assert y.grad_fn.name() == "NativeDropoutBackward0"


def test_edge_cases():
    x = E(RNG.normal(size=(5, 4)), True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert (y.detach().numpy() == 0).all()
    y.sum().backward()
    assert (x.grad.numpy() == 0).all()
    for p in (-0.1, 1.1):
        with pytest.raises(ValueError, match="dropout probability"):
            F.dropout(x, p)
    m = nn.Dropout(0.3)
    m.eval()
    assert m(x) is x
    assert F.dropout(E(np.zeros((0, 3))), 0.5).shape == (0, 3)


def test_inplace():
    x = RNG.uniform(1, 2, size=(64, 33))
    leaf = E(x, True)
    h = leaf * 1.0
    out = F.dropout(h, 0.4, inplace=True)
    assert out is h
    kept = h.detach().numpy() != 0
    np.testing.assert_allclose(h.detach().numpy()[kept], x[kept] / 0.6)
    h.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), np.where(kept, 1 / 0.6, 0))
    t = E(x).t()  # non-contiguous, in place
    before = t.numpy().copy()
    nn.Dropout(0.5, inplace=True)(t)
    after = t.numpy()
    assert np.all((after == 0) | np.isclose(after, before * 2))
    with pytest.raises(RuntimeError):
        F.dropout(E(x, True), 0.5, inplace=True)  # a leaf that requires grad


def test_same_seed_same_mask_any_thread_count():
    x = E(np.ones((1 << 17) + 5, np.float32))
    masks = []
    old = ember.get_num_threads()
    try:
        for n in (1, 2, 1):
            ember.set_num_threads(n)
            ember.manual_seed(123)
            masks.append(F.dropout(x, 0.3).numpy().copy())
    finally:
        ember.set_num_threads(old)
    assert np.array_equal(masks[0], masks[1]) and np.array_equal(masks[0], masks[2])
    ember.manual_seed(124)
    assert not np.array_equal(masks[0], F.dropout(x, 0.3).numpy())
