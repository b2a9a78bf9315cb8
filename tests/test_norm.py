"""layer_norm, batch_norm (training/eval, running statistics) and group_norm against PyTorch."""
import numpy as np
import pytest

import ember
from conftest import require_torch

NN = ember._C._nn


def _both(torch, arr):
    return ember.from_numpy(arr.copy()).requires_grad_(), torch.from_numpy(arr.copy()).requires_grad_()


def _close(e, t, tol):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("shape,norm", [((4, 10), (10,)), ((2, 3, 4, 5), (4, 5)), ((3, 7), (7,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, norm, affine, dtype, tol):
    torch = require_torch()
    rng = np.random.default_rng(0)
    ex, tx = _both(torch, rng.standard_normal(shape).astype(dtype) * 3 + 1)
    ew = tw = eb = tb = None
    if affine:
        ew, tw = _both(torch, rng.standard_normal(norm).astype(dtype))
        eb, tb = _both(torch, rng.standard_normal(norm).astype(dtype))
    e = NN.layer_norm(ex, norm, ew, eb, 1e-5)
    t = torch.nn.functional.layer_norm(tx, norm, tw, tb, 1e-5)
    _close(e, t, tol)
    g = rng.standard_normal(shape).astype(dtype)
    e.backward(ember.from_numpy(g.copy()))
    t.backward(torch.from_numpy(g.copy()))
    for a, b in [(ex, tx)] + ([(ew, tw), (eb, tb)] if affine else []):
        _close(a.grad, b.grad, tol * 10)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(shape, training):
    torch = require_torch()
    rng = np.random.default_rng(1)
    c = shape[1]
    ex, tx = _both(torch, rng.standard_normal(shape) * 2 + 0.5)
    ew, tw = _both(torch, rng.standard_normal(c))
    eb, tb = _both(torch, rng.standard_normal(c))
    erm, trm = ember.from_numpy(rng.standard_normal(c)), None
    trm = torch.from_numpy(erm.numpy().copy())
    erv = ember.from_numpy(rng.uniform(0.5, 2, c))
    trv = torch.from_numpy(erv.numpy().copy())
    e = NN.batch_norm(ex, erm, erv, ew, eb, training, 0.1, 1e-5)
    t = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training, 0.1, 1e-5)
    _close(e, t, 1e-10)
    _close(erm, trm, 1e-10)
    _close(erv, trv, 1e-10)
    g = rng.standard_normal(shape)
    e.backward(ember.from_numpy(g.copy()))
    t.backward(torch.from_numpy(g.copy()))
    for a, b in [(ex, tx), (ew, tw), (eb, tb)]:
        _close(a.grad, b.grad, 1e-9)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        NN.batch_norm(ember.zeros(1, 3), None, None, None, None, True)
    with pytest.raises(RuntimeError):
        NN.batch_norm(ember.zeros(4, 3), ember.zeros(2), ember.ones(2), None, None, True)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm(groups):
    torch = require_torch()
    rng = np.random.default_rng(2)
    ex, tx = _both(torch, rng.standard_normal((3, 4, 5, 2)))
    ew, tw = _both(torch, rng.standard_normal(4))
    eb, tb = _both(torch, rng.standard_normal(4))
    e = NN.group_norm(ex, groups, ew, eb, 1e-5)
    t = torch.nn.functional.group_norm(tx, groups, tw, tb, 1e-5)
    _close(e, t, 1e-10)
    g = rng.standard_normal((3, 4, 5, 2))
    e.backward(ember.from_numpy(g.copy()))
    t.backward(torch.from_numpy(g.copy()))
    for a, b in [(ex, tx), (ew, tw), (eb, tb)]:
        _close(a.grad, b.grad, 1e-9)


def test_layer_norm_shape_error():
    with pytest.raises(RuntimeError, match="expected input with shape"):
        NN.layer_norm(ember.zeros(2, 5), [10])


@pytest.mark.parametrize("shape", [(64, 5, 33), (3, 4, 17, 5), (2, 3, 1)])
def test_batch_norm_float32_and_thread_count_independent(shape):
    # lanes of 16 with remainders; one channel per task, so 1 and 2 threads agree bitwise
    torch = require_torch()
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    c = shape[1]
    w, b = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    outs = []
    for threads in (1, 2):
        ember.set_num_threads(threads)
        ex, ew, eb = (ember.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
        e = NN.batch_norm(ex, None, None, ew, eb, True, 0.1, 1e-5)
        e.backward(ember.from_numpy(g.copy()))
        outs.append([t.numpy().copy() for t in (e.detach(), ex.grad, ew.grad, eb.grad)])
    ember.set_num_threads(2)
    for a1, a2 in zip(*outs):
        assert np.array_equal(a1, a2)
    tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    t = torch.nn.functional.batch_norm(tx, None, None, tw, tb, True, 0.1, 1e-5)
    t.backward(torch.from_numpy(g.copy()))
    for e_arr, t_arr in zip(outs[0], (t.detach(), tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(e_arr, t_arr.numpy(), rtol=1e-4, atol=1e-4 * max(1, shape[0] * shape[-1] / 100))
