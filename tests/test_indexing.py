"""Tensor.__getitem__ / __setitem__ and the indexing ops against torch: a matrix of index
expressions (values, view-or-copy, gradients through getitem and setitem), then error cases."""
import warnings

import numpy as np
import pytest

import ember
from conftest import require_torch

torch = require_torch()

SHAPE = (4, 5, 6)


def _t(lib, data, dtype=None):
    return lib.tensor(data, dtype=dtype or lib.int64)


def _mask(lib, shape, seed):
    rng = np.random.default_rng(seed)
    return lib.from_numpy(rng.random(shape) > 0.4)


# Each key builder takes the library (ember or torch) and returns an index for a (4, 5, 6) tensor.
KEYS = {
    "int": lambda L: 1,
    "neg_int": lambda L: -1,
    "ints": lambda L: (1, 2),
    "ints3": lambda L: (-1, -2, -3),
    "full_slice": lambda L: slice(None),
    "slice": lambda L: slice(1, 3),
    "step": lambda L: slice(None, None, 2),
    "neg_start": lambda L: slice(-3, None),
    "slice_step_neg": lambda L: (slice(1, -1, 2), slice(-4, -1, 2)),
    "slice_out_of_range": lambda L: slice(10, 20),
    "slice_reversed": lambda L: slice(3, 1),
    "slice_int": lambda L: (slice(None), 1),
    "ellipsis_int": lambda L: (Ellipsis, 0),
    "ellipsis_only": lambda L: Ellipsis,
    "empty_tuple": lambda L: (),
    "none": lambda L: None,
    "none_int": lambda L: (None, 1),
    "nones": lambda L: (1, None, slice(None), None),
    "ellipsis_none": lambda L: (Ellipsis, None),
    "none_ellipsis_none": lambda L: (None, Ellipsis, None),
    "true": lambda L: True,
    "false": lambda L: False,
    "int_true": lambda L: (1, True),
    "slice_false": lambda L: (slice(None), False),
    "list": lambda L: [0, 2],
    "list_dup": lambda L: [0, 2, 0, 0],
    "list_neg": lambda L: [-1, -4],
    "list_tuple_rule": lambda L: [[0, 1], [2, 3]],
    "list_bool": lambda L: [True, False, True, False],
    "empty_list": lambda L: [],
    "np_array": lambda L: np.array([0, 3]),
    "np_array_2d": lambda L: np.array([[0, 1], [2, 3]]),
    "np_bool": lambda L: np.array([True, False, False, True]),
    "np_int32": lambda L: np.array([1, 2], dtype=np.int32),
    "tensor": lambda L: _t(L, [0, 2]),
    "tensor_neg": lambda L: _t(L, [-1, -4, 2]),
    "tensor_2d": lambda L: _t(L, [[0, 1], [2, 3], [3, 3]]),
    "tensor_0d": lambda L: _t(L, 1),
    "tensor_int32": lambda L: _t(L, [3, 1], L.int32),
    "tensor_empty": lambda L: _t(L, []),
    "tensor_bool_0d_true": lambda L: L.tensor(True),
    "tensor_bool_0d_false": lambda L: L.tensor(False),
    "two_tensors": lambda L: (_t(L, [0, 2]), _t(L, [1, 3])),
    "broadcast_tensors": lambda L: (_t(L, [[0], [2]]), _t(L, [1, 3, 4])),
    "slice_tensor": lambda L: (slice(None), _t(L, [0, 2])),
    "adjacent_after_slice": lambda L: (slice(None), _t(L, [0, 2]), _t(L, [1, 5])),
    "separated_by_slice": lambda L: (_t(L, [0, 2]), slice(None), _t(L, [1, 5])),
    "separated_by_none": lambda L: (_t(L, [0, 2]), None, _t(L, [1, 4])),
    "separated_by_int": lambda L: (_t(L, [0, 2]), 1, _t(L, [1, 5])),
    "ellipsis_tensor": lambda L: (Ellipsis, _t(L, [0, 5])),
    "int_tensor_slice": lambda L: (1, _t(L, [0, 2]), slice(1, 3)),
    "tensor_step_none": lambda L: (_t(L, [0, 1]), slice(1, 4, 2), None, _t(L, [2, 3])),
    "none_tensor": lambda L: (None, _t(L, [0, 2])),
    "mixed_int32_int64": lambda L: (_t(L, [0, 2], L.int32), _t(L, [1, 3])),
    "list_and_tensor": lambda L: ([0, 3], slice(None), _t(L, [[1], [2]])),
    "mask_dim0": lambda L: _mask(L, (4,), 0),
    "mask_2d": lambda L: _mask(L, (4, 5), 1),
    "mask_3d": lambda L: _mask(L, (4, 5, 6), 2),
    "mask_dim1": lambda L: (slice(None), _mask(L, (5,), 3)),
    "mask_after_ellipsis": lambda L: (Ellipsis, _mask(L, (6,), 4)),
    "mask_and_tensor": lambda L: (_mask(L, (4,), 5), slice(None), _t(L, [1])),
    "mask_all_false": lambda L: L.zeros(4, dtype=L.bool),
    "mask_2d_then_index": lambda L: (_mask(L, (4, 5), 6), _t(L, [0])),
}

BASIC = {"int", "neg_int", "ints", "ints3", "full_slice", "slice", "step", "neg_start", "slice_step_neg",
         "slice_out_of_range", "slice_reversed", "slice_int", "ellipsis_int", "ellipsis_only", "empty_tuple", "none",
         "none_int", "nones", "ellipsis_none", "none_ellipsis_none"}
# Keys whose indices repeat a position (setitem with them is order-dependent).
DUPLICATES = {"list_dup", "tensor_2d", "broadcast_tensors", "mask_and_tensor", "list_and_tensor",
              "separated_by_none", "tensor_step_none"}


def _pair(dtype="float64", seed=0):
    arr = np.random.default_rng(seed).standard_normal(SHAPE).astype(dtype)
    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _np(t):
    return t.detach().numpy()


def _torch_key(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KEYS[name](torch)


def _torch_getitem(x, key):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x[key]


def _torch_setitem(x, key, v):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x[key] = v


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_values(name):
    e, t = _pair()
    er, tr = e[KEYS[name](ember)], _torch_getitem(t, _torch_key(name))
    assert tuple(er.shape) == tuple(tr.shape)
    assert str(er.dtype) == str(tr.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(_np(er), _np(tr))
    # Basic indexing returns a view of x; anything advanced returns a copy.
    assert er._is_view() == (name in BASIC)
    if er.numel():
        before = _np(e).copy()
        er.fill_(123.0)
        assert np.array_equal(_np(e), before) == (name not in BASIC)


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_grad(name):
    e, t = _pair()
    e.requires_grad_(True)
    t.requires_grad_(True)
    er, tr = e[KEYS[name](ember)], _torch_getitem(t, _torch_key(name))
    g = np.random.default_rng(1).standard_normal(tuple(tr.shape))
    er.backward(ember.from_numpy(g.copy()))
    tr.backward(torch.from_numpy(g.copy()))
    np.testing.assert_allclose(_np(e.grad), _np(t.grad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [k for k in KEYS if k not in DUPLICATES])
@pytest.mark.parametrize("value_kind", ["scalar", "full", "last_dim", "leading_ones"])
def test_setitem_values(name, value_kind):
    e, t = _pair()
    target_shape = tuple(_torch_getitem(t, _torch_key(name)).shape)
    rng = np.random.default_rng(2)
    if value_kind == "scalar":
        ev = tv = 7.5
    else:
        shape = {"full": target_shape, "last_dim": target_shape[-1:], "leading_ones": (1, 1) + target_shape,
                 "int_tensor": target_shape}[value_kind]
        v = rng.integers(-5, 5, size=shape) if value_kind == "int_tensor" else rng.standard_normal(shape)
        ev, tv = ember.from_numpy(v.copy()), torch.from_numpy(v.copy())
    e[KEYS[name](ember)] = ev
    _torch_setitem(t, _torch_key(name), tv)
    np.testing.assert_array_equal(_np(e), _np(t))


@pytest.mark.parametrize("name", [k for k in KEYS if k not in DUPLICATES])
def test_setitem_grad(name):
    """Gradients flow to the written-into tensor (through CopySlices / IndexPutBackward0) and to
    the value (broadcast)."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal(SHAPE)
    e0, t0 = ember.from_numpy(base.copy()).requires_grad_(), torch.from_numpy(base.copy()).requires_grad_()
    target_shape = tuple(_torch_getitem(t0.detach(), _torch_key(name)).shape)
    v = rng.standard_normal(target_shape[-1:])
    ev, tv = ember.from_numpy(v.copy()).requires_grad_(), torch.from_numpy(v.copy()).requires_grad_()
    w = rng.standard_normal(SHAPE)
    ex, tx = e0 * 2, t0 * 2
    ex[KEYS[name](ember)] = ev
    _torch_setitem(tx, _torch_key(name), tv)
    # (+ 0 * x0: keeps x0.grad defined when the write covers all of x.)
    ((ex * ember.from_numpy(w.copy())).sum() + (e0 * 0).sum()).backward()
    ((tx * torch.from_numpy(w.copy())).sum() + (t0 * 0).sum()).backward()
    np.testing.assert_allclose(_np(ex), _np(tx))
    np.testing.assert_allclose(_np(e0.grad), _np(t0.grad), rtol=1e-12, atol=1e-12)
    if tv.grad is None:  # nothing was written: torch leaves the value without a gradient
        assert ev.grad is None or not _np(ev.grad).any()
    else:
        np.testing.assert_allclose(_np(ev.grad), _np(tv.grad), rtol=1e-12, atol=1e-12)


def test_setitem_through_view_and_grad_fn_names():
    e0 = ember.zeros(3, 4, requires_grad=True)
    x = e0 * 1
    x[:, 1][ember.tensor([0, 2])] = ember.ones(2, requires_grad=True)
    assert x.grad_fn.name() == "CopySlices"
    y = e0 * 1
    y[ember.tensor([0, 2])] = 2.0
    assert y.grad_fn.name() == "IndexPutBackward0"
    assert e0[ember.tensor([1])].grad_fn.name() == "IndexBackward0"
    assert e0.gather(1, ember.tensor([[0]])).grad_fn.name() == "GatherBackward0"
    assert e0.index_select(0, ember.tensor([0])).grad_fn.name() == "IndexSelectBackward0"


def test_setitem_dtype_cast_and_bool_tensor():
    # ember casts the value to x's dtype; torch does so for basic indexing only (and wants the
    # cast done by hand for advanced indexing).
    e, t = ember.zeros(3, 4, dtype=ember.int32), torch.zeros(3, 4, dtype=torch.int32)
    for key in ([0, 2], (slice(None), 1)):
        e[key] = ember.tensor([1.7, 2.2, -3.9, 4.0])[: e[key].shape[-1]]
        t[key] = torch.tensor([1.7, 2.2, -3.9, 4.0])[: t[key].shape[-1]].to(torch.int32)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    eb, tb = ember.zeros(5, dtype=ember.bool), torch.zeros(5, dtype=torch.bool)
    eb[ember.tensor([1, 3])] = True
    tb[torch.tensor([1, 3])] = True
    np.testing.assert_array_equal(eb.numpy(), tb.numpy())


def test_augmented_assignment_and_no_grad_leaf_write():
    for key in (lambda L: _t(L, [1, 1, 3]), lambda L: (slice(1, None), _t(L, [0, 2])), lambda L: (0, slice(None, None, 2))):
        e, t = ember.zeros(4, 3), torch.zeros(4, 3)
        e[key(ember)] += 2.5
        t[key(torch)] += 2.5
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    w = ember.zeros(3, requires_grad=True)
    with ember.no_grad():
        w[ember.tensor([0, 2])] = 1.0
        w[1] = 2.0
    assert w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0, 1.0])


def test_empty_float_tensor_index_is_an_error():
    with pytest.raises(IndexError):
        ember.zeros(3)[ember.zeros(0)]
    with pytest.raises(IndexError):
        torch.zeros(3)[torch.zeros(0)]


def test_index_put_accumulate_duplicates():
    e, t = ember.zeros(5), torch.zeros(5)
    idx = [0, 1, 1, 4, 1, -1]
    e.index_put_((ember.tensor(idx),), ember.arange(6.0), accumulate=True)
    t.index_put_((torch.tensor(idx),), torch.arange(6.0), accumulate=True)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_advanced_index_noncontiguous_and_int32():
    base = np.arange(60.0).reshape(3, 4, 5)
    e, t = ember.from_numpy(base.copy()).permute(2, 0, 1)[:, ::2], torch.from_numpy(base.copy()).permute(2, 0, 1)[:, ::2]
    ei, ti = ember.tensor([[4, 0], [1, 1]], dtype=ember.int32), torch.tensor([[4, 0], [1, 1]], dtype=torch.int32)
    np.testing.assert_array_equal(e[ei, :, ember.tensor([3])].numpy(), t[ti, :, torch.tensor([3])].numpy())


# ---- ops against torch (values and gradients on cases the op table does not cover)
def test_nonzero_where_argwhere():
    a = np.array([[0, 1.5, 0], [2, 0, -1]])
    e, t = ember.from_numpy(a), torch.from_numpy(a)
    np.testing.assert_array_equal(ember.nonzero(e).numpy(), torch.nonzero(t).numpy())
    for x, y in zip(ember.where(e), torch.where(t)):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    np.testing.assert_array_equal(e.argwhere().numpy(), t.argwhere().numpy())
    assert ember.nonzero(ember.tensor(3.0)).shape == torch.nonzero(torch.tensor(3.0)).shape
    assert ember.nonzero(ember.zeros(0, 3)).shape == torch.nonzero(torch.zeros(0, 3)).shape


def test_one_hot():
    x = ember.tensor([[0, 2], [1, 2]])
    np.testing.assert_array_equal(ember._C._ops.one_hot(x).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor([[0, 2], [1, 2]])).numpy())
    assert ember._C._ops.one_hot(ember.tensor([], dtype=ember.int64), 4).shape == (0, 4)


def test_inplace_forms_match_torch():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4))
    src = rng.standard_normal((3, 4))
    cases = [
        lambda L, x, s: x.scatter_(1, _t(L, [[0, 1], [2, 3], [1, 0]]), s[:, :2]),
        lambda L, x, s: x.scatter_(1, _t(L, [[0, 1], [2, 3], [1, 0]]), 2.0),
        lambda L, x, s: x.scatter_(1, _t(L, [[0, 1], [2, 3], [1, 0]]), s[:, :2], reduce="add"),
        lambda L, x, s: x.scatter_(1, _t(L, [[0, 1], [2, 3], [1, 0]]), s[:, :2], reduce="multiply"),
        lambda L, x, s: x.scatter_add_(0, _t(L, [[0, 0, 0, 0]]), s[:1]),
        lambda L, x, s: x.scatter_reduce_(0, _t(L, [[0, 0, 2, 2]]), s[:1], "amax", include_self=False),
        lambda L, x, s: x.index_add_(1, _t(L, [0, 0]), s[:, :2], alpha=-1.5),
        lambda L, x, s: x.index_copy_(0, _t(L, [2]), s[:1]),
        lambda L, x, s: x.index_fill_(0, _t(L, [2, 0]), L.tensor(-2.0)),
        lambda L, x, s: x.masked_fill_(L.from_numpy(src > 0), 9.0),
        lambda L, x, s: x.masked_scatter_(L.from_numpy(src > 0), s * 10),
        lambda L, x, s: x.put_(_t(L, [0, 11, -3]), s[0, :3]),
        lambda L, x, s: x.put_(_t(L, [0, 0, 0]), s[0, :3], accumulate=True),
    ]
    for i, f in enumerate(cases):
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        es, ts = ember.from_numpy(src.copy()), torch.from_numpy(src.copy())
        f(ember, e, es)
        f(torch, t, ts)
        np.testing.assert_allclose(e.numpy(), t.numpy(), err_msg=f"case {i}")


def test_inplace_op_on_view_grad():
    """An in-place indexing op on a view of a non-leaf routes its gradient through CopySlices."""
    rng = np.random.default_rng(6)
    a, s = rng.standard_normal((4, 5)), rng.standard_normal((4, 2))
    grads = []
    for L in (ember, torch):
        x0 = L.from_numpy(a.copy()).requires_grad_()
        src = L.from_numpy(s.copy()).requires_grad_()
        x = x0 * 3
        x[:, 1:4].index_add_(1, _t(L, [2, 0]), src, alpha=2)
        x[1:].masked_fill_(L.from_numpy(a[1:] > 0), 0.0)
        (x * x).sum().backward()
        grads.append((x0.grad.numpy(), src.grad.numpy()))
    for ge, gt in zip(*grads):
        np.testing.assert_allclose(ge, gt, rtol=1e-12)


def test_double_backward_through_gather_and_index():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 4))
    out = []
    for L in (ember, torch):
        x = L.from_numpy(a.copy()).requires_grad_()
        gx = x.gather(1, _t(L, [[0, 0], [3, 1], [2, 2]]))
        ix = x[_t(L, [0, 2, 2])]
        y = (gx * gx).sum() + (ix * ix * ix).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum(), x)
        out.append(gg.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_scatter_reduce_mean_int_and_backward():
    idx = [[0, 1, 0, 2]]
    e = ember.tensor([[5, 7, 9, 11], [1, 2, 3, 4], [0, 0, 0, 0]]).scatter_reduce(0, ember.tensor(idx), ember.tensor([[2, 3, 4, 6]]), "mean")
    t = torch.tensor([[5, 7, 9, 11], [1, 2, 3, 4], [0, 0, 0, 0]]).scatter_reduce(0, torch.tensor(idx), torch.tensor([[2, 3, 4, 6]]), "mean")
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# ---- errors: the same exception type as torch (and torch's message inside ours)
ERRORS = {
    "int_out_of_range": lambda L, x: x[5],
    "neg_int_out_of_range": lambda L, x: x[0, -6],
    "too_many": lambda L, x: x[0, 0, 0, 0],
    "tensor_out_of_range": lambda L, x: x[_t(L, [4])],
    "tensor_neg_out_of_range": lambda L, x: x[:, _t(L, [-6])],
    "second_tensor_out_of_range": lambda L, x: x[_t(L, [0]), _t(L, [9])],
    "huge_index": lambda L, x: x[_t(L, [2 ** 62])],
    "huge_negative": lambda L, x: x[_t(L, [-(2 ** 62)])],
    "broadcast_mismatch": lambda L, x: x[_t(L, [0, 1]), _t(L, [1, 2, 3])],
    "mask_shape": lambda L, x: x[L.ones(3, dtype=L.bool)],
    "mask_shape_2d": lambda L, x: x[L.ones(4, 6, dtype=L.bool)],
    "float_tensor": lambda L, x: x[L.tensor([1.0])],
    "int16_tensor": lambda L, x: x[L.tensor([1], dtype=L.int16)],
    "float_index": lambda L, x: x[1.5],
    "int_overflow": lambda L, x: x[2 ** 70],
    "int_overflow_in_tuple": lambda L, x: x[0, 2 ** 70],
    "str_index": lambda L, x: x["a"],
    "negative_step": lambda L, x: x[::-1],
    "zero_step": lambda L, x: x[::0],
    "ellipsis_too_many": lambda L, x: x[..., 0, 0, 0, 0],
    "set_shape_mismatch": lambda L, x: x.__setitem__(_t(L, [0]), L.ones(2, 6)),
    "set_out_of_range": lambda L, x: x.__setitem__(_t(L, [7]), 1.0),
    "set_mask_out_of_range": lambda L, x: x.__setitem__(L.ones(5, dtype=L.bool), 1.0),
    "empty_dim": lambda L, x: L.zeros(0)[_t(L, [0])],
    "gather_out_of_range": lambda L, x: x.gather(1, L.zeros(2, 2, 2, dtype=L.int64) + 5),
    "gather_negative": lambda L, x: x.gather(1, L.zeros(2, 2, 2, dtype=L.int64) - 1),
    "gather_float": lambda L, x: x.gather(1, L.zeros(2, 2, 2)),
    "take_int32": lambda L, x: x.take(_t(L, [1], L.int32)),
    "index_fill_int32": lambda L, x: x.index_fill(1, _t(L, [1], L.int32), 1.0),
    "index_copy_int32": lambda L, x: x.index_copy(1, _t(L, [1], L.int32), L.ones(4, 1, 6, dtype=L.float64)),
    "gather_ndim": lambda L, x: x.gather(1, _t(L, [1])),
    "gather_size": lambda L, x: x.gather(1, L.zeros(5, 2, 2, dtype=L.int64)),
    "index_select_range": lambda L, x: x.index_select(1, _t(L, [5])),
    "index_select_negative": lambda L, x: x.index_select(1, _t(L, [-1])),
    "index_select_2d": lambda L, x: x.index_select(1, _t(L, [[1]])),
    "scatter_range": lambda L, x: x.scatter(1, L.zeros(1, 1, 1, dtype=L.int64) + 5, 1.0),
    "scatter_dtype": lambda L, x: x.scatter(1, L.zeros(1, 1, 1, dtype=L.int64), L.ones(1, 1, 1, dtype=L.float32)),
    "scatter_add_negative": lambda L, x: x.scatter_add(1, L.zeros(1, 1, 1, dtype=L.int64) - 1, L.ones(1, 1, 1, dtype=L.float64)),
    "scatter_reduce_bad": lambda L, x: x.scatter_reduce(1, L.zeros(1, 1, 1, dtype=L.int64), x, "maximum"),
    "index_add_range": lambda L, x: x.index_add(0, _t(L, [5]), L.ones(1, 5, 6, dtype=L.float64)),
    "index_add_range_1d": lambda L, x: L.zeros(5).index_add(0, _t(L, [-1]), L.ones(1)),
    "index_add_count": lambda L, x: x.index_add(1, _t(L, [0, 1]), L.ones(4, 1, 6, dtype=L.float64)),
    "index_copy_range": lambda L, x: x.index_copy(1, _t(L, [5]), L.ones(4, 1, 6, dtype=L.float64)),
    "index_copy_negative": lambda L, x: x.index_copy(1, _t(L, [-1]), L.ones(4, 1, 6, dtype=L.float64)),
    "index_fill_range": lambda L, x: x.index_fill(1, _t(L, [5]), 2.0),
    "take_range": lambda L, x: x.take(_t(L, [120])),
    "take_negative": lambda L, x: x.take(_t(L, [-121])),
    "put_range": lambda L, x: x.put_(_t(L, [120]), L.ones(1, dtype=L.float64)),
    "put_count": lambda L, x: x.put_(_t(L, [1, 2]), L.ones(1, dtype=L.float64)),
    "masked_fill_float_mask": lambda L, x: x.masked_fill(L.ones(4, 5, 6), 1.0),
    "masked_fill_value_dim": lambda L, x: x.masked_fill(L.ones(6, dtype=L.bool), L.tensor([1.0])),
    "masked_fill_inplace_broadcast": lambda L, x: x.masked_fill_(L.ones(2, 4, 5, 6, dtype=L.bool), 1.0),
    "masked_scatter_short": lambda L, x: x.masked_scatter(L.ones(4, 5, 6, dtype=L.bool), L.ones(3, dtype=L.float64)),
    "index_put_dtype": lambda L, x: x.index_put_((_t(L, [0]),), _t(L, [1])),
    "index_put_shape": lambda L, x: x.index_put_((_t(L, [0]),), L.ones(2, dtype=L.float64)),
    "leaf_inplace": lambda L, x: x.requires_grad_().__setitem__(_t(L, [0]), 1.0),
    "one_hot_negative": lambda L, x: _one_hot(L)(_t(L, [-1])),
    "one_hot_too_big": lambda L, x: _one_hot(L)(_t(L, [3]), 3),
    "one_hot_empty": lambda L, x: _one_hot(L)(_t(L, [])),
    "one_hot_int32": lambda L, x: _one_hot(L)(_t(L, [1], L.int32)),
}


def _one_hot(L):
    return L.nn.functional.one_hot if L is torch else ember._C._ops.one_hot


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    e, t = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as texc:
            ERRORS[name](torch, t)
    with pytest.raises(Exception) as eexc:
        ERRORS[name](ember, e)
    assert type(eexc.value) is type(texc.value), f"ember raised {eexc.value!r}, torch {texc.value!r}"
    assert type(eexc.value) in (IndexError, RuntimeError, ValueError, TypeError)


@pytest.mark.parametrize("name", ["tensor_out_of_range", "tensor_neg_out_of_range", "second_tensor_out_of_range",
                                  "broadcast_mismatch", "mask_shape", "gather_out_of_range", "take_range",
                                  "index_copy_range", "set_shape_mismatch", "index_put_dtype", "one_hot_negative",
                                  "masked_scatter_short", "masked_fill_value_dim", "empty_dim"])
def test_error_messages_match_torch(name):
    e, t = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as texc:
            ERRORS[name](torch, t)
    with pytest.raises(Exception) as eexc:
        ERRORS[name](ember, e)
    tmsg = str(texc.value).split("\n")[0].replace("torch.", "").replace("Double", "float64").replace("Long", "int64")
    assert tmsg in str(eexc.value)


def test_bad_index_never_writes():
    e = ember.zeros(3, 4)
    for f in (lambda: e.index_put_((ember.tensor([0, 9]),), ember.ones(4)),
              lambda: e.scatter_(1, ember.tensor([[0, 7]]), 1.0),
              lambda: e.index_add_(0, ember.tensor([1, 3]), ember.ones(2, 4)),
              lambda: e.put_(ember.tensor([1, 12]), ember.ones(2))):
        with pytest.raises((IndexError, RuntimeError)):
            f()
        assert not e.numpy().any()


# ---- random index expressions (fixed seeds): getitem, setitem and the gradient through both
def _random_key(rng, shape):
    """A random mix of ints, slices, None, Ellipsis, lists, int tensors and masks valid for `shape`.
    Returns a builder taking the library."""
    parts, dim, used_ellipsis = [], 0, False
    while dim < len(shape) and rng.random() < 0.85:
        size = shape[dim]
        r = rng.random()
        if r < 0.15:
            i = int(rng.integers(-size, size))
            parts.append(lambda L, i=i: i)
        elif r < 0.35:
            a, b = sorted(int(v) for v in rng.integers(-size - 1, size + 2, size=2))
            step = int(rng.integers(1, 3))
            parts.append(lambda L, s=slice(a, b, step): s)
        elif r < 0.45:
            parts.append(lambda L: None)
            continue
        elif r < 0.5 and not used_ellipsis:
            used_ellipsis = True
            parts.append(lambda L: Ellipsis)
            dim = len(shape) - 1 if dim < len(shape) - 1 else dim  # leaves the last dim for later parts
            continue
        elif r < 0.62:
            vals = rng.integers(-size, size, size=2).tolist()
            parts.append(lambda L, v=vals: v)
        elif r < 0.85:
            vals = rng.integers(-size, size, size=(1, 2)).tolist()
            parts.append(lambda L, v=vals: _t(L, v))
        else:
            m = rng.random(size) > 0.5
            parts.append(lambda L, m=m: L.from_numpy(m.copy()))
        dim += 1
    return lambda L: tuple(p(L) for p in parts)


@pytest.mark.parametrize("seed", range(200))
def test_random_index_expressions(seed):
    rng = np.random.default_rng(100 + seed)
    shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 5))))
    key = _random_key(rng, shape)
    base = rng.standard_normal(shape)
    e = ember.from_numpy(base.copy()).requires_grad_()
    t = torch.from_numpy(base.copy()).requires_grad_()
    try:
        tr = _torch_getitem(t, key(torch))
    except (IndexError, RuntimeError) as exc:  # e.g. index tensors that do not broadcast
        with pytest.raises(type(exc)):
            e[key(ember)]
        return
    er = e[key(ember)]
    assert tuple(er.shape) == tuple(tr.shape)
    np.testing.assert_array_equal(_np(er), _np(tr))
    g = rng.standard_normal(tuple(tr.shape))
    er.backward(ember.from_numpy(g.copy()))
    tr.backward(torch.from_numpy(g.copy()))
    np.testing.assert_allclose(_np(e.grad), _np(t.grad), rtol=1e-12, atol=1e-12)
    # setitem with a scalar and with a broadcast tensor (the random keys hold few duplicate
    # positions; both libraries write duplicates in order on the CPU, the last one winning)
    for value in (3.25, rng.standard_normal(tuple(tr.shape)[-1:])):
        ex, tx = ember.from_numpy(base.copy()), torch.from_numpy(base.copy())
        ev = value if isinstance(value, float) else ember.from_numpy(value.copy())
        tv = value if isinstance(value, float) else torch.from_numpy(value.copy())
        ex[key(ember)] = ev
        _torch_setitem(tx, key(torch), tv)
        np.testing.assert_array_equal(_np(ex), _np(tx))


def test_scatter_reduce_backward_not_implemented_modes_raise():
    x = ember.zeros(2, 3, requires_grad=True)
    src = ember.ones(2, 2, requires_grad=True)
    y = x.scatter_reduce(1, ember.tensor([[0, 0], [2, 1]]), src, "amax")
    with pytest.raises(NotImplementedError):
        y.sum().backward()
