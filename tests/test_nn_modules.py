"""nn.Module machinery, containers, init, Linear/activations/losses vs torch, clip_grad."""
import copy
import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_helpers import E, T, F64_ATOL, F64_RTOL, assert_close, copy_params_to_torch, has_op, needs
from conftest import require_torch


# ---------------------------------------------------------------- Parameter / Module basics
def test_parameter_basics():
    t = ember.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p._shares_storage(t)
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor([[1., 1., 1.],")
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and not q._shares_storage(p) and q.requires_grad
    assert nn.Parameter().numel() == 0
    with pytest.raises(TypeError):
        nn.Parameter([1.0, 2.0])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.register_buffer("running", ember.zeros(2))
        self.register_buffer("tmp", ember.ones(1), persistent=False)
        self.scale = nn.Parameter(ember.ones(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale + self.running


def test_module_registration_and_iteration():
    m = Net()
    assert list(m._parameters) == ["scale"]
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in m.named_parameters(prefix="model")][1] == "model.fc1.weight"
    assert [n for n, _ in m.named_buffers()] == ["running", "tmp"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(m.state_dict().keys()) == ["scale", "running", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert m.fc2.bias is None and "bias" in m.fc2._parameters
    assert m.get_submodule("fc1") is m.fc1 and m.get_parameter("fc1.bias") is m.fc1.bias
    assert m.get_buffer("running") is m.running
    with pytest.raises(AttributeError):
        m.get_submodule("nope")
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing
    # shared parameters are reported once, unless remove_duplicate=False
    m.fc3 = m.fc1
    assert len(list(m.parameters())) == 4
    assert len(list(m.named_parameters(remove_duplicate=False))) == 6
    del m.fc3
    assert "fc3" not in m._modules
    # reassigning: module -> plain attribute type errors
    with pytest.raises(TypeError):
        m.fc1 = 3
    with pytest.raises(TypeError):
        m.scale = ember.ones(1)
    m.scale = None
    assert m.scale is None
    m.running = ember.ones(2)
    assert "running" in m._buffers
    m.buf2 = nn.Buffer(ember.ones(3))
    assert "buf2" in m._buffers
    with pytest.raises(KeyError):
        m.register_buffer("a.b", ember.ones(1))
    with pytest.raises(KeyError):
        m.register_parameter("fc1", nn.Parameter(ember.ones(1)))
    assert "fc1" in dir(m) and "running" in dir(m)


def test_module_mode_grad_apply_to():
    m = Net()
    assert m.training and m.fc1.training
    m.eval()
    assert not m.training and not m.fc1.training
    m.train()
    assert m.fc2.training
    with pytest.raises(ValueError):
        m.train("yes")
    y = m(ember.ones(5, 4)).sum()
    y.backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert float(m.fc1.weight.grad.sum()) == 0.0
    m.zero_grad()
    assert m.fc1.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names == ["Linear", "ReLU", "Linear", "Net"]
    w = m.fc1.weight
    m.double()
    assert m.fc1.weight is w and w.dtype == ember.float64 and m.running.dtype == ember.float64
    m.to(ember.float32)
    assert w.dtype == ember.float32
    m.to("cpu")
    m.float().cpu()
    with pytest.raises(TypeError):
        m.to(ember.int64)
    assert m.share_memory() is m


def test_module_deepcopy():
    m = nn.Sequential(nn.Linear(2, 2), nn.BCEWithLogitsLoss(pos_weight=ember.ones(2)))
    m[0](ember.ones(1, 2)).sum().backward()
    m2 = copy.deepcopy(m)
    assert m2[0].weight is not m[0].weight and isinstance(m2[0].weight, nn.Parameter)
    assert not m2[0].weight._shares_storage(m[0].weight)
    assert m2[0].weight.grad is None and m2[1].pos_weight.tolist() == [1.0, 1.0]  # as torch
    assert m2[1].pos_weight is not m[1].pos_weight
    assert list(m2.state_dict()) == list(m.state_dict())


def test_module_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = lin.register_forward_hook(lambda mod, args, out: out * 0)
    out = lin(ember.ones(1, 2))
    assert calls == ["pre"] and float(out.sum()) == 0.0
    h1.remove()
    h2.remove()
    out = lin(ember.ones(1, 2))
    assert calls == ["pre"] and float((out * out).sum()) > 0.0
    # a pre hook can replace the args, with_kwargs hooks see kwargs
    lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    assert float(lin(ember.ones(1, 2)).sum()) == pytest.approx(float(lin.bias.sum()))
    ident = nn.Identity()
    ident.register_forward_hook(lambda mod, args, kwargs, out: out + 1, with_kwargs=True)
    assert float(ident(ember.zeros(1))) == 1.0


def test_full_backward_hook():
    lin = nn.Linear(2, 2)
    if not hasattr(ember.autograd, "Function"):
        with pytest.raises(NotImplementedError):
            lin.register_full_backward_hook(lambda *a: None)
        return
    seen = []
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    x = ember.ones(3, 2, requires_grad=True)
    lin(x).sum().backward()
    assert len(seen) == 1 and tuple(seen[0][1][0].shape) == (3, 2)


# ---------------------------------------------------------------- state_dict
def test_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert all(not t.requires_grad for t in sd.values())
    assert sd._metadata[""]["version"] == 1
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == [] and repr(res) == "<All keys matched successfully>"
    for k in sd:
        assert_close(b.state_dict()[k], sd[k], rtol=0, atol=0)
    bad = OrderedDict(sd)
    del bad["fc1.bias"]
    bad["extra"] = ember.ones(1)
    with pytest.raises(RuntimeError) as ei:
        b.load_state_dict(bad)
    msg = str(ei.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\t")
    assert 'Missing key(s) in state_dict: "fc1.bias". ' in msg
    assert 'Unexpected key(s) in state_dict: "extra". ' in msg
    res = b.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra"]
    wrong = OrderedDict(sd)
    wrong["fc1.weight"] = ember.ones(4, 4)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight: copying a param with shape"):
        b.load_state_dict(wrong)
    with pytest.raises(TypeError):
        b.load_state_dict([1, 2])
    # assign=True swaps in the given tensors
    c = nn.Linear(2, 2)
    new = {"weight": ember.zeros(2, 2), "bias": ember.zeros(2)}
    c.load_state_dict(new, assign=True)
    assert isinstance(c.weight, nn.Parameter) and float(c.weight.sum()) == 0.0


def test_state_dict_keys_match_torch():
    torch = require_torch()
    em = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ModuleList([nn.Linear(4, 4), nn.Tanh()]),
                       nn.ModuleDict({"head": nn.Linear(4, 2)}), nn.Bilinear(2, 2, 3), nn.PReLU(3))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                             torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Tanh()]),
                             torch.nn.ModuleDict({"head": torch.nn.Linear(4, 2)}), torch.nn.Bilinear(2, 2, 3),
                             torch.nn.PReLU(3))
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    for k, v in em.state_dict().items():
        assert tuple(v.shape) == tuple(tm.state_dict()[k].shape)
    copy_params_to_torch(em, tm)  # loads strictly
    em2 = nn.BCEWithLogitsLoss(pos_weight=ember.ones(3))
    tm2 = torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3))
    assert list(em2.state_dict()) == list(tm2.state_dict())
    assert list(nn.CrossEntropyLoss().state_dict()) == list(torch.nn.CrossEntropyLoss().state_dict())


def _torch_repr(s):
    return s.replace("torch.", "ember.")


def test_repr_matches_torch():
    torch = require_torch()
    tnn = torch.nn
    pairs = [
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Dropout(0.2), nn.Linear(4, 2, bias=False)),
         tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(inplace=True), tnn.Dropout(0.2), tnn.Linear(4, 2, bias=False))),
        (nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.GELU()]),
         tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.GELU()])),
        (nn.ModuleDict({"a": nn.Sequential(nn.Tanh(), nn.Softmax(dim=1)), "b": nn.LeakyReLU(0.2)}),
         tnn.ModuleDict({"a": tnn.Sequential(tnn.Tanh(), tnn.Softmax(dim=1)), "b": tnn.LeakyReLU(0.2)})),
        (nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), nn.Parameter(ember.zeros(4))]),
         tnn.ParameterList([tnn.Parameter(torch.zeros(2, 3)), tnn.Parameter(torch.zeros(4))])),
        (nn.ParameterDict({"w": nn.Parameter(ember.zeros(2))}),
         tnn.ParameterDict({"w": tnn.Parameter(torch.zeros(2))})),
    ]
    simple = ["ReLU6", "Hardswish", "Hardsigmoid", "SiLU", "Mish", "Sigmoid", "Tanh", "Softsign", "Tanhshrink",
              "LogSigmoid", "Softmax2d", "SELU", "CELU", "ELU", "Hardtanh", "LeakyReLU", "PReLU", "Softplus",
              "GELU", "Softmax", "LogSoftmax", "Softmin", "GLU", "RReLU", "Hardshrink", "Softshrink",
              "Identity", "Flatten", "Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "CosineSimilarity",
              "PairwiseDistance", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "KLDivLoss",
              "HuberLoss", "SmoothL1Loss"]
    for name in simple:
        pairs.append((getattr(nn, name)(), getattr(tnn, name)()))
    pairs += [
        (nn.Threshold(0.1, 20), tnn.Threshold(0.1, 20)),
        (nn.ELU(0.5, inplace=True), tnn.ELU(0.5, inplace=True)),
        (nn.Hardtanh(-2.0, 2.0, inplace=True), tnn.Hardtanh(-2.0, 2.0, inplace=True)),
        (nn.ReLU6(True), tnn.ReLU6(True)), (nn.SiLU(True), tnn.SiLU(True)),
        (nn.GELU("tanh"), tnn.GELU("tanh")), (nn.Softplus(2, 10), tnn.Softplus(2, 10)),
        (nn.Unflatten(1, (2, 3)), tnn.Unflatten(1, (2, 3))), (nn.Flatten(0, 2), tnn.Flatten(0, 2)),
        (nn.Embedding(10, 3, padding_idx=0, max_norm=1.0), tnn.Embedding(10, 3, padding_idx=0, max_norm=1.0)),
        (nn.ZeroPad2d(1), tnn.ZeroPad2d(1)), (nn.ConstantPad1d(2, 3.5), tnn.ConstantPad1d(2, 3.5)),
        (nn.ReflectionPad2d(1), tnn.ReflectionPad2d(1)), (nn.ReplicationPad1d((1, 2)), tnn.ReplicationPad1d((1, 2))),
        (nn.PixelShuffle(2), tnn.PixelShuffle(2)), (nn.PixelUnshuffle(2), tnn.PixelUnshuffle(2)),
        (nn.Bilinear(2, 3, 4), tnn.Bilinear(2, 3, 4)), (nn.PReLU(3), tnn.PReLU(3)),
    ]
    for em, tm in pairs:
        assert repr(em) == _torch_repr(repr(tm)), (repr(em), repr(tm))


# ---------------------------------------------------------------- containers
def test_sequential_ops():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[0] is a and s[-1] is b
    s.append(c)
    assert list(s) == [a, b, c]
    sl = s[1:]
    assert isinstance(sl, nn.Sequential) and list(sl) == [b, c]
    s.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "ReLU", "Linear"]
    del s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear"] and list(s._modules) == ["0", "1", "2"]
    s.extend([nn.Sigmoid()])
    assert len(s) == 4
    s[3] = nn.Identity()
    assert isinstance(s[3], nn.Identity)
    with pytest.raises(IndexError):
        s[10]
    named = nn.Sequential(OrderedDict([("lin", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["lin.weight", "lin.bias"]
    assert tuple(named(ember.ones(3, 2)).shape) == (3, 2)
    assert len(s + named) == 6


def test_module_list_dict_param_containers():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "ReLU", "Tanh"]
    assert len(ml[1:]) == 3 and isinstance(ml[-1], nn.Tanh)
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    with pytest.raises(TypeError):
        ml.extend(nn.ReLU())
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Linear(1, 1)
    assert md.pop("b").__class__ is nn.ReLU and list(md) == ["a", "c"]
    pl = nn.ParameterList([ember.ones(2), nn.Parameter(ember.zeros(3))])
    assert isinstance(pl[0], nn.Parameter) and len(pl) == 2
    pl.append(ember.ones(1))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"x": ember.ones(2)})
    pd["y"] = nn.Parameter(ember.zeros(1))
    assert list(pd.keys()) == ["x", "y"] and isinstance(pd["x"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["x", "y"]
    with pytest.raises(RuntimeError):
        pd(ember.ones(1))


# ---------------------------------------------------------------- init
def test_init_fans_and_gains():
    torch = require_torch()
    for nl, param in [("linear", None), ("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("selu", None),
                      ("sigmoid", None), ("conv2d", None), ("leaky_relu", None)]:
        assert nn.init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))
    with pytest.raises(ValueError):
        nn.init.calculate_gain("nope")
    for shape in [(3, 4), (5, 2, 3, 3), (4, 6, 2)]:
        assert nn.init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(ember.empty(3))


def test_init_distributions():
    w = ember.empty(200, 300)
    fan_in = 300
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = math.sqrt(6 / ((1 + 5) * fan_in))
    a = w.numpy()
    assert a.max() <= bound and a.min() >= -bound and a.max() > 0.95 * bound
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.01 * math.sqrt(2 / 200) * 5
    nn.init.xavier_uniform_(w, gain=2.0)
    lim = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= lim
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.05 * math.sqrt(2 / 500)
    nn.init.normal_(w, 3.0, 0.5)
    assert abs(w.numpy().mean() - 3.0) < 0.01
    nn.init.uniform_(w, -1, 2)
    assert w.numpy().min() >= -1 and w.numpy().max() <= 2
    nn.init.trunc_normal_(w, std=2.0, a=-1.0, b=1.5)
    assert w.numpy().min() >= -1.0 and w.numpy().max() <= 1.5
    nn.init.constant_(w, 0.3)
    assert np.all(w.numpy() == np.float32(0.3))
    nn.init.ones_(w)
    nn.init.zeros_(w)
    assert not w.numpy().any()
    e = ember.empty(3, 5)
    nn.init.eye_(e)
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 5))
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = ember.empty(*shape)
        nn.init.orthogonal_(q, gain=1.5)
        flat = q.numpy().reshape(shape[0], -1).astype(np.float64)
        if flat.shape[0] <= flat.shape[1]:
            np.testing.assert_allclose(flat @ flat.T, 2.25 * np.eye(flat.shape[0]), atol=1e-5)
        else:
            np.testing.assert_allclose(flat.T @ flat, 2.25 * np.eye(flat.shape[1]), atol=1e-5)
    d = ember.empty(4, 2, 3, 3)
    nn.init.dirac_(d, groups=2)
    torch = require_torch()
    td = torch.empty(4, 2, 3, 3)
    torch.nn.init.dirac_(td, groups=2)
    np.testing.assert_array_equal(d.numpy(), td.numpy())
    # init runs under no_grad: the parameter stays a leaf
    p = nn.Parameter(ember.empty(3, 3))
    nn.init.kaiming_uniform_(p)
    assert p.is_leaf and p.grad_fn is None


def test_init_seeded():
    ember.manual_seed(123)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    ember.manual_seed(123)
    b = nn.Linear(5, 5).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Linear(5, 5).weight.detach().numpy())


# ---------------------------------------------------------------- Linear / Bilinear vs torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_matches_torch(dtype):
    torch = require_torch()
    rtol = 1e-5 if dtype == "float32" else F64_RTOL
    em = nn.Linear(5, 3).to(getattr(ember, dtype))
    tm = torch.nn.Linear(5, 3).to(getattr(torch, dtype))
    copy_params_to_torch(em, tm)
    x = np.random.default_rng(0).normal(size=(4, 2, 5)).astype(dtype)
    ex, tx = E(x, True), T(x, True)
    eo, to = em(ex), tm(tx)
    assert_close(eo, to, rtol=rtol)
    g = np.random.default_rng(1).normal(size=(4, 2, 3)).astype(dtype)
    eo.backward(E(g))
    to.backward(T(g))
    assert_close(ex.grad, tx.grad, rtol=rtol, atol=1e-6)
    assert_close(em.weight.grad, tm.weight.grad, rtol=rtol, atol=1e-5)
    assert_close(em.bias.grad, tm.bias.grad, rtol=rtol, atol=1e-5)


def test_bilinear_and_lazy_linear():
    torch = require_torch()
    em = nn.Bilinear(3, 4, 2).double()
    tm = torch.nn.Bilinear(3, 4, 2).double()
    copy_params_to_torch(em, tm)
    rng = np.random.default_rng(2)
    x1, x2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    e1, e2, t1, t2 = E(x1, True), E(x2, True), T(x1, True), T(x2, True)
    eo, to = em(e1, e2), tm(t1, t2)
    assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)
    eo.sum().backward()
    to.sum().backward()
    assert_close(em.weight.grad, tm.weight.grad, rtol=F64_RTOL, atol=F64_ATOL)
    assert_close(e1.grad, t1.grad, rtol=F64_RTOL, atol=F64_ATOL)
    lazy = nn.LazyLinear(3)
    out = lazy(ember.ones(2, 7))
    assert type(lazy) is nn.Linear and tuple(lazy.weight.shape) == (3, 7) and tuple(out.shape) == (2, 3)
    assert lazy.in_features == 7


# ---------------------------------------------------------------- activations vs torch
ACTIVATIONS = [
    ("ReLU", (), ()), ("ReLU6", (), ()), ("LeakyReLU", (0.2,), ()), ("ELU", (0.7,), ()), ("SELU", (), ()),
    ("CELU", (1.3,), ()), ("GELU", ("tanh",), ()), ("GELU", (), ("erf",)), ("SiLU", (), ()), ("Mish", (), ()),
    ("Sigmoid", (), ()), ("Tanh", (), ()), ("Softplus", (), ()), ("Softplus", (2.0, 5.0), ("cmp",)),
    ("Softsign", (), ()), ("Hardtanh", (-0.5, 0.8), ()), ("Hardswish", (), ()), ("Hardsigmoid", (), ()),
    ("LogSigmoid", (), ()), ("Tanhshrink", (), ()), ("Softshrink", (0.3,), ()), ("Hardshrink", (0.3,), ("cmp",)),
    ("Threshold", (0.1, -2.0), ("cmp",)), ("Softmax", (1,), ("softmax",)), ("LogSoftmax", (-1,), ("log_softmax",)),
    ("Softmin", (0,), ("softmax",)), ("Softmax2d", (), ("softmax",)), ("GLU", (1,), ()), ("PReLU", (), ()),
    ("Identity", (), ()), ("Flatten", (), ()), ("Unflatten", (1, (2, 3)), ()),
]


def _act_id(case):
    return case[0] + ("_" + "_".join(map(str, case[1])) if case[1] else "")


@pytest.mark.parametrize("case", ACTIVATIONS, ids=[_act_id(c) for c in ACTIVATIONS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_matches_torch(case, dtype):
    torch = require_torch()
    name, args, required_ops = case
    missing = [o for o in required_ops if not has_op(o)]
    if missing:
        pytest.skip(f"needs ember op(s) not in this build yet: {missing}")
    em = getattr(nn, name)(*args)
    tm = getattr(torch.nn, name)(*args)
    if list(em.state_dict()):
        em = em.to(getattr(ember, dtype))
        tm = tm.to(getattr(torch, dtype))
        copy_params_to_torch(em, tm)
    shape = (3, 6, 2, 2) if name == "Softmax2d" else (3, 6, 4)
    x = np.random.default_rng(3).uniform(-3, 3, size=shape).astype(dtype)
    ex, tx = E(x, True), T(x, True)
    eo, to = em(ex), tm(tx)
    rtol, atol = (2e-5, 1e-6) if dtype == "float32" else (F64_RTOL, F64_ATOL)
    if dtype == "float64" and name in ("Hardsigmoid", "CELU"):
        # torch's float64 kernels for these multiply by float32 constants (1/6, 1/alpha): ~1e-8 off exact.
        rtol, atol = 1e-7, 1e-9
    assert tuple(eo.shape) == tuple(to.shape)
    assert_close(eo, to, rtol=rtol, atol=atol)
    g = np.random.default_rng(4).normal(size=tuple(to.shape)).astype(dtype)
    eo.backward(E(g))
    to.backward(T(g))
    assert_close(ex.grad, tx.grad, rtol=rtol, atol=atol * 10)
    for (n, p), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert_close(p.grad, tp.grad, rtol=rtol * 10, atol=atol * 10)


def test_inplace_activation():
    x = ember.tensor([-1.0, 2.0])
    out = nn.ReLU(inplace=True)(x)
    assert x.tolist() == [0.0, 2.0] and out._shares_storage(x)


# ---------------------------------------------------------------- losses vs torch
def _rng(seed=5):
    return np.random.default_rng(seed)


def _loss_inputs(name, dtype):
    r = _rng()
    x = r.normal(size=(6, 4)).astype(dtype)
    y = r.normal(size=(6, 4)).astype(dtype)
    if name in ("BCELoss",):
        x = r.uniform(0.05, 0.95, size=(6, 4)).astype(dtype)
        y = r.uniform(0, 1, size=(6, 4)).astype(dtype)
    if name in ("BCEWithLogitsLoss", "MultiLabelSoftMarginLoss"):
        y = (r.uniform(size=(6, 4)) > 0.5).astype(dtype)
    if name == "PoissonNLLLoss":
        y = r.poisson(2.0, size=(6, 4)).astype(dtype)
    if name == "KLDivLoss":
        x = np.log(r.dirichlet(np.ones(4), size=6)).astype(dtype)
        y = r.dirichlet(np.ones(4), size=6).astype(dtype)
    return x, y


LOSSES = [
    ("MSELoss", {}, ()), ("L1Loss", {}, ()), ("SmoothL1Loss", {}, ()), ("SmoothL1Loss", {"beta": 0.5}, ()),
    ("HuberLoss", {"delta": 0.7}, ()), ("BCELoss", {}, ()), ("BCEWithLogitsLoss", {}, ()),
    ("BCEWithLogitsLoss", {"pos_weight": "pw"}, ()), ("BCELoss", {"weight": "w4"}, ()),
    ("KLDivLoss", {}, ("xlogy",)), ("KLDivLoss", {"log_target": True}, ()),
    ("MultiLabelSoftMarginLoss", {}, ()), ("MultiLabelSoftMarginLoss", {"weight": "w4"}, ()),
    ("PoissonNLLLoss", {}, ()), ("PoissonNLLLoss", {"log_input": False}, ()),
    ("PoissonNLLLoss", {"full": True}, ("cmp",)), ("SoftMarginLoss", {}, ()),
]


def _resolve_kwargs(kw, dtype, lib):
    out = {}
    r = _rng(9)
    for k, v in kw.items():
        if v == "pw":
            v = lib(r.uniform(0.5, 2.0, size=(4,)).astype(dtype))
        elif v == "w4":
            v = lib(r.uniform(0.5, 2.0, size=(4,)).astype(dtype))
        out[k] = v
    return out


@pytest.mark.parametrize("case", LOSSES, ids=[c[0] + "_" + "_".join(c[1]) for c in LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pointwise_loss_matches_torch(case, reduction, dtype):
    torch = require_torch()
    name, kw, required_ops = case
    missing = [o for o in required_ops if not has_op(o)]
    if missing:
        pytest.skip(f"needs ember op(s) not in this build yet: {missing}")
    x, y = _loss_inputs(name, dtype)
    if name == "SoftMarginLoss":
        y = np.sign(y).astype(dtype)
    em = getattr(nn, name)(reduction=reduction, **_resolve_kwargs(kw, dtype, E))
    tm = getattr(torch.nn, name)(reduction=reduction, **_resolve_kwargs(kw, dtype, T))
    ex, tx = E(x, True), T(x, True)
    eo, to = em(ex, E(y)), tm(tx, T(y))
    rtol, atol = (2e-5, 1e-6) if dtype == "float32" else (F64_RTOL, F64_ATOL)
    assert_close(eo, to, rtol=rtol, atol=atol)
    (eo.sum() if reduction == "none" else eo).backward()
    (to.sum() if reduction == "none" else to).backward()
    assert_close(ex.grad, tx.grad, rtol=rtol, atol=atol * 10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gaussian_nll_and_margin_losses(reduction):
    torch = require_torch()
    r = _rng(11)
    x, y = r.normal(size=(5, 3)), r.normal(size=(5, 3))
    var = r.uniform(0.1, 2.0, size=(5, 1))
    for full in (False, True):
        ex, ev, tx, tv = E(x, True), E(var, True), T(x, True), T(var, True)
        eo = nn.GaussianNLLLoss(full=full, reduction=reduction)(ex, E(y), ev)
        to = torch.nn.GaussianNLLLoss(full=full, reduction=reduction)(tx, T(y), tv)
        assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)
        (eo.sum() if reduction == "none" else eo).backward()
        (to.sum() if reduction == "none" else to).backward()
        assert_close(ev.grad, tv.grad, rtol=F64_RTOL, atol=F64_ATOL)
    a, b = r.normal(size=(6,)), r.normal(size=(6,))
    t = np.sign(r.normal(size=(6,)))
    ea, ta = E(a, True), T(a, True)
    eo = nn.MarginRankingLoss(0.3, reduction=reduction)(ea, E(b), E(t))
    to = torch.nn.MarginRankingLoss(0.3, reduction=reduction)(ta, T(b), T(t))
    assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)
    anchor, pos, neg = r.normal(size=(4, 5)), r.normal(size=(4, 5)), r.normal(size=(4, 5))
    ea, ta = E(anchor, True), T(anchor, True)
    eo = nn.TripletMarginLoss(margin=1.5, reduction=reduction)(ea, E(pos), E(neg))
    to = torch.nn.TripletMarginLoss(margin=1.5, reduction=reduction)(ta, T(pos), T(neg))
    assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)
    (eo.sum() if reduction == "none" else eo).backward()
    (to.sum() if reduction == "none" else to).backward()
    assert_close(ea.grad, ta.grad, rtol=F64_RTOL * 10, atol=F64_ATOL)


@needs("cmp")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_embedding_style_losses(reduction):
    torch = require_torch()
    r = _rng(12)
    x1, x2 = r.normal(size=(6, 4)), r.normal(size=(6, 4))
    t = np.sign(r.normal(size=(6,)))
    e1, t1 = E(x1, True), T(x1, True)
    eo = nn.CosineEmbeddingLoss(0.2, reduction=reduction)(e1, E(x2), E(t))
    to = torch.nn.CosineEmbeddingLoss(0.2, reduction=reduction)(t1, T(x2), T(t))
    assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)
    x = r.normal(size=(6, 4))
    t = np.sign(r.normal(size=(6, 4)))
    eo = nn.HingeEmbeddingLoss(0.5, reduction=reduction)(E(x), E(t))
    to = torch.nn.HingeEmbeddingLoss(0.5, reduction=reduction)(T(x), T(t))
    assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)


CE_CASES = [
    ({}, False), ({"weight": True}, False), ({"ignore_index": 1}, False), ({"label_smoothing": 0.1}, False),
    ({"weight": True, "label_smoothing": 0.2, "ignore_index": 2}, False), ({}, True),
    ({"label_smoothing": 0.15, "weight": True}, True),
]


@needs("log_softmax", "gather", "index_select", "cmp")
@pytest.mark.parametrize("case", CE_CASES, ids=[str(i) for i in range(len(CE_CASES))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("nd", [False, True])
def test_cross_entropy_matches_torch(case, reduction, nd):
    torch = require_torch()
    kw, prob = case
    r = _rng(13)
    shape = (4, 5, 3) if nd else (6, 5)
    x = r.normal(size=shape)
    tshape = (shape[0],) + shape[2:]
    if prob:
        y = r.dirichlet(np.ones(5), size=int(np.prod(tshape))).reshape(tshape + (5,))
        y = np.moveaxis(y, -1, 1).copy()
        ey, ty = E(y), T(y)
    else:
        y = r.integers(0, 5, size=tshape)
        ey, ty = E(y), T(y)
    ekw, tkw = dict(kw), dict(kw)
    if kw.get("weight"):
        w = r.uniform(0.5, 2.0, size=(5,))
        ekw["weight"], tkw["weight"] = E(w), T(w)
    ex, tx = E(x, True), T(x, True)
    eo = nn.CrossEntropyLoss(reduction=reduction, **ekw)(ex, ey)
    to = torch.nn.CrossEntropyLoss(reduction=reduction, **tkw)(tx, ty)
    assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)
    (eo.sum() if reduction == "none" else eo).backward()
    (to.sum() if reduction == "none" else to).backward()
    assert_close(ex.grad, tx.grad, rtol=F64_RTOL * 10, atol=F64_ATOL)
    if not prob:
        lp = np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True))
        eo = nn.NLLLoss(reduction=reduction, **{k: v for k, v in ekw.items() if k != "label_smoothing"})(E(lp), ey)
        to = torch.nn.NLLLoss(reduction=reduction, **{k: v for k, v in tkw.items() if k != "label_smoothing"})(
            T(lp), ty)
        assert_close(eo, to, rtol=F64_RTOL, atol=F64_ATOL)


def test_loss_errors():
    with pytest.raises(ValueError):
        F.mse_loss(ember.ones(2), ember.ones(2), reduction="avg")
    with pytest.raises(ValueError):
        F.binary_cross_entropy(ember.ones(2) * 0.5, ember.ones(3))
    with pytest.warns(UserWarning):
        F.mse_loss(ember.ones(2, 1), ember.ones(2))
    with pytest.warns(UserWarning):
        nn.MSELoss(size_average=False)
    assert nn.MSELoss(size_average=False).reduction == "sum"


# ---------------------------------------------------------------- functional odds and ends
def test_distance_pixelshuffle_pad_normalize():
    torch = require_torch()
    r = _rng(14)
    a, b = r.normal(size=(4, 6)), r.normal(size=(4, 6))
    tol = dict(rtol=F64_RTOL, atol=F64_ATOL)
    assert_close(nn.CosineSimilarity()(E(a), E(b)), torch.nn.CosineSimilarity()(T(a), T(b)), **tol)
    assert_close(nn.PairwiseDistance()(E(a), E(b)), torch.nn.PairwiseDistance()(T(a), T(b)), **tol)
    assert_close(F.pairwise_distance(E(a), E(b), p=1.0, keepdim=True),
                 torch.nn.functional.pairwise_distance(T(a), T(b), p=1.0, keepdim=True), rtol=F64_RTOL, atol=F64_ATOL)
    assert_close(F.normalize(E(a), dim=1), torch.nn.functional.normalize(T(a), dim=1), rtol=F64_RTOL, atol=F64_ATOL)
    x = r.normal(size=(2, 8, 3, 3))
    assert_close(nn.PixelShuffle(2)(E(x)), torch.nn.PixelShuffle(2)(T(x)), rtol=0, atol=0)
    y = r.normal(size=(2, 2, 4, 6))
    assert_close(nn.PixelUnshuffle(2)(E(y)), torch.nn.PixelUnshuffle(2)(T(y)), rtol=0, atol=0)
    for pad in [(1, 2), (1, 0, 2, 1), (-1, 2, 0, 1)]:
        ex, tx = E(y, True), T(y, True)
        eo = F.pad(ex, pad, value=2.5)
        to = torch.nn.functional.pad(tx, pad, value=2.5)
        assert_close(eo, to, rtol=0, atol=0)
        eo.sum().backward()
        to.sum().backward()
        assert_close(ex.grad, tx.grad, rtol=0, atol=0)
    assert_close(nn.ZeroPad2d((1, 0, 2, 3))(E(y)), torch.nn.ZeroPad2d((1, 0, 2, 3))(T(y)), rtol=0, atol=0)
    with pytest.raises(RuntimeError):  # torch 2.13: "Padding length must be divisible by 2" is a RuntimeError
        F.pad(E(y), (1, 2, 3))


@needs("_nn.pad")
def test_reflect_replicate_pad():
    torch = require_torch()
    y = _rng(15).normal(size=(2, 2, 4, 6))
    for em, tm in [(nn.ReflectionPad2d(1), torch.nn.ReflectionPad2d(1)),
                   (nn.ReplicationPad2d((1, 2, 0, 1)), torch.nn.ReplicationPad2d((1, 2, 0, 1)))]:
        assert_close(em(E(y)), tm(T(y)), rtol=0, atol=0)


@needs("index_select", "cmp")
def test_embedding_matches_torch():
    torch = require_torch()
    em = nn.Embedding(10, 4, padding_idx=1).double()
    tm = torch.nn.Embedding(10, 4, padding_idx=1).double()
    assert float(em.weight[1].sum()) == 0.0
    copy_params_to_torch(em, tm)
    idx = np.array([[1, 2, 3], [3, 9, 1]])
    eo, to = em(E(idx)), tm(T(idx))
    assert_close(eo, to, rtol=0, atol=0)
    eo.sum().backward()
    to.sum().backward()
    assert_close(em.weight.grad, tm.weight.grad, rtol=0, atol=0)
    pre = nn.Embedding.from_pretrained(ember.ones(3, 2))
    assert not pre.weight.requires_grad and tuple(pre(ember.tensor([0, 2])).shape) == (2, 2)


@needs("bernoulli")
def test_dropout_statistics():
    x = ember.ones(1000, 100)
    d = nn.Dropout(0.3)
    y = d(x).numpy()
    assert set(np.unique(y)).issubset({0.0, np.float32(1 / 0.7)})
    assert abs((y == 0).mean() - 0.3) < 0.01
    d.eval()
    assert d(x) is x
    y2 = nn.Dropout2d(0.5)(ember.ones(8, 16, 4, 4)).numpy()
    assert np.all((y2 == y2[:, :, :1, :1]))


def test_dropout_eval_and_errors():
    x = ember.ones(3)
    assert nn.Dropout(0.5).eval()(x) is x
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


# ---------------------------------------------------------------- clip_grad / convert_parameters
def test_clip_grad_matches_torch():
    torch = require_torch()
    r = _rng(16)
    grads = [r.normal(size=(3, 4)), r.normal(size=(5,))]
    for max_norm, norm_type in [(0.5, 2.0), (100.0, 2.0), (0.5, 1.0)]:
        eps = [nn.Parameter(ember.zeros(*g.shape, dtype=ember.float64)) for g in grads]
        tps = [torch.nn.Parameter(torch.zeros(*g.shape, dtype=torch.float64)) for g in grads]
        for p, g in zip(eps, grads):
            p.grad = E(g.copy())
        for p, g in zip(tps, grads):
            p.grad = T(g)
        en = nn.utils.clip_grad_norm_(eps, max_norm, norm_type)
        tn = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
        assert float(en) == pytest.approx(float(tn), rel=F64_RTOL)
        for p, tp in zip(eps, tps):
            assert_close(p.grad, tp.grad, rtol=F64_RTOL, atol=F64_ATOL)
    eps = [nn.Parameter(ember.zeros(*g.shape, dtype=ember.float64)) for g in grads]
    for p, g in zip(eps, grads):
        p.grad = E(g.copy())
    nn.utils.clip_grad_value_(eps, 0.3)
    for p, g in zip(eps, grads):
        np.testing.assert_allclose(p.grad.numpy(), np.clip(g, -0.3, 0.3))
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(ember.ones(2))], 1.0)) == 0.0


def test_parameters_vector_roundtrip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    v = nn.utils.parameters_to_vector(m.parameters())
    assert tuple(v.shape) == (3 * 2 + 2 + 2 + 1,)
    nn.utils.vector_to_parameters(v * 0 + 1, m.parameters())
    assert all(float(p.sum()) == p.numel() for p in m.parameters())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters([1.0], m.parameters())


def test_training_loop_reduces_loss():
    import ember.optim as optim
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    Y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    first = None
    for _ in range(100):
        opt.zero_grad()
        loss = loss_fn(model(E(X)), E(Y))
        loss.backward()
        opt.step()
        first = first if first is not None else float(loss)
    assert float(loss) < 0.05 * first


# ---------------------------------------------------------------- the same checks on stand-in ops
# Until the C++ comparison / softmax / gather / index_select ops land, the loss and embedding code
# paths are exercised with test-only stand-ins built from existing ops (comparisons via NumPy: they
# carry no gradient anyway; gather and index_select as one-hot products, which are differentiable).
# Stand-ins are installed only for the ops this build lacks.
def _install_stand_ins(monkeypatch):
    Tensor = ember.Tensor

    def cmp(fn):
        def op(a, b):
            bv = b.detach().numpy() if isinstance(b, Tensor) else b
            return ember.from_numpy(np.ascontiguousarray(fn(a.detach().numpy(), bv)))
        return op

    if not has_op("cmp"):
        for name, fn in [("__gt__", np.greater), ("__ge__", np.greater_equal), ("__lt__", np.less),
                         ("__le__", np.less_equal), ("__ne__", np.not_equal), ("__eq__", np.equal)]:
            monkeypatch.setattr(Tensor, name, cmp(fn), raising=False)
        monkeypatch.setattr(Tensor, "__invert__", lambda a: ember.from_numpy(~a.numpy()), raising=False)
        monkeypatch.setattr(ember, "gt", cmp(np.greater), raising=False)

    def log_softmax(x, dim):
        return x - ember.log(ember.exp(x).sum(dim, keepdim=True))

    def onehot(idx, n, dtype):
        return ember.from_numpy(np.eye(n)[idx.numpy()].astype(np.float64)).to(dtype=dtype)

    def gather(x, dim, index):
        assert dim == 1
        mask = np.moveaxis(np.eye(x.size(1))[index.numpy()[:, 0]], -1, 1)
        return (x * ember.from_numpy(np.ascontiguousarray(mask)).to(dtype=x.dtype)).sum(1, keepdim=True)

    def index_select(w, dim, idx):
        assert dim == 0
        return onehot(idx, w.size(0), w.dtype) @ w

    stand_ins = {"log_softmax": log_softmax, "softmax": lambda x, dim: ember.exp(log_softmax(x, dim)),
                 "gather": gather, "index_select": index_select,
                 "xlogy": lambda a, b: ember.where(a == 0, ember.zeros_like(a), a * ember.log(b)),
                 "bernoulli": lambda p: ember.from_numpy(
                     (np.random.default_rng(0).random(tuple(p.shape)) < p.numpy()).astype(np.float64)).to(
                         dtype=p.dtype)}
    for name, fn in stand_ins.items():
        if not has_op(name):
            monkeypatch.setattr(ember, name, fn, raising=False)


@pytest.mark.parametrize("case", CE_CASES, ids=[str(i) for i in range(len(CE_CASES))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("nd", [False, True])
def test_cross_entropy_with_stand_in_ops(monkeypatch, case, reduction, nd):
    _install_stand_ins(monkeypatch)
    test_cross_entropy_matches_torch(case, reduction, nd)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_comparison_losses_with_stand_in_ops(monkeypatch, reduction):
    _install_stand_ins(monkeypatch)
    test_embedding_style_losses(reduction)
    for case in LOSSES:
        for dtype in ("float32", "float64"):
            test_pointwise_loss_matches_torch(case, reduction, dtype)


@pytest.mark.parametrize("case", [c for c in ACTIVATIONS if c[2] and "erf" not in c[2]],
                         ids=[_act_id(c) for c in ACTIVATIONS if c[2] and "erf" not in c[2]])
def test_activations_with_stand_in_ops(monkeypatch, case):
    _install_stand_ins(monkeypatch)
    test_activation_matches_torch(case, "float64")


def test_embedding_with_stand_in_ops(monkeypatch):
    _install_stand_ins(monkeypatch)
    test_embedding_matches_torch()


def test_dropout_with_stand_in_ops(monkeypatch):
    _install_stand_ins(monkeypatch)
    test_dropout_statistics()
    x = ember.ones(4, 50, 3)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert len(np.unique(y)) == 2  # kept values share one affine map, dropped ones another
    assert nn.AlphaDropout(0.2).eval()(x) is x
