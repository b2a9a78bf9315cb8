"""Reductions, softmax and sorting: semantics the op table cannot express (return types, ties,
zeros in prod, errors) and bitwise determinism across thread counts."""
import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def t(x, **kw):
    return ember.tensor(x, **kw)


# ---- return types
def test_max_dim_returns_named_tuple():
    x = t([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]])
    r = ember.max(x, 1)
    assert isinstance(r, tuple) and len(r) == 2
    values, indices = r
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    assert r[0].tolist() == r.values.tolist()
    assert type(r).__name__ == "max" and "values=" in repr(r)
    assert x.min(dim=0).indices.tolist() == [0, 1, 0]


@pytest.mark.parametrize("name,call", [
    ("sort", lambda lib, x: lib.sort(x)), ("topk", lambda lib, x: lib.topk(x, 2)),
    ("kthvalue", lambda lib, x: lib.kthvalue(x, 2)), ("median", lambda lib, x: lib.median(x, 1)),
    ("mode", lambda lib, x: lib.mode(x)), ("min", lambda lib, x: lib.min(x, 1))])
def test_return_type_names(name, call):
    x = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 4.0]], dtype=np.float32)
    r, rt = call(ember, ember.from_numpy(x)), call(torch, torch.from_numpy(x))
    assert type(r).__name__ == type(rt).__name__ == name
    np.testing.assert_array_equal(r.values.numpy(), rt.values.numpy())
    np.testing.assert_array_equal(r.indices.numpy(), rt.indices.numpy())


def test_max_of_two_tensors_is_elementwise_or_not_implemented():
    a, b = t([1.0, 4.0]), t([3.0, 2.0])
    if hasattr(ember._C._ops, "maximum"):
        assert ember.max(a, b).tolist() == [3.0, 4.0]
    else:
        with pytest.raises(NotImplementedError):
            ember.max(a, b)


# ---- ties and zeros in gradients
def test_full_max_gradient_spreads_over_ties():
    x = t([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]
    x.grad = None
    ember.amin(x).backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_max_dim_gradient_goes_to_first_index():
    x = t([[2.0, 2.0, 1.0]], requires_grad=True)
    v, i = ember.max(x, 1)
    assert i.tolist() == [0]
    v.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0]]
    assert v.grad_fn.name() == "MaxBackward0"


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0], [1.5, 2.0, 3.0, 4.0]])
def test_prod_gradient_with_zeros(values):
    for dim in (None, 1):
        xe = t([values, values[::-1]], dtype=ember.float64, requires_grad=True)
        xt = torch.tensor([values, values[::-1]], dtype=torch.float64, requires_grad=True)
        (ember.prod(xe) if dim is None else ember.prod(xe, dim)).sum().backward()
        (torch.prod(xt) if dim is None else torch.prod(xt, dim)).sum().backward()
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy())


def test_nan_propagates_in_max_and_sort_order():
    x = t([1.0, float("nan"), 3.0])
    assert math.isnan(x.max().item()) and math.isnan(ember.amin(x).item())
    assert ember.max(x, 0).indices.item() == 1
    assert ember.argmax(x).item() == 1
    assert ember.sort(x).indices.tolist() == [0, 2, 1]
    assert ember.sort(x, descending=True).indices.tolist() == [1, 2, 0]
    assert math.isnan(ember.median(x).item())
    assert ember.median(t([[1.0, float("nan"), 3.0, float("nan")]]), 1).indices.tolist() == [1]


def test_softmax_masked_and_extreme():
    x = t([[0.0, float("-inf"), 1.0], [1000.0, 0.0, -1000.0]])
    y = ember.softmax(x, -1)
    yt = torch.softmax(torch.tensor(x.tolist()), -1)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-6, atol=1e-7)
    assert y[0, 1].item() == 0.0
    ly = ember.log_softmax(x, -1)
    assert ly[0, 1].item() == float("-inf")


def test_softmax_double_backward_matches_torch():
    x = np.random.default_rng(0).standard_normal((3, 5))
    xe = ember.from_numpy(x).requires_grad_()
    xt = torch.from_numpy(x).requires_grad_()
    for lib, xx in ((ember, xe), (torch, xt)):
        for f in (lib.softmax, lib.log_softmax):
            y = f(xx, 1)
            (g,) = lib.autograd.grad((y * y).sum(), xx, create_graph=True)
            (g * g).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_unique_variants():
    x = t([[3, 1, 3], [2, 1, 5]])
    u, inv, c = ember.unique(x, return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3, 5] and c.tolist() == [2, 1, 2, 1]
    assert inv.tolist() == [[2, 0, 2], [1, 0, 3]]
    assert ember.unique(x).tolist() == [1, 2, 3, 5]
    with pytest.raises(NotImplementedError):
        ember.unique(x, dim=0)


def test_var_legacy_arguments():
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    e, tt = ember.from_numpy(x), torch.from_numpy(x)
    for args, kw in [((), {}), ((False,), {}), ((1,), {}), ((1, False), {}), ((1, True, True), {}),
                     ((), {"dim": 0, "correction": 0}), ((), {"unbiased": False})]:
        np.testing.assert_allclose(ember.var(e, *args, **kw).numpy(), torch.var(tt, *args, **kw).numpy(), rtol=1e-5)
        np.testing.assert_allclose(e.std(*args, **kw).numpy(), tt.std(*args, **kw).numpy(), rtol=1e-5)


# ---- errors
def test_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError):
        ember.sum(x, 2)
    with pytest.raises(IndexError):
        ember.max(x, -3)
    with pytest.raises(IndexError):
        ember.softmax(x, 5)
    with pytest.raises(IndexError):
        ember.sort(x, 2)
    with pytest.raises(RuntimeError):
        ember.mean(t([1, 2]))
    with pytest.raises(RuntimeError):
        ember.var(t([1, 2]))
    with pytest.raises(RuntimeError):
        ember.softmax(t([1, 2]), 0)
    with pytest.raises(RuntimeError):
        ember.max(ember.zeros(0))
    with pytest.raises(IndexError):
        ember.max(ember.zeros(0, 3), 0)
    with pytest.raises(IndexError):
        ember.amax(ember.zeros(0, 3), 0)
    with pytest.raises(RuntimeError):
        ember.topk(x, 4)
    with pytest.raises(IndexError):
        ember.kthvalue(x, 0)
    with pytest.raises(RuntimeError):
        ember.sum(x, (1, 1))
    assert ember.amax(ember.zeros(0, 3), 1).shape == (0,)


def test_empty_and_zero_dim():
    assert ember.sum(ember.zeros(0)).item() == 0
    assert ember.prod(ember.zeros(0)).item() == 1
    assert math.isnan(ember.mean(ember.zeros(0)).item())
    s = t(2.5)
    assert ember.max(s, 0).values.item() == 2.5 and ember.max(s, 0).indices.item() == 0
    assert ember.softmax(s, 0).item() == 1.0
    assert ember.cumsum(s, 0).item() == 2.5
    assert ember.sort(s).values.item() == 2.5


# ---- determinism: fixed blocking makes results independent of the thread count
@pytest.mark.parametrize("case", ["sum", "sum_dim", "sum_outer", "mean", "var", "norm", "softmax", "max", "prod"])
def test_bitwise_identical_across_thread_counts(case):
    rng = np.random.default_rng(3)
    big = ember.from_numpy(rng.standard_normal(1_000_003).astype(np.float32))
    mat = ember.from_numpy(rng.standard_normal((1000, 700)).astype(np.float32))
    fns = {
        "sum": lambda: ember.sum(big),
        "sum_dim": lambda: ember.sum(mat, 1),
        "sum_outer": lambda: ember.sum(mat, 0),
        "mean": lambda: ember.mean(big),
        "var": lambda: ember.var(big),
        "norm": lambda: ember.norm(big),
        "softmax": lambda: ember.softmax(mat, 0),
        "max": lambda: ember.amax(mat.t(), 0),
        "prod": lambda: ember.prod(ember.from_numpy(1 + rng.standard_normal(300_000) * 1e-4), 0),
    }
    old = ember.get_num_threads()
    try:
        outs = []
        for n in (1, 2, 3):
            ember.set_num_threads(n)
            assert ember.get_num_threads() == n
            if case == "prod":
                rng = np.random.default_rng(4)
            outs.append(fns[case]().numpy().tobytes())
        assert outs[0] == outs[1] == outs[2]
    finally:
        ember.set_num_threads(old)


def test_large_sum_accuracy():
    x = np.random.default_rng(5).random(2_000_000).astype(np.float32)
    got = ember.sum(ember.from_numpy(x)).item()
    assert abs(got - x.astype(np.float64).sum()) / x.sum() < 1e-6


# ---- topk: the one-pass selection (k <= 64, k * 4 <= n) and the partial sort, ties and NaN vs torch
@pytest.mark.parametrize("k", [1, 5, 64, 100])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_selection_ties_and_nan_match_torch(k, largest):
    r = np.random.default_rng(k)
    x = r.integers(0, 40, size=(6, 300)).astype(np.float32)  # many ties
    x[1, ::7] = np.nan
    x[2, :] = np.nan
    x[3] = np.arange(300)                                       # ascending: every element enters
    x[4] = -np.arange(300)
    x[5, :150] = -np.inf
    for dim, a in ((1, x), (0, x.T.copy())):  # contiguous rows, then strided lines along dim 0
        ev, ei = ember.topk(ember.from_numpy(a), k, dim=dim, largest=largest)
        tv, ti = torch.topk(torch.from_numpy(a), k, dim=dim, largest=largest)
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())
        # equal values may come from any tied position: the indices must pick those values, distinct
        np.testing.assert_array_equal(np.take_along_axis(a, ei.numpy(), axis=dim), tv.numpy())
        assert all(len(set(row)) == k for row in np.moveaxis(ei.numpy(), dim, -1).reshape(-1, k))


def test_topk_ties_keep_first_positions_and_unsorted_is_a_permutation():
    x = ember.tensor([[3.0, 1.0, 3.0, 2.0, 3.0, 0.0, 3.0, 1.0, 5.0]])
    v, i = ember.topk(x, 3)
    assert v.tolist() == [[5.0, 3.0, 3.0]] and i.tolist() == [[8, 0, 2]]
    v, i = ember.topk(x, 2, largest=False)
    assert v.tolist() == [[0.0, 1.0]] and i.tolist() == [[5, 1]]
    tv, _ = torch.topk(torch.tensor(x.numpy()), 3, sorted=False)
    ev, _ = ember.topk(x, 3, sorted=False)
    assert sorted(ev.tolist()[0]) == sorted(tv.tolist()[0])
