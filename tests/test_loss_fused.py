"""Fused cross_entropy / nll_loss (C++ ops): values and gradients vs torch, weights, ignore_index,
label smoothing, N-d inputs, float64 gradcheck and double backward, thread-count determinism, errors."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from conftest import require_torch
from nn_helpers import E, T

RNG = np.random.default_rng(7)

SHAPES = [((6, 5), (6,)), ((5,), ()), ((4, 3, 2, 3), (4, 2, 3))]


def _target(tshape, C, ignore=None):
    t = RNG.integers(0, C, size=tshape).astype(np.int64)
    if ignore is not None and t.ndim:
        t.reshape(-1)[::3] = ignore
    return t


def _both(fn_name, x, t, w, **kw):
    torch = require_torch()
    xe, xt = E(x, True), T(x, True)
    we = E(w) if w is not None else None
    wt = T(w) if w is not None else None
    le = getattr(F, fn_name)(xe, E(t).reshape(t.shape), weight=we, **kw)
    lt = getattr(torch.nn.functional, fn_name)(xt, T(t).reshape(t.shape), weight=wt, **kw)
    g = RNG.normal(size=tuple(lt.shape))
    le.backward(E(g.astype(x.dtype)).reshape(tuple(lt.shape)))  # (E/T make 0-d arrays 1-d)
    lt.backward(T(g.astype(x.dtype)).reshape(tuple(lt.shape)))
    return le, lt, xe.grad, xt.grad


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shapes", SHAPES, ids=["2d", "1d", "4d"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch(fn, shapes, reduction, weighted, ignore, dtype):
    xshape, tshape = shapes
    C = xshape[0] if len(xshape) == 1 else xshape[1]
    x = RNG.normal(size=xshape).astype(dtype)
    t = _target(tshape, C, ignore)
    w = RNG.uniform(0.5, 2.0, size=C).astype(dtype) if weighted else None
    kw = {"reduction": reduction}
    if ignore is not None:
        kw["ignore_index"] = ignore
    le, lt, ge, gt = _both(fn, x, t, w, **kw)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert tuple(le.shape) == tuple(lt.shape)
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), **tol)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), **tol)


@pytest.mark.parametrize("smoothing", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes", SHAPES[::2], ids=["2d", "4d"])
def test_label_smoothing_matches_torch(smoothing, reduction, weighted, shapes):
    xshape, tshape = shapes
    C = xshape[1]
    x = RNG.normal(size=xshape)
    t = _target(tshape, C, ignore=-100)
    w = RNG.uniform(0.5, 2.0, size=C) if weighted else None
    le, lt, ge, gt = _both("cross_entropy", x, t, w, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12)


def test_probability_targets_and_modules():
    torch = require_torch()
    x = RNG.normal(size=(4, 5))
    p = RNG.dirichlet(np.ones(5), size=4)
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "none"}):
        np.testing.assert_allclose(F.cross_entropy(E(x), E(p), **kw).numpy(),
                                   torch.nn.functional.cross_entropy(T(x), T(p), **kw).numpy(), rtol=1e-10)
    t = _target((4,), 5)
    np.testing.assert_allclose(nn.CrossEntropyLoss(label_smoothing=0.1)(E(x), E(t)).item(),
                               torch.nn.CrossEntropyLoss(label_smoothing=0.1)(T(x), T(t)).item(), rtol=1e-10)
    np.testing.assert_allclose(nn.NLLLoss(reduction="sum")(E(x), E(t)).item(),
                               torch.nn.NLLLoss(reduction="sum")(T(x), T(t)).item(), rtol=1e-10)


def test_all_ignored_mean_is_nan_and_uint8_targets():
    x = E(RNG.normal(size=(3, 4)), True)
    loss = F.cross_entropy(x, E(np.full(3, -100, np.int64)))
    assert np.isnan(loss.item())
    t8 = np.array([0, 3, 1], np.uint8)
    np.testing.assert_allclose(F.cross_entropy(x, E(t8)).item(), F.cross_entropy(x, E(t8.astype(np.int64))).item())


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_gradcheck_and_gradgradcheck(fn, reduction):
    x = E(RNG.normal(size=(3, 4, 2)), True)
    t = E(np.array([[0, -100], [3, 1], [2, 2]], np.int64))
    w = E(RNG.uniform(0.5, 2, size=4))
    kw = dict(weight=w, reduction=reduction, ignore_index=-100)
    if fn == "cross_entropy":
        kw["label_smoothing"] = 0.2
    f = lambda x: getattr(F, fn)(x, t, **kw)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_grad_fn_name():
    x = E(RNG.normal(size=(3, 4)), True)
    assert F.cross_entropy(x, E(np.array([0, 1, 2]))).grad_fn.name() == "NllLossBackward0"


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_bitwise_same_for_1_and_2_threads(reduction):
    x = RNG.normal(size=(700, 37)).astype(np.float32)
    t = _target((700,), 37, ignore=5)
    res = []
    old = ember.get_num_threads()
    try:
        for n in (1, 2):
            ember.set_num_threads(n)
            xe = E(x, True)
            loss = F.cross_entropy(xe, E(t), ignore_index=5, reduction=reduction, label_smoothing=0.1)
            loss.sum().backward()
            res.append((loss.detach().numpy().copy(), xe.grad.numpy().copy()))
    finally:
        ember.set_num_threads(old)
    assert np.array_equal(res[0][0], res[1][0]) and np.array_equal(res[0][1], res[1][1])


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_errors_match_torch(fn):
    torch = require_torch()
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    cases = [
        (np.array([0, 1, 5, 2]), {}),
        (np.array([0, 1, -2, 2]), {}),
        (np.array([0, 1, 3, 2], np.int32), {}),
        (np.array([0, 1, 3]), {}),
        (np.array([0, 1, 3, 2]), {"weight": np.ones(3, np.float32)}),
        (np.array([0, 1, 3, 2]), {"weight": np.ones(5, np.float64)}),
        (np.array([0, 1, 3, 2]), {"reduction": "foo"}),
    ]
    for t, kw in cases:
        errs = []
        for lib, conv, mod in ((ember, E, F), (torch, T, torch.nn.functional)):
            kw2 = {k: conv(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            with pytest.raises(Exception) as info:
                getattr(mod, fn)(conv(x), conv(t), **kw2)
            errs.append(info)
        assert errs[0].type is errs[1].type, (t, kw, errs[0].value, errs[1].value)
        assert str(errs[1].value).splitlines()[0] in str(errs[0].value), (errs[0].value, errs[1].value)
    with pytest.raises(RuntimeError, match="Expected target size"):
        getattr(F, fn)(E(RNG.normal(size=(4, 5, 3))), E(np.zeros((4, 2), np.int64)))
    with pytest.raises(ValueError, match="batch_size"):
        getattr(F, fn)(E(x), E(np.zeros(3, np.int64)))


def test_huge_bad_target_never_read():
    x = E(RNG.normal(size=(2, 3)), True)
    for bad in (2**40, -(2**40)):
        with pytest.raises(IndexError, match="out of bounds"):
            F.cross_entropy(x, E(np.array([0, bad], np.int64)), label_smoothing=0.3)
        with pytest.raises(IndexError, match="out of bounds"):
            F.nll_loss(x, E(np.array([bad, 0], np.int64)), reduction="none")
