"""Views: storage sharing, the shared version counter, _base, view errors, in-place ops through
views and autograd (CopySlices), and the error types of the shape / joining ops. Compared with torch."""
import numpy as np
import pytest

import ember
from conftest import require_torch

# (name, fn) applied to a (2, 3, 4) float tensor in both libraries; every result is a view.
VIEWS = [
    ("view", lambda x: x.view(6, 4)),
    ("view_infer", lambda x: x.view(-1)),
    ("reshape", lambda x: x.reshape(3, 8)),
    ("transpose", lambda x: x.transpose(0, 2)),
    ("permute", lambda x: x.permute(1, 2, 0)),
    ("select", lambda x: x.select(1, -1)),
    ("slice", lambda x: x[:, 1:, ::2]),
    ("narrow", lambda x: x.narrow(2, 1, 2)),
    ("squeeze", lambda x: x[:, :1].squeeze((1,))),
    ("unsqueeze", lambda x: x.unsqueeze(-1)),
    ("flatten", lambda x: x.flatten(1)),
    ("unflatten", lambda x: x.unflatten(2, (2, 2))),
    ("unbind", lambda x: x.unbind(1)[2]),
    ("split", lambda x: x.split(2, -1)[1]),
    ("split_sizes", lambda x: x.split([1, 2], 1)[1]),
    ("chunk", lambda x: x.chunk(2, 2)[1]),
    ("tensor_split", lambda x: x.tensor_split([1], 2)[1]),
    ("diagonal", lambda x: x.diagonal(1, 1, 2)),
    ("unfold", lambda x: x.unfold(2, 2, 2)),
    ("movedim", lambda x: x.movedim(0, -1)),
    ("t", lambda x: x[0].t()),
    ("T", lambda x: x[0].T),
    ("mT", lambda x: x.mT),
    ("as_strided", lambda x: x.as_strided((2, 2), (4, 1), 3)),
]


def _pair(shape=(2, 3, 4), seed=0):
    torch = require_torch()
    a = np.random.default_rng(seed).standard_normal(shape)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


@pytest.mark.parametrize("name,fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_writes_through(name, fn):
    e, t = _pair()
    ev, tv = fn(e), fn(t)
    assert ev._base is not None and ev._shares_storage(e)
    np.testing.assert_array_equal(ev.numpy(), tv.numpy())
    ev.add_(1.5)
    tv.add_(1.5)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert ev._version == e._version == tv._version
    # and writes to the base show in the view
    e.mul_(2)
    t.mul_(2)
    np.testing.assert_array_equal(ev.numpy(), tv.numpy())
    assert ev._version == e._version == t._version


def test_version_counter_shared_and_bumped():
    torch = require_torch()
    e, t = ember.zeros(3, 4), torch.zeros(3, 4)
    ev, tv = e[1], t[1]
    v0 = e._version
    assert ev._version == v0 and t._version == tv._version == 0
    ev.fill_(1)
    tv.fill_(1)
    e.add_(1)
    t.add_(1)
    ev.copy_(ember.ones(4))
    tv.copy_(torch.ones(4))
    assert e._version == ev._version == v0 + 3 and t._version == tv._version == 3
    # a copy has its own counter
    c = e.clone()
    assert c._version == 0 and c._base is None


def test_base_of_a_view_of_a_view_is_the_root():
    e = ember.arange(24.0).view(2, 3, 4)
    root = e._base
    v = e.transpose(0, 1)[1].unsqueeze(0)
    assert v._base is not None
    assert v._base.data_ptr() == root.data_ptr() and tuple(v._base.shape) == (24,)
    assert ember.arange(3.0)._base is None


def test_copying_ops_are_not_views():
    x = ember.ones(2, 3)
    for y in (ember.cat([x, x]), ember.stack([x, x]), x.flip(0), x.roll(1, 0), x.repeat(2, 1), x.tril(), x.contiguous().clone(),
              ember._C._ops.pad(x, (1, 1)), x.t().contiguous()):
        assert y._base is None and not y._shares_storage(x)
    assert x.contiguous()._base is None and x.contiguous().data_ptr() == x.data_ptr()


def test_contiguous_copies_only_when_needed():
    x = ember.arange(6.0).view(2, 3)
    y = x.t().contiguous()
    assert y.is_contiguous() and not y._shares_storage(x)
    np.testing.assert_array_equal(y.numpy(), np.arange(6.0).reshape(2, 3).T)


# ---- view errors, with torch's wording
@pytest.mark.parametrize("fn,match", [
    (lambda x: x.transpose(0, 1).view(-1), "view size is not compatible with input tensor's size and stride"),
    (lambda x: x[:, 1:].view(-1), "view size is not compatible with input tensor's size and stride"),
    (lambda x: x.view(5, -1), r"shape '\[5, -1\]' is invalid for input of size 24"),
    (lambda x: x.view(7), r"shape '\[7\]' is invalid for input of size 24"),
    (lambda x: x.view(-1, -1), "only one dimension can be inferred"),
    (lambda x: x.view(-1, 0), "invalid for input of size 24"),
    (lambda x: x.reshape(5, 5), r"shape '\[5, 5\]' is invalid for input of size 24"),
    (lambda x: x.view(2, -2, 6), "invalid shape dimension -2"),
])
def test_view_errors(fn, match):
    torch = require_torch()
    e, t = _pair((4, 6))
    with pytest.raises(RuntimeError, match=match):
        fn(t)
    with pytest.raises(RuntimeError, match=match):
        fn(e)


def test_view_infer_on_empty_is_ambiguous():
    torch = require_torch()
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="ambiguous"):
            lib.zeros(2, 0).view(-1, 0)
    assert tuple(ember.zeros(2, 0).view(0, 5).shape) == (0, 5)


def test_view_after_transpose_when_viewable():
    e, t = _pair((4, 6))
    # splitting a dim of a transposed tensor is still a view
    ev, tv = e.t().view(3, 2, 4), t.t().view(3, 2, 4)
    assert ev._shares_storage(e)
    assert ev.stride() == tv.stride()
    np.testing.assert_array_equal(ev.numpy(), tv.numpy())


# ---- in-place through views and autograd
INPLACE_VIEW_CASES = [
    ("select_mul", lambda a: a.select(0, 1).mul_(3)),
    ("narrow_add", lambda a: a.narrow(1, 1, 2).add_(a.narrow(1, 0, 2).detach() * 2)),
    ("transpose_mul", lambda a: a.t().mul_(2)),
    ("diagonal_mul", lambda a: a.diagonal().mul_(5)),
    ("select_copy", lambda a: a.select(0, 2).copy_(a[0].detach() + 1)),
    ("slice_fill", lambda a: a[:, :2].fill_(1)),
    ("view_of_view", lambda a: a.view(-1)[2:7].view(5).mul_(-1)),
]


@pytest.mark.parametrize("name,op", INPLACE_VIEW_CASES, ids=[c[0] for c in INPLACE_VIEW_CASES])
def test_inplace_on_view_of_non_leaf(name, op):
    torch = require_torch()
    a = np.random.default_rng(1).standard_normal((4, 4))
    g = np.random.default_rng(2).standard_normal((4, 4))
    results = []
    for lib in (ember, torch):
        leaf = lib.from_numpy(a.copy()).requires_grad_()
        y = leaf * 2 + 0  # a non-leaf
        op(y)
        (y * lib.from_numpy(g.copy())).sum().backward()
        results.append((y.detach().numpy(), leaf.grad.numpy(), y.grad_fn.name()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])
    assert results[0][2] == "CopySlices" and results[1][2].endswith("CopySlices")


def test_inplace_on_view_then_use_view_in_graph():
    torch = require_torch()
    a = np.arange(6.0).reshape(2, 3)
    grads = []
    for lib in (ember, torch):
        leaf = lib.from_numpy(a.copy()).requires_grad_()
        y = leaf.clone()
        v = y[1]
        v.mul_(leaf[0])
        (v.sum() + y.sum()).backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


@pytest.mark.parametrize("op", [lambda v: v.add_(1), lambda v: v.mul_(2), lambda v: v.fill_(0), lambda v: v.zero_(),
                                lambda v: v.copy_(ember.zeros(v.shape))])
def test_inplace_on_view_of_leaf_requiring_grad_raises(op):
    x = ember.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place operation"):
        op(x[1])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        op(x)
    with ember.no_grad():
        op(x[1])  # allowed without grad mode


def test_saved_view_modified_inplace_is_detected():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    v = y.unsqueeze(0)
    z = v.exp()  # saves its output
    z.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_as_strided_backward_on_non_contiguous_input():
    torch = require_torch()
    a = np.random.default_rng(3).standard_normal((4, 5))
    g = np.random.default_rng(4).standard_normal((3, 2))
    grads = []
    for lib in (ember, torch):
        leaf = lib.from_numpy(a.copy()).requires_grad_()
        base = leaf.t()[1:]  # non-contiguous, offset
        out = base.as_strided((3, 2), (1, 5), 2)
        out.backward(lib.from_numpy(g.copy()))
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_split_outputs_and_unbind_are_views():
    x = ember.arange(12.0).view(3, 4)
    parts = x.split([1, 3], 1)
    assert all(p._shares_storage(x) for p in parts)
    assert isinstance(x.unbind(), tuple) and len(x.unbind(1)) == 4
    assert isinstance(ember.chunk(x, 2), tuple)


# ---- errors of the shape and joining ops: same exception type as torch, and torch's wording
ERROR_CASES = [
    ("t_3d", lambda L, x: x.t()),
    ("mT_1d", lambda L, x: x[0, 0].mT),
    ("mH_1d", lambda L, x: x[0, 0].mH),
    ("H_3d", lambda L, x: x.H),
    ("unflatten", lambda L, x: x.unflatten(1, (2, 2))),
    ("split_neg", lambda L, x: x.split(-1)),
    ("split_sizes", lambda L, x: x.split([1, 1], 1)),
    ("chunk0", lambda L, x: x.chunk(0)),
    ("tensor_split0", lambda L, x: x.tensor_split(0)),
    ("diag_same", lambda L, x: x.diagonal(0, 1, 1)),
    ("diag_dim", lambda L, x: x.diagonal(0, 0, 3)),
    ("unfold_size", lambda L, x: x.unfold(1, 4, 1)),
    ("unfold_step", lambda L, x: x.unfold(1, 2, 0)),
    ("movedim_len", lambda L, x: x.movedim((0, 1), (0,))),
    ("movedim_rep", lambda L, x: x.movedim((0, 0), (0, 1))),
    ("unbind_0d", lambda L, x: x.sum().unbind()),
    ("cat_empty", lambda L, x: L.cat([])),
    ("cat_sizes", lambda L, x: L.cat([x, L.zeros(2, 4, 4)])),
    ("cat_ndim", lambda L, x: L.cat([x, L.zeros(2, 4)])),
    ("cat_0d", lambda L, x: L.cat([x.sum(), x.sum()])),
    ("cat_dim", lambda L, x: L.cat([x, x], 3)),
    ("cat_not_tensors", lambda L, x: L.cat([x, 1])),
    ("stack_sizes", lambda L, x: L.stack([x, L.zeros(2, 4, 4)])),
    ("stack_dim", lambda L, x: L.stack([x, x], 5)),
    ("flip_dup", lambda L, x: x.flip(0, 0)),
    ("flip_dim", lambda L, x: x.flip(3)),
    ("roll_align", lambda L, x: x.roll((1, 2), (0,))),
    ("roll_dim", lambda L, x: x.roll(1, 4)),
    ("repeat_few", lambda L, x: x.repeat(2, 2)),
    ("repeat_neg", lambda L, x: x.repeat(2, -1, 1)),
    ("repeat_interleave_len", lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=1)),
    ("tril_1d", lambda L, x: L.tril(x[0, 0])),
    ("triu_1d", lambda L, x: x[0, 0].triu()),
    ("fliplr_1d", lambda L, x: L.fliplr(x[0, 0])),
    ("pad_odd", lambda L, x: _pad(L)(x, (1,))),
    ("pad_long", lambda L, x: _pad(L)(x, (1,) * 8)),
    ("pad_reflect_big", lambda L, x: _pad(L)(x, (4, 4), mode="reflect")),
    ("pad_circular_big", lambda L, x: _pad(L)(x, (5, 5), mode="circular")),
    ("pad_reflect_dims", lambda L, x: _pad(L)(x, (1,) * 6, mode="reflect")),
    ("pad_reflect_1d", lambda L, x: _pad(L)(x[0, 0], (1, 1), mode="reflect")),
    ("pad_mode", lambda L, x: _pad(L)(x, (1, 1), mode="foo")),
    ("roll_0d", lambda L, x: x.sum().roll(1, 0)),
    ("unflatten_0d", lambda L, x: x.sum().unflatten(0, (1,))),
    ("rot90_dims", lambda L, x: L.rot90(x, 1, (0, 0))),
    ("rot90_1d", lambda L, x: L.rot90(x[0, 0])),
    ("pad_negative", lambda L, x: _pad(L)(x, (-3, -3))),
]


def _pad(lib):
    return lib._C._ops.pad if lib is ember else lib.nn.functional.pad


@pytest.mark.parametrize("name,fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(name, fn):
    torch = require_torch()
    with pytest.raises(Exception) as te:
        fn(torch, torch.zeros(2, 3, 4))
    with pytest.raises(Exception) as ee:
        fn(ember, ember.zeros(2, 3, 4))
    assert type(ee.value) is type(te.value) or issubclass(type(ee.value), type(te.value)), \
        f"ember raised {type(ee.value).__name__}: {ee.value}; torch raised {type(te.value).__name__}: {te.value}"


@pytest.mark.parametrize("fn", [
    lambda L, x: x.t(), lambda L, x: x.unflatten(1, (2, 2)), lambda L, x: x.split([1, 1], 1),
    lambda L, x: x.chunk(0), lambda L, x: x.diagonal(0, 1, 1), lambda L, x: x.unfold(1, 4, 1),
    lambda L, x: x.movedim((0, 0), (0, 1)), lambda L, x: L.cat([x, L.zeros(2, 4, 4)]),
    lambda L, x: L.stack([x, L.zeros(2, 4, 4)]), lambda L, x: x.flip(0, 0), lambda L, x: x.roll((1, 2), (0,)),
    lambda L, x: x.repeat(2, 2), lambda L, x: L.tril(x[0, 0]), lambda L, x: _pad(L)(x, (1,)),
    lambda L, x: _pad(L)(x, (4, 4), mode="reflect"), lambda L, x: _pad(L)(x, (5, 5), mode="circular"),
    lambda L, x: x[0, 0].mT,
])
def test_error_wording_matches_torch(fn):
    torch = require_torch()
    with pytest.raises(Exception) as te:
        fn(torch, torch.zeros(2, 3, 4))
    with pytest.raises(Exception) as ee:
        fn(ember, ember.zeros(2, 3, 4))
    assert str(te.value).splitlines()[0] in str(ee.value)


# ---- semantics rows can't express
def test_cat_skips_legacy_empty_and_promotes():
    torch = require_torch()
    for lib in (ember, torch):
        out = lib.cat([lib.zeros(0), lib.ones(2, 3, dtype=lib.int32), lib.ones(1, 3, dtype=lib.float64)])
        assert tuple(out.shape) == (3, 3) and str(out.dtype).endswith("float64")
    assert tuple(ember.cat([ember.zeros(0), ember.zeros(0)]).shape) == (0,)


def test_repeat_interleave_repeats_only_and_output_size():
    torch = require_torch()
    r = [2, 0, 3]
    np.testing.assert_array_equal(ember.repeat_interleave(ember.tensor(r)).numpy(),
                                  torch.repeat_interleave(torch.tensor(r)).numpy())
    x = ember.arange(3.0)
    np.testing.assert_array_equal(x.repeat_interleave(ember.tensor(r), dim=0, output_size=5).numpy(), [0, 0, 2, 2, 2])


def test_split_chunk_edge_cases_match_torch():
    torch = require_torch()
    e, t = _pair((5, 0))
    for f in (lambda x: x.split(2), lambda x: x.chunk(3), lambda x: x.split(0, 1), lambda x: x.chunk(2, 1),
              lambda x: x.tensor_split(3), lambda x: x.tensor_split([-1, 10, 2])):
        es, ts = f(e), f(t)
        assert [tuple(a.shape) for a in es] == [tuple(b.shape) for b in ts]


def test_tril_inplace_and_gradient():
    torch = require_torch()
    a = np.random.default_rng(5).standard_normal((3, 3))
    out = []
    for lib in (ember, torch):
        leaf = lib.from_numpy(a.copy()).requires_grad_()
        y = leaf * 1
        y.triu_(1)
        y.sum().backward()
        out.append((y.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])


def test_double_backward_through_join_ops():
    torch = require_torch()
    a = np.random.default_rng(6).standard_normal((3, 4))
    res = []
    for lib in (ember, torch):
        x = lib.from_numpy(a.copy()).requires_grad_()
        y = lib.cat([x.flip(0), x.roll(1, 1), x.repeat(1, 2)[:, :4], lib.tril(x), _pad(lib)(x, (1, 1), mode="reflect")[:, :4]])
        g, = lib.autograd.grad((y ** 2).sum() if lib is torch else (y * y).sum(), [x], create_graph=True)
        g.sum().backward()
        res.append(x.grad.numpy())
    np.testing.assert_allclose(res[0], res[1])


def test_pad_grad_fn_names_match_torch():
    torch = require_torch()
    for mode, pads, shape in [("constant", (1, 1), (2, 3)), ("reflect", (1, 1), (2, 3)), ("replicate", (1, 1, 1, 1), (1, 2, 3)),
                              ("reflect", (1, 1, 1, 1, 1, 1), (1, 2, 3, 3))]:
        e = _pad(ember)(ember.zeros(*shape, requires_grad=True), pads, mode=mode)
        t = _pad(torch)(torch.zeros(*shape, requires_grad=True), pads, mode=mode)
        assert e.grad_fn.name() == t.grad_fn.name()


def test_pad_value_only_for_constant():
    x = ember.zeros(2, 3)
    np.testing.assert_array_equal(_pad(ember)(x, (1, 0), value=7.0).numpy()[:, 0], [7, 7])
    with pytest.raises(RuntimeError):
        _pad(ember)(x, (1, 0), mode="reflect", value=7.0)


def test_T_on_non_matrix_warns_like_torch():
    with pytest.warns(UserWarning, match="x.T"):
        ember.zeros(2, 3, 4).T


def test_inplace_on_multi_output_view_gives_correct_gradients():
    # torch refuses in-place on outputs of split/chunk/unbind; ember allows it: check the gradient
    # against torch's out-of-place equivalent.
    torch = require_torch()
    a = np.random.default_rng(7).standard_normal((4, 3))
    x = ember.from_numpy(a.copy()).requires_grad_()
    y = x * 1
    p, q = y.chunk(2)
    p.mul_(3)
    (q * p).sum().backward()
    t = torch.from_numpy(a.copy()).requires_grad_()
    tp, tq = t[:2] * 3, t[2:]
    (tq * tp).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
