"""Conv, pooling and normalisation modules: same weights give torch's outputs and gradients;
state_dict keys, buffers and repr match torch's."""
import numpy as np
import pytest

import ember
from conftest import require_torch

CASES = [
    ("Conv2d", (3, 8, 3), dict(stride=2, padding=1), (2, 3, 9, 9)),
    ("Conv2d", (4, 6, (3, 1)), dict(groups=2, bias=False), (2, 4, 7, 6)),
    ("Conv2d", (3, 4, 3), dict(padding="same", padding_mode="reflect"), (2, 3, 6, 6)),
    ("Conv1d", (3, 5, 3), dict(padding=1, dilation=2), (2, 3, 11)),
    ("ConvTranspose2d", (4, 3, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 5)),
    ("ConvTranspose1d", (4, 3, 4), dict(stride=2), (2, 4, 6)),
    ("MaxPool2d", (2,), dict(), (2, 3, 8, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 9)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 9, 9)),
    ("MaxPool1d", (2,), dict(), (2, 3, 9)),
    ("AvgPool1d", (3,), dict(stride=2), (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((1, 1),), dict(), (2, 3, 7, 7)),
    ("AdaptiveAvgPool2d", (3,), dict(), (2, 3, 7, 8)),
    ("AdaptiveMaxPool2d", (2,), dict(), (2, 3, 8, 8)),
    ("AdaptiveAvgPool1d", (4,), dict(), (2, 3, 8)),
    ("BatchNorm2d", (3,), dict(), (4, 3, 5, 5)),
    ("BatchNorm1d", (3,), dict(momentum=None), (8, 3)),
    ("BatchNorm1d", (3,), dict(affine=False), (4, 3, 6)),
    ("LayerNorm", ((5, 6),), dict(), (2, 3, 5, 6)),
    ("GroupNorm", (2, 4), dict(), (3, 4, 5, 5)),
    ("InstanceNorm2d", (3,), dict(affine=True), (2, 3, 5, 5)),
]


def _copy_weights(e_mod, t_mod):
    torch = require_torch()
    state = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()}
    e_mod.load_state_dict(state)
    assert list(e_mod.state_dict().keys()) == list(t_mod.state_dict().keys())


@pytest.mark.parametrize("i", range(len(CASES)))
@pytest.mark.parametrize("train", [True, False])
def test_module_matches_torch(i, train):
    torch = require_torch()
    name, args, kwargs, shape = CASES[i]
    t_mod = getattr(torch.nn, name)(*args, **kwargs).double()
    e_mod = getattr(ember.nn, name)(*args, **kwargs).double()
    _copy_weights(e_mod, t_mod)
    assert repr(e_mod) == repr(t_mod)
    t_mod.train(train)
    e_mod.train(train)
    x = np.random.default_rng(i).standard_normal(shape)
    ex, tx = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    for _ in range(2):  # twice: running statistics must evolve the same way
        e, t = e_mod(ex), t_mod(tx)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-9)
    g = np.random.default_rng(99).standard_normal(tuple(t.shape))
    e.backward(ember.from_numpy(g.copy()))
    t.backward(torch.from_numpy(g.copy()))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-8)
    for (n1, p1), (n2, p2) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
        assert n1 == n2
        np.testing.assert_allclose(p1.grad.numpy(), p2.grad.numpy(), rtol=1e-8, atol=1e-8)
    for (n1, b1), (n2, b2) in zip(e_mod.named_buffers(), t_mod.named_buffers()):
        assert n1 == n2
        np.testing.assert_allclose(b1.numpy(), b2.numpy(), rtol=1e-9, atol=1e-9)


def test_default_init_statistics_match_torch():
    """kaiming_uniform(a=sqrt(5)) weights and uniform(+-1/sqrt(fan_in)) bias, like torch."""
    ember.manual_seed(0)
    conv = ember.nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound + 1e-7 and np.abs(b).max() <= bound + 1e-7
    assert abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound


def test_conv_module_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="expected 4D input"):
        ember.nn.BatchNorm2d(3)(ember.zeros(2, 3))
