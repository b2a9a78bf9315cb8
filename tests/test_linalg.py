"""linalg semantics the op table cannot express: error types, beta == 0 ignoring NaN, einsum
parsing, linear's fused path and grad_fn, kron with different ranks."""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

rng = np.random.default_rng(0)


def E(a):
    return ember.from_numpy(np.ascontiguousarray(a))


def test_addmm_beta_zero_ignores_input_nan():
    c = np.full((3, 2), np.nan)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    out = ember.addmm(E(c), E(a), E(b), beta=0, alpha=2)
    np.testing.assert_allclose(out.numpy(), 2 * a @ b, rtol=1e-12)


def test_addmm_errors():
    with pytest.raises(RuntimeError):
        ember.addmm(ember.ones(3), ember.ones(2, 3), ember.ones(4, 3))
    with pytest.raises(RuntimeError):  # input does not broadcast to (2, 3)
        ember.addmm(ember.ones(4), ember.ones(2, 5), ember.ones(5, 3))
    with pytest.raises(RuntimeError):
        ember.baddbmm(ember.ones(2, 3), ember.ones(2, 3, 4), ember.ones(3, 4, 2))


def test_vector_op_errors():
    with pytest.raises(RuntimeError):
        ember.dot(ember.ones(3), ember.ones(4))
    with pytest.raises(RuntimeError):
        ember.dot(ember.ones(2, 2), ember.ones(2, 2))
    with pytest.raises(RuntimeError):
        ember.dot(ember.ones(3), ember.ones(3, dtype=ember.float64))
    with pytest.raises(RuntimeError):
        ember.mv(ember.ones(2, 3), ember.ones(4))
    with pytest.raises(RuntimeError):
        ember.outer(ember.ones(2, 2), ember.ones(2))
    with pytest.raises(RuntimeError):
        ember.trace(ember.ones(2, 2, 2))
    with pytest.raises(RuntimeError):
        ember.matrix_power(ember.ones(2, 3), 2)
    with pytest.raises(NotImplementedError):
        ember.matrix_power(ember.ones(2, 2), -1)
    with pytest.raises(RuntimeError):
        ember.tensordot(ember.ones(2, 3), ember.ones(4, 2), dims=([1], [0]))
    with pytest.raises(IndexError):
        ember.tensordot(ember.ones(2, 3), ember.ones(3, 2), dims=([5], [0]))


def test_einsum_errors():
    a = ember.ones(2, 3)
    with pytest.raises(RuntimeError):
        ember.einsum("ij,jk->ik", a)  # too few operands
    with pytest.raises(RuntimeError):
        ember.einsum("ijk->i", a)  # rank mismatch
    with pytest.raises(RuntimeError):
        ember.einsum("ij->iz", a)  # output label not in inputs
    with pytest.raises(RuntimeError):
        ember.einsum("ij->ii", a)  # repeated output label
    with pytest.raises(RuntimeError):
        ember.einsum("i1->i", a)  # invalid character
    with pytest.raises(RuntimeError):
        ember.einsum("ij,jk->ik", a, ember.ones(4, 2))  # size mismatch
    with pytest.raises(RuntimeError):
        ember.einsum("ii->i", a)  # diagonal of a non-square pair


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk", [(3, 4), (4, 5)]),
    ("b i j, b j k -> b i k", [(2, 3, 4), (2, 4, 5)]),
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),
    ("i...,i...->...", [(3, 2), (3, 2)]),
    ("bii->bi", [(2, 3, 3)]),
    ("iij,jk->ik", [(3, 3, 4), (4, 2)]),
    ("ij,ij,ij->i", [(3, 4), (3, 4), (3, 4)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("ab,cd->", [(2, 3), (4, 5)]),
    ("BaC,aC->Ba", [(2, 3, 4), (3, 4)]),
    ("ij,j->i", [(3, 1), (5,)]),  # size-1 broadcast of a contracted label
])
def test_einsum_vs_numpy(eq, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    got = ember.einsum(eq, *[E(a) for a in arrays]).numpy()
    if eq == "ij,j->i":
        want = arrays[0][:, 0] * arrays[1].sum()
    else:
        want = np.einsum(eq.replace(" ", ""), *arrays)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_kron_different_ranks():
    a, b = rng.standard_normal(3), rng.standard_normal((2, 2))
    np.testing.assert_allclose(ember.kron(E(a), E(b)).numpy(), np.kron(a, b), rtol=1e-12)
    np.testing.assert_allclose(ember.kron(E(b), E(a)).numpy(), np.kron(b, a), rtol=1e-12)


def test_linear_fused_and_grad():
    x = E(rng.standard_normal((4, 5))).requires_grad_()
    w = E(rng.standard_normal((3, 5))).requires_grad_()
    b = E(rng.standard_normal(3)).requires_grad_()
    y = ember._C._ops.linear(x, w, b)
    assert "AddmmBackward0" in repr(y.grad_fn)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy(),
                               rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(3, 4.0))
    np.testing.assert_allclose(w.grad.numpy(), np.ones((3, 4)) @ x.detach().numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError):
        ember._C._ops.linear(ember.ones(4, 6), ember.ones(3, 5))


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_grad_fn_names():
    a = ember.ones(2, 3, requires_grad=True)
    b = ember.ones(3, 2, requires_grad=True)
    assert "AddmmBackward0" in repr(ember.addmm(ember.ones(2), a, b).grad_fn)
    a3 = ember.ones(2, 2, 3, requires_grad=True)
    b3 = ember.ones(2, 3, 2)
    assert "BaddbmmBackward0" in repr(ember.baddbmm(ember.ones(2), a3, b3).grad_fn)


def test_half_precision_products():
    a, b = rng.standard_normal((9, 13)).astype(np.float32), rng.standard_normal((13, 7)).astype(np.float32)
    for dt in (ember.float16, ember.bfloat16):
        r = ember.addmm(E(np.ones(7, np.float32)).to(dt), E(a).to(dt), E(b).to(dt), beta=0.5)
        assert r.dtype == dt
        want = 0.5 + a @ b
        np.testing.assert_allclose(r.float().numpy(), want, rtol=5e-2, atol=2e-1)
