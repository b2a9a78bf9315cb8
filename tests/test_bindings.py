"""The Python surface of the bindings against torch: in-place methods return the very object they were
called on, grad_fn objects are typed by node name, in-place view ops, keyword forms of the shape and
factory arguments, and the in-place functional activations."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as EF
import torch.nn.functional as TF


def npy(t):
    t = t.detach()
    return t.float().numpy() if t.dtype in (ember.bfloat16, torch.bfloat16) else t.numpy()


def pair(shape=(3, 4), seed=0, dtype=np.float32, low=-2, high=2):
    a = np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


# ---- in-place identity: `x.op_(...) is x`, from C++ with no Python wrapper
INPLACE = [
    ("add_", lambda lib, x, y: x.add_(y, alpha=2)), ("sub_", lambda lib, x, y: x.sub_(y)),
    ("mul_", lambda lib, x, y: x.mul_(y)), ("div_", lambda lib, x, y: x.div_(y.abs() + 1)),
    ("div_floor", lambda lib, x, y: x.div_(y.abs() + 1, rounding_mode="floor")),
    ("pow_", lambda lib, x, y: x.abs_().pow_(2)), ("lerp_", lambda lib, x, y: x.lerp_(y, 0.3)),
    ("atan2_", lambda lib, x, y: x.atan2_(y)), ("maximum via clamp_", lambda lib, x, y: x.clamp_(-1, 1)),
    ("clamp_min_", lambda lib, x, y: x.clamp_min_(0)), ("clamp_max_", lambda lib, x, y: x.clamp_max_(0)),
    ("zero_", lambda lib, x, y: x.zero_()), ("fill_", lambda lib, x, y: x.fill_(2.5)),
    ("copy_", lambda lib, x, y: x.copy_(y)), ("exp_", lambda lib, x, y: x.exp_()),
    ("relu_", lambda lib, x, y: x.relu_()), ("sigmoid_", lambda lib, x, y: x.sigmoid_()),
    ("neg_", lambda lib, x, y: x.neg_()), ("round_", lambda lib, x, y: x.round_(decimals=1)),
    ("tril_", lambda lib, x, y: x.tril_()), ("triu_", lambda lib, x, y: x.triu_(1)),
    ("masked_fill_", lambda lib, x, y: x.masked_fill_(y > 0, 0.0)),
    ("index_fill_", lambda lib, x, y: x.index_fill_(1, lib.tensor([0, 2]), -1.0)),
    ("index_add_", lambda lib, x, y: x.index_add_(0, lib.tensor([0, 2]), y[:2])),
    ("scatter_add_", lambda lib, x, y: x.scatter_add_(0, lib.zeros(2, 4, dtype=lib.int64), y[:2])),
    ("index_put_", lambda lib, x, y: x.index_put_((lib.tensor([0, 1]),), y[:2])),
    ("cumsum_", lambda lib, x, y: x.cumsum_(1)), ("cumprod_", lambda lib, x, y: x.cumprod_(dim=0)),
    ("addmm_", lambda lib, x, y: x.addmm_(y, lib.ones(4, 4), beta=0.5, alpha=2)),
    ("addmv_", lambda lib, x, y: x.addmv_(y.t(), lib.ones(3))),
    ("baddbmm_", lambda lib, x, y: x.baddbmm_(y, lib.ones(1, 4, 4))),
    ("t_", lambda lib, x, y: x.t_()), ("transpose_", lambda lib, x, y: x.transpose_(0, 1)),
    ("unsqueeze_", lambda lib, x, y: x.unsqueeze_(1)), ("squeeze_", lambda lib, x, y: x.squeeze_(0)),
    ("as_strided_", lambda lib, x, y: x.as_strided_((2, 2), (1, 2), 1)),
    ("requires_grad_", lambda lib, x, y: x.requires_grad_()), ("detach_", lambda lib, x, y: x.detach_()),
    ("uniform_", lambda lib, x, y: x.uniform_()), ("normal_", lambda lib, x, y: x.normal_()),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_returns_self_and_matches_torch(name, fn):
    shape = {"addmv_": (4,), "baddbmm_": (1, 3, 4), "squeeze_": (1, 3, 4)}.get(name, (3, 4))
    (ex, tx), (ey, ty) = pair(shape, seed=1), pair((1, 3, 4) if name == "baddbmm_" else (3, 4), seed=2)
    er, tr = fn(ember, ex, ey), fn(torch, tx, ty)
    assert er is ex, f"{name} returned a new object"
    assert tr is tx
    if name not in ("uniform_", "normal_"):
        assert tuple(er.shape) == tuple(tr.shape)
        np.testing.assert_allclose(npy(er), npy(tr), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(npy(ex), npy(tx), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
                                "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"])
def test_augmented_assignment_keeps_the_object(op):
    integer = op in ("__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__")
    e = ember.arange(1, 7).reshape(2, 3) if integer else ember.arange(1.0, 7.0).reshape(2, 3)
    t = torch.arange(1, 7).reshape(2, 3) if integer else torch.arange(1.0, 7.0).reshape(2, 3)
    before = e
    e2 = getattr(e, op)(2)
    t2 = getattr(t, op)(2)
    assert e2 is before and t2 is t
    np.testing.assert_array_equal(npy(e2), npy(t2))


def test_module_level_inplace_functions_return_their_input():
    x = ember.randn(3)
    assert ember.relu_(x) is x and ember.sigmoid_(x) is x and ember.exp_(x) is x
    assert ember.clamp_(x, -1, 1) is x and ember.index_put_(x, (ember.tensor([0]),), ember.tensor(1.0)) is x


def test_parameter_identity_and_type_survive_inplace_ops():
    p = ember.nn.Parameter(ember.randn(3, 4))
    assert ember.nn.init.xavier_uniform_(p) is p
    assert ember.nn.init.constant_(p, 0.5) is p and float(p.sum()) == 6.0
    with ember.no_grad():
        assert p.zero_() is p and type(p.zero_()) is ember.nn.Parameter
        q = p
        q += 1
    assert q is p and type(q) is ember.nn.Parameter and p.requires_grad


def test_python_inplace_methods_return_self():
    x = ember.ones(3)
    assert x.addcmul_(x, x, value=0.5) is x and x.addcdiv_(x, x + 1) is x and x.nan_to_num_() is x


# ---- grad_fn typed by node name (torch: type(t.grad_fn).__name__ == 'AddBackward0')
GRAD_FNS = [
    lambda lib, a, b: a + b, lambda lib, a, b: a * b, lambda lib, a, b: a - 2 * b, lambda lib, a, b: a / b,
    lambda lib, a, b: a.mm(b.t()), lambda lib, a, b: a @ b.t(), lambda lib, a, b: a.sum(), lambda lib, a, b: a.mean(1),
    lambda lib, a, b: a.relu(), lambda lib, a, b: a.sigmoid(), lambda lib, a, b: a.exp(), lambda lib, a, b: a.view(12),
    lambda lib, a, b: a.t(), lambda lib, a, b: a[1:], lambda lib, a, b: lib.cat([a, b]), lambda lib, a, b: a.pow(2),
    lambda lib, a, b: lib.softmax(a, 1), lambda lib, a, b: a.max(), lambda lib, a, b: a.unsqueeze(0),
]


@pytest.mark.parametrize("i", range(len(GRAD_FNS)))
def test_grad_fn_type_name_matches_torch(i):
    (ea, ta), (eb, tb) = pair(seed=3), pair(seed=4)
    for x in (ea, ta, eb, tb):
        x.requires_grad_()
    eo, to = GRAD_FNS[i](ember, ea, eb), GRAD_FNS[i](torch, ta, tb)
    ename, tname = type(eo.grad_fn).__name__, type(to.grad_fn).__name__
    assert ename == tname == eo.grad_fn.name()
    assert isinstance(eo.grad_fn, ember._C.Node)
    # the nodes behind (ember keeps a None edge for a wrapped-scalar exponent where torch has none)
    enext = [type(f).__name__ for f, _ in eo.grad_fn.next_functions if f is not None]
    tnext = [type(f).__name__ for f, _ in to.grad_fn.next_functions if f is not None]
    assert enext == tnext
    assert type(eo.grad_fn) is type(GRAD_FNS[i](ember, ea, eb).grad_fn)  # one cached class per name
    assert f"grad_fn=<{tname}>" in repr(eo)


def test_grad_fn_subclass_keeps_node_behaviour():
    x = ember.ones(2, requires_grad=True)
    y = (x * 2).sum()
    fn = y.grad_fn
    assert fn.name() == "SumBackward0" and repr(fn).startswith("<SumBackward0 object at")
    (mul, _), = fn.next_functions
    (acc, _), (none, _) = mul.next_functions  # torch: ((AccumulateGrad, 0), (None, 0)) for x * 2
    assert none is None
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable.data_ptr() == x.data_ptr()
    with pytest.raises(AttributeError):
        fn.no_such_attribute
    y.backward()
    np.testing.assert_array_equal(npy(x.grad), [2.0, 2.0])


# ---- in-place view ops
def test_inplace_view_ops_share_storage_and_match_torch():
    for lib in (ember, torch):
        b = lib.arange(6.0)
        v = b.view(2, 3)
        assert v.t_() is v and tuple(v.shape) == (3, 2) and v.stride() == (1, 3)
        v.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
        assert tuple(v.shape) == (2, 3)
        w = b.view(6)
        w.as_strided_((2,), (2,), 1)
        assert w.tolist() == [1.0, 3.0]
        w.mul_(10)
        assert b.tolist() == [0.0, 10.0, 2.0, 30.0, 4.0, 5.0]


def test_inplace_view_op_autograd_matches_torch():
    grads = []
    for lib in (ember, torch):
        x = lib.arange(6.0).reshape(2, 3).requires_grad_()
        y = x * 2
        assert y.t_() is y and tuple(y.shape) == (3, 2)
        (y * lib.arange(6.0).reshape(3, 2)).sum().backward()
        grads.append(npy(x.grad))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.t_()
        with lib.no_grad():
            x.t_()
        assert tuple(x.shape) == (3, 2) and x.is_leaf
    np.testing.assert_array_equal(grads[0], grads[1])


# ---- keyword forms (torch accepts them; ember's *args bindings gained a keyword overload)
KEYWORDS = [
    lambda lib, x: x.view(size=(4, 3)), lambda lib, x: x.reshape(shape=(2, 6)), lambda lib, x: x.permute(dims=(1, 0)),
    lambda lib, x: x[:1].expand(size=(3, 4)), lambda lib, x: x.repeat(repeats=(2, 1)),
    lambda lib, x: lib.zeros(size=(2, 3)), lambda lib, x: lib.ones(size=[2], dtype=lib.float64),
    lambda lib, x: lib.empty(size=(2, 3)).shape, lambda lib, x: lib.rand(size=(2, 3)).shape,
    lambda lib, x: lib.randn(size=(2,)).dtype, lambda lib, x: lib.randint_like(x, high=5).max() < 5,
    lambda lib, x: lib.randint_like(x, 3, high=4), lambda lib, x: lib.randint_like(x, low=2, high=3),
    lambda lib, x: lib.max(x, other=x.flip(0)), lambda lib, x: x.min(x.flip(1)), lambda lib, x: lib.max(x, x.t().t() * 0),
    lambda lib, x: lib.einsum(x, [0, 1], x, [2, 1], [0, 2]), lambda lib, x: lib.einsum(x, [0, 1], x, [0, 1]),
    lambda lib, x: lib.einsum(x[None], [Ellipsis, 1], [Ellipsis]),
    lambda lib, x: x.view(dtype=lib.int32), lambda lib, x: x[:1].expand_as(other=x), lambda lib, x: x.view_as(other=x.t()),
    lambda lib, x: x.reshape_as(other=x.t()), lambda lib, x: x.type_as(other=lib.ones(1, dtype=lib.float64)),
    lambda lib, x: lib.detach(x), lambda lib, x: lib.nn.functional.one_hot(input=lib.tensor([0, 2]), num_classes=3),
]


@pytest.mark.parametrize("i", range(len(KEYWORDS)))
def test_keyword_forms_match_torch(i):
    ex, tx = pair(seed=5)
    er, tr = KEYWORDS[i](ember, ex), KEYWORDS[i](torch, tx)
    if isinstance(tr, torch.Tensor):
        assert str(er.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1]
        assert tuple(er.shape) == tuple(tr.shape)
        if "rand" not in str(KEYWORDS[i].__code__.co_names) and "empty" not in str(KEYWORDS[i].__code__.co_names):
            np.testing.assert_allclose(npy(er), npy(tr), rtol=1e-5, atol=1e-6)
    else:
        assert str(er).split(".")[-1] == str(tr).split(".")[-1]


def test_einsum_sublist_errors_like_torch():
    for lib in (ember, torch):
        with pytest.raises(ValueError):
            lib.einsum(lib.ones(2), [60])


# ---- in-place functional activations
FUNCTIONAL_INPLACE = [("celu_", {}), ("elu_", {"alpha": 0.5}), ("hardtanh_", {"min_val": -0.5}),
                      ("leaky_relu_", {"negative_slope": 0.2}), ("rrelu_", {}), ("selu_", {}),
                      ("threshold_", {"threshold": 0.1, "value": -3.0}), ("relu_", {})]


@pytest.mark.parametrize("name,kw", FUNCTIONAL_INPLACE, ids=[n for n, _ in FUNCTIONAL_INPLACE])
def test_functional_inplace_activations(name, kw):
    ex, tx = pair(seed=6)
    er, tr = getattr(EF, name)(ex, **kw), getattr(TF, name)(tx, **kw)
    assert er is ex and tr is tx
    np.testing.assert_allclose(npy(ex), npy(tx), rtol=1e-5, atol=1e-6)
