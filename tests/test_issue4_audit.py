"""Issue 4 audit: names and signatures vs torch 2.13 (tests/issue4_audit.py), and the behaviours the
audit found missing or wrong, each compared with torch where torch has it."""
import multiprocessing as mp
import os

import numpy as np
import pytest

import ember
import ember.nn as enn
from conftest import require_torch

import issue4_audit


def _both(fn):
    """fn(lib) for ember and torch: ('ok', value) or (exception type name, message)."""
    torch = require_torch()
    out = []
    for lib in (ember, torch):
        try:
            out.append(("ok", fn(lib)))
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            out.append((type(e).__name__, str(e)))
    return out


def _same(fn, values=True):
    e, t = _both(fn)
    assert e[0] == t[0], (e, t)
    if values and e[0] == "ok":
        assert _norm(e[1]) == _norm(t[1])
    return e, t


def _norm(v):
    if hasattr(v, "detach") and hasattr(v, "numpy"):
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape), np.round(v.detach().numpy().astype(float), 6).tolist())
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_norm(x) for x in v]
    if isinstance(v, str) or type(v).__name__ in ("dtype", "device"):
        return str(v).replace("torch.", "ember.")
    return v


# ---- (1) every name of the Build list exists with torch 2.13's parameters and defaults
def test_every_issue4_name_has_torchs_signature():
    require_torch()
    gaps = [(name, status) for name, status in issue4_audit.rows() if not status.startswith("ok")]
    assert gaps == []


def test_lr_schedulers_take_no_verbose_as_torch_2_13():
    _same(lambda lib: lib.optim.lr_scheduler.StepLR(lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1), 2,
                                                    verbose=True), values=False)


def test_sampler_base_and_random_split_default_generator():
    e, t = _same(lambda lib: lib.utils.data.Sampler(range(3)), values=False)
    assert e[0] == "TypeError"
    _same(lambda lib: (lib.manual_seed(4), [list(s.indices) for s in lib.utils.data.random_split(range(10), [3, 7])])[1])
    _same(lambda lib: [list(s.indices) for s in lib.utils.data.random_split(
        range(10), [0.5, 0.5], generator=lib.default_generator)] if lib.manual_seed(5) else None)


def test_hardtanh_deprecated_names_and_error_type():
    with pytest.warns(FutureWarning):
        m = enn.Hardtanh(min_value=-2.0, max_value=3.0)
    assert (m.min_val, m.max_val) == (-2.0, 3.0)
    e, _ = _same(lambda lib: lib.nn.Hardtanh(1.0, 0.5), values=False)
    assert e[0] == "AssertionError"
    _same(lambda lib: lib.nn.AdaptiveAvgPool2d(2, return_indices=True), values=False)


# ---- Tensor.share_memory_ / is_shared
def _child_add(p):
    with ember.no_grad():
        p.add_(1)


def _child_queue(q, r):
    t = q.get()
    r.put(float(t.sum()))
    with ember.no_grad():
        t.mul_(2)
    r.put("done")


NO_SHM = pytest.mark.skipif(not os.access("/dev/shm", os.W_OK), reason="share_memory_ needs a writable /dev/shm")


@NO_SHM
def test_share_memory_in_place_and_flags():
    t = ember.arange(6.0).reshape(2, 3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert t[1].is_shared()  # views of a shared tensor are shared
    assert t.share_memory_() is t  # already shared: unchanged
    b = ember.ones(3, dtype=ember.bfloat16).share_memory_()
    assert b.is_shared() and b.dtype == ember.bfloat16 and b.float().tolist() == [1.0, 1.0, 1.0]
    e = ember.empty(0).share_memory_()
    assert e.is_shared() and e.numel() == 0
    m = enn.Linear(3, 2)
    w = m.weight
    m(ember.ones(1, 3)).sum().backward()
    assert m.share_memory() is m
    assert m.weight is w and w.is_shared() and m.bias.is_shared() and w.grad.is_shared() and w.requires_grad
    torch = require_torch()
    tt = torch.ones(2)
    assert tt.share_memory_() is tt and tt.is_shared()


@NO_SHM
def test_share_memory_seen_by_forked_and_spawned_processes():
    m = enn.Linear(3, 2)
    m.share_memory()
    before = m.weight.detach().clone()
    p = mp.get_context("fork").Process(target=_child_add, args=(m.weight,))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    np.testing.assert_allclose((m.weight - before).detach().numpy(), np.ones((2, 3)))
    t = ember.arange(6.0).reshape(2, 3).share_memory_()
    for method, expect in (("spawn", [0, 1, 2, 6, 8, 10]), ("fork", [0, 1, 2, 12, 16, 20])):
        ctx = mp.get_context(method)
        q, r = ctx.Queue(), ctx.Queue()
        pr = ctx.Process(target=_child_queue, args=(q, r))
        pr.start()
        expect_sum = float(t[1].sum())
        q.put(t[1])  # a view travels as segment name + offset
        assert r.get(timeout=120) == expect_sum
        assert r.get(timeout=60) == "done"
        pr.join(60)
        assert t.flatten().tolist() == expect
    name_prefix = f"ember_shm_{os.getpid()}_"
    before = {f for f in os.listdir("/dev/shm") if f.startswith(name_prefix)}
    x = ember.ones(4).share_memory_()
    assert len({f for f in os.listdir("/dev/shm") if f.startswith(name_prefix)} - before) == 1
    del x
    import gc
    gc.collect()
    assert {f for f in os.listdir("/dev/shm") if f.startswith(name_prefix)} <= before  # freed: name unlinked


# ---- nn.Module and friends vs torch
def test_module_api_matches_torch():
    def report(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        sd = m.state_dict()
        sd.pop("0.bias")
        sd["extra"] = lib.zeros(1)
        try:
            m.load_state_dict(sd)
        except RuntimeError as err:
            msg = str(err)
        r = m.load_state_dict(sd, strict=False)
        return msg, list(r.missing_keys), list(r.unexpected_keys), str(r)
    _same(report)

    def size_mismatch(lib):
        m = lib.nn.Linear(2, 3)
        sd = m.state_dict()
        sd["weight"] = lib.zeros(4, 2)
        m.load_state_dict(sd)
    _same(size_mismatch)

    def buffers(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Buffer(lib.ones(2))
                self.b = lib.nn.Buffer(lib.zeros(1), persistent=False)
                self.register_buffer("c", lib.ones(1), persistent=False)
        m = M()
        return list(m.state_dict()), [n for n, _ in m.named_buffers()], type(m.a).__name__
    _same(buffers)

    def lazy(lib):
        m = lib.nn.LazyLinear(4)
        r0 = repr(m)
        m(lib.ones(2, 3))
        return r0, repr(m), tuple(m.weight.shape), type(m).__name__, type(m.weight).__name__
    _same(lazy)

    def hooks(lib):
        m = lib.nn.Linear(3, 2)
        log = []
        h1 = m.register_forward_pre_hook(lambda mod, inp: log.append("pre"))
        m.register_forward_hook(lambda mod, inp, out: log.append("post"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(
            ("bw", [None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])))
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("bwpre", len(go))))
        x = lib.ones(4, 3, requires_grad=True)
        m(x).sum().backward()
        h1.remove()
        m(x).sum().backward()
        m2 = lib.nn.Linear(3, 2)
        m2.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2,))
        y = lib.ones(1, 3, requires_grad=True)
        m2(y).sum().backward()
        return log, bool((y.grad == 2 * m2.weight.sum(0)).all())
    _same(hooks)

    def containers(lib):
        nn = lib.nn
        pl = nn.ParameterList([nn.Parameter(lib.ones(1)), lib.ones(2)])
        pl.append(nn.Parameter(lib.ones(3)))
        pd = nn.ParameterDict({"a": nn.Parameter(lib.ones(1)), "b": lib.ones(2)})
        s = nn.Sequential(nn.ReLU(), nn.Linear(1, 2), nn.Sigmoid())
        s.append(nn.Tanh())
        ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1)])
        ml.insert(0, nn.Tanh())
        md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(1, 1)})
        popped = type(md.pop("a")).__name__
        return (len(pl), [n for n, _ in pl.named_parameters()], type(pl[1]).__name__, list(pd.keys()),
                [n for n, _ in pd.named_parameters()], type(pd["b"]).__name__, repr(s[1:]), type(s[-1]).__name__,
                repr(s), repr(ml[::2]), repr(ml), popped, repr(md), list(pd.state_dict()))
    _same(containers)

    def conversions(lib):
        m = lib.nn.Linear(1, 1)
        return (m.to(lib.float64).weight.dtype, m.half().weight.dtype, m.bfloat16().weight.dtype,
                m.float().weight.dtype, m.double().weight.dtype, m.type(lib.float32).weight.dtype,
                m.to(lib.device("cpu")) is m, str(m.to("cpu").weight.device), m.cpu() is m,
                m.to("cpu", lib.float64).weight.dtype, lib.cuda.is_available())
    _same(conversions)
    e, t = _both(lambda lib: lib.nn.Linear(1, 1).cuda())
    assert t[0] == "AssertionError" and "Torch not compiled with CUDA enabled" in e[1]
    with pytest.raises(AssertionError):  # ember's error is an AssertionError (and a RuntimeError) as torch's
        enn.Linear(1, 1).cuda()
    for fn in (lambda lib: lib.nn.Sequential(lib.nn.ReLU())[3], lambda lib: lib.nn.Linear(1, 1).get_parameter("x"),
               lambda lib: lib.nn.Linear(1, 1).add_module("a.b", lib.nn.ReLU()),
               lambda lib: lib.nn.Linear(1, 1).register_parameter("w", lib.ones(1)),
               lambda lib: lib.nn.Linear(1, 1).register_buffer("w", 3),
               lambda lib: setattr(lib.nn.Linear(1, 1), "weight", lib.ones(1, 1)),
               lambda lib: lib.nn.Sequential(lib.nn.ReLU()).get_submodule("1"),
               lambda lib: lib.nn.Linear(1, 1).to(lib.int64)):
        _same(fn, values=False)


def test_module_repr_matches_torch():
    def models(lib):
        nn = lib.nn
        lib.manual_seed(0)
        return [repr(m) for m in [
            nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(6 * 14 * 14, 10)),
            nn.LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1), nn.GRU(3, 5),
            nn.LSTM(4, 8, proj_size=3), nn.MultiheadAttention(8, 2, batch_first=True, kdim=4, vdim=4),
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                  enable_nested_tensor=False),
            nn.Transformer(8, 2, 1, 1, 16), nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.BatchNorm1d(3, momentum=None)}),
            nn.Embedding(10, 3, padding_idx=0, max_norm=1.0), nn.EmbeddingBag(10, 3, mode="max"),
            nn.EmbeddingBag(10, 3, max_norm=1.0, scale_grad_by_freq=True, mode="sum", padding_idx=2),
            nn.Upsample(scale_factor=2, mode="bilinear"), nn.LayerNorm([3, 4], elementwise_affine=False),
            nn.LayerNorm(4, bias=False), nn.GroupNorm(2, 4), nn.InstanceNorm2d(3, affine=True), nn.LocalResponseNorm(3),
            nn.AdaptiveAvgPool2d((2, None)), nn.AvgPool2d(3, 2, 1, ceil_mode=True), nn.MaxPool1d(3, return_indices=True),
            nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1, bias=False),
            nn.Conv1d(2, 4, 3, padding="same", padding_mode="reflect", dilation=2), nn.PReLU(3), nn.Softmax(dim=1),
            nn.GELU("tanh"), nn.ELU(alpha=0.5, inplace=True), nn.Hardtanh(-2, 2), nn.Unflatten(1, (2, 5)),
            nn.ZeroPad2d((1, 2, 0, 1)), nn.ConstantPad2d(1, 3.5), nn.CosineSimilarity(dim=0), nn.PairwiseDistance(p=1.0),
            nn.CrossEntropyLoss(label_smoothing=0.1), nn.CTCLoss(blank=1), nn.Bilinear(2, 3, 4), nn.LazyLinear(5),
            nn.GRUCell(3, 4), nn.LSTMCell(3, 4, bias=False), nn.RNNCell(3, 4, nonlinearity="relu"),
            nn.Fold(output_size=(4, 5), kernel_size=2), nn.DataParallel(nn.Linear(2, 2))]]
    _same(models)


def test_clip_grad_norm_with_a_generator_clips():
    def clip(lib):
        m = lib.nn.Linear(2, 2)
        m.weight.grad = lib.full((2, 2), 3.0)
        m.bias.grad = lib.full((2,), 4.0)
        n = lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0)  # a generator: read once
        first = (m.weight.grad.clone(), m.bias.grad.clone())
        m.weight.grad = lib.full((2, 2), 3.0)
        n2 = lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0, norm_type="inf")
        lib.nn.utils.clip_grad_value_(m.parameters(), 0.1)
        return n, first, n2, m.weight.grad
    _same(clip)


# ---- functional: values and error types
X = np.random.default_rng(0).normal(size=(2, 3, 5, 6))


def _t(lib, a=X):
    return lib.from_numpy(a.copy())


@pytest.mark.parametrize("mode,kw", [("nearest", {}), ("bilinear", {"align_corners": True}),
                                     ("bilinear", {"align_corners": False}), ("bicubic", {"align_corners": False}),
                                     ("bicubic", {"align_corners": True}), ("nearest-exact", {}), ("area", {})])
def test_interpolate_matches_torch(mode, kw):
    _same(lambda lib: lib.nn.functional.interpolate(_t(lib), scale_factor=1.7, mode=mode, **kw))
    _same(lambda lib: lib.nn.functional.interpolate(_t(lib), size=(3, 8), mode=mode, **kw))
    _same(lambda lib: lib.nn.functional.interpolate(_t(lib), scale_factor=1.7, mode=mode, recompute_scale_factor=True,
                                                    **kw))


def test_functional_values_match_torch():
    F = lambda lib: lib.nn.functional  # noqa: E731
    q, k, v = [np.random.default_rng(i).normal(size=(2, 2, 4, 8)) for i in range(3)]
    fm = np.random.default_rng(5).normal(size=(4, 4))
    bm = np.tril(np.ones((4, 4), bool))
    theta = [[[0.9, 0.1, 0.05], [-0.2, 1.3, 0.0]]] * 2
    cases = [
        lambda lib: F(lib).interpolate(_t(lib)[0], scale_factor=2.5, mode="linear"),
        lambda lib: F(lib).pad(_t(lib), (1, 2, 2, 1), mode="reflect"),
        lambda lib: F(lib).pad(_t(lib), (1, 2, 1, 1), mode="replicate"),
        lambda lib: F(lib).pad(_t(lib), (1, 2, 1, 1), mode="circular"),
        lambda lib: F(lib).pad(_t(lib), (-1, 2, 0, 1), value=2.0),
        lambda lib: F(lib).normalize(_t(lib), p=1.5, dim=2),
        lambda lib: F(lib).one_hot(lib.tensor([[0, 3], [1, 2]])),
        lambda lib: F(lib).one_hot(lib.tensor([0, 3, 1]), 5),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k), _t(lib, v)),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k), _t(lib, v), is_causal=True, scale=0.3),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k), _t(lib, v), attn_mask=_t(lib, fm)),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k), _t(lib, v), attn_mask=_t(lib, bm)),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k), _t(lib, v), attn_mask=_t(lib, fm),
                                                        is_causal=True),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k)[:, :, :3], _t(lib, v)[:, :, :3],
                                                        attn_mask=_t(lib, bm[:, :3]), is_causal=True),
        lambda lib: F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k[:, :1]), _t(lib, v[:, :1]),
                                                        enable_gqa=True),
        lambda lib: tuple(F(lib).scaled_dot_product_attention(_t(lib, q), _t(lib, k), _t(lib, v), dropout_p=0.5).shape),
        lambda lib: F(lib).unfold(_t(lib), (2, 3), dilation=1, padding=1, stride=2),
        lambda lib: F(lib).fold(F(lib).unfold(_t(lib), 2), (5, 6), 2),
        lambda lib: F(lib).affine_grid(lib.tensor(theta, dtype=lib.float64), [2, 3, 4, 5], align_corners=False),
        lambda lib: F(lib).cosine_similarity(_t(lib), _t(lib) + 1, dim=1),
        lambda lib: F(lib).cosine_similarity(_t(lib)[:, :1], _t(lib), dim=-1),
        lambda lib: F(lib).pairwise_distance(_t(lib)[0, 0], _t(lib)[0, 1], p=3),
        lambda lib: F(lib).softmax(_t(lib), dim=1, dtype=lib.float32),
    ]
    for mode in ("bilinear", "nearest", "bicubic"):
        for pm in ("zeros", "border", "reflection"):
            for ac in (False, True):
                cases.append(lambda lib, mode=mode, pm=pm, ac=ac: F(lib).grid_sample(
                    _t(lib), F(lib).affine_grid(lib.tensor(theta, dtype=lib.float64), [2, 3, 4, 5], align_corners=ac),
                    mode=mode, padding_mode=pm, align_corners=ac))
    for fn in cases:
        _same(fn)

    def gumbel(lib):
        y = F(lib).gumbel_softmax(_t(lib)[0, 0], tau=0.5, hard=True)
        soft = F(lib).gumbel_softmax(_t(lib)[0, 0], tau=0.5)
        return tuple(y.shape), y.sum(-1), sorted(set(np.unique(y.detach().numpy()).tolist())), soft.sum(-1)
    _same(gumbel)


@pytest.mark.parametrize("mode", ["bicubic", "bilinear"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_gradients_match_torch(mode, padding_mode, align_corners):
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(2, 3, 5, 6))
    theta = np.array([[[0.9, 0.1, 0.05], [-0.2, 1.3, 0.0]], [[1.4, -0.3, 0.2], [0.5, 0.8, -0.4]]])
    res = []
    for lib in (ember, require_torch()):
        x = lib.tensor(x0, requires_grad=True)
        g = lib.nn.functional.affine_grid(lib.tensor(theta), [2, 3, 7, 4], align_corners=align_corners)
        g = g.detach().requires_grad_(True)
        o = lib.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        (o * lib.tensor(np.random.default_rng(1).normal(size=tuple(o.shape)))).sum().backward()
        res.append((o.detach().numpy(), x.grad.numpy(), g.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_error_types_match_torch():
    F = lambda lib: lib.nn.functional  # noqa: E731
    bad = [
        lambda lib: F(lib).interpolate(_t(lib), scale_factor=2, mode="cubic"),
        lambda lib: F(lib).interpolate(_t(lib), size=3, scale_factor=2),
        lambda lib: F(lib).interpolate(_t(lib), scale_factor=2, align_corners=True),
        lambda lib: F(lib).pad(_t(lib), (1, 2, 3)),
        lambda lib: F(lib).pad(_t(lib), (6, 6), mode="reflect"),
        lambda lib: F(lib).one_hot(lib.tensor([-1, 2]), 3),
        lambda lib: F(lib).one_hot(lib.tensor([5]), 3),
        lambda lib: F(lib).one_hot(lib.tensor([1.0]), 3),
        lambda lib: F(lib).cross_entropy(_t(lib)[0, 0], lib.tensor([1, 2])),
        lambda lib: F(lib).cross_entropy(_t(lib)[0, 0], lib.tensor([1, 2, 3, 4, 9])),
        lambda lib: F(lib).nll_loss(_t(lib)[0, 0], lib.tensor([1, 2, 3, 4, 0]), reduction="avg"),
        lambda lib: F(lib).binary_cross_entropy(_t(lib)[0, 0], _t(lib)[0, 0]),
        lambda lib: F(lib).binary_cross_entropy(lib.full((2,), 0.5), lib.full((3,), 0.5)),
        lambda lib: F(lib).gaussian_nll_loss(_t(lib)[0, 0], _t(lib)[0, 1], -lib.ones(5, 6, dtype=lib.float64)),
        lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(4, 5)),
        lambda lib: F(lib).conv2d(lib.ones(1, 3, 5, 5), lib.ones(2, 4, 3, 3)),
        lambda lib: F(lib).conv2d(lib.ones(3, 5), lib.ones(2, 3, 3, 3)),
        lambda lib: F(lib).embedding(lib.tensor([5]), lib.ones(3, 2)),
        lambda lib: F(lib).max_pool2d(lib.ones(1, 1, 5, 5), 7),
        lambda lib: F(lib).max_pool1d(lib.ones(1, 1, 5), 7),
        lambda lib: F(lib).avg_pool2d(lib.ones(1, 1, 5, 5), 6),
        lambda lib: F(lib).avg_pool1d(lib.ones(1, 1, 5), 6),
        lambda lib: F(lib).adaptive_max_pool2d(lib.ones(5, 5), 2),
        lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 5)),
        lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 3), (lib.zeros(1, 3, 4), lib.zeros(1, 2, 4))),
        lambda lib: lib.nn.GRU(3, 4)(lib.ones(2, 2, 3), lib.zeros(2, 2, 4)),
        lambda lib: lib.nn.MultiheadAttention(8, 3),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 4)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)),
        lambda lib: lib.nn.Dropout(1.5),
        lambda lib: lib.nn.Linear(2, 2)(lib.ones(1, 2, dtype=lib.float64)),
        lambda lib: lib.nn.PixelShuffle(2)(lib.ones(1, 3, 2, 2)),
        lambda lib: lib.nn.GroupNorm(3, 4),
        lambda lib: lib.nn.Unflatten(1, (2, 2))(lib.ones(2, 6)),
        lambda lib: lib.nn.Embedding(3, 2, padding_idx=5),
        lambda lib: lib.nn.EmbeddingBag(3, 2, mode="median")(lib.tensor([[0, 1]])),
        lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2),
        lambda lib: lib.nn.Conv2d(3, 3, 3, padding="same", stride=2),
    ]
    for i, fn in enumerate(bad):
        e, t = _same(fn, values=False)
        assert t[0] != "ok", i


def test_bce_range_and_pool_size_messages():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        enn.functional.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        enn.BCELoss()(ember.tensor([float("nan")]), ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"Given input size: \(1x5x5\). Calculated output size: \(1x0x0\). Output"):
        enn.MaxPool2d(7)(ember.ones(1, 1, 5, 5))
    assert enn.MaxPool2d(3, ceil_mode=True)(ember.ones(1, 1, 5, 5)).shape == (1, 1, 2, 2)


# ---- optimizers: flags torch accepts and ignores on CPU, 100-step trajectories with them
def _traj(lib, name, kw, steps=100):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    w0 = rng.normal(size=(3, 1))
    w = lib.nn.Parameter(lib.from_numpy(w0.copy()))
    opt = getattr(lib.optim, name)([w], **kw)
    xs, ys = lib.from_numpy(x), lib.from_numpy(y)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((xs @ w - ys) ** 2).mean()
        loss.backward()
        opt.step()
        out.append(w.detach().numpy().ravel().copy())
    return np.array(out), opt.state_dict()


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.05, "foreach": True}), ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "foreach": False}),
    ("Adam", {"lr": 0.01, "foreach": True, "amsgrad": True, "maximize": False, "capturable": False,
              "differentiable": False}),
    ("AdamW", {"lr": 0.01, "foreach": False, "amsgrad": True}), ("RMSprop", {"lr": 0.01, "foreach": True, "centered": True}),
    ("Adagrad", {"lr": 0.1, "foreach": True}), ("Adadelta", {"lr": 1.0, "foreach": True, "capturable": False}),
    ("Adamax", {"lr": 0.02, "foreach": True, "maximize": False}), ("NAdam", {"lr": 0.01, "foreach": True}),
    ("RAdam", {"lr": 0.01, "foreach": True, "decoupled_weight_decay": True, "weight_decay": 0.1}),
])
def test_optimizer_flags_accepted_and_trajectory_matches(name, kw):
    torch = require_torch()
    (ea, es), (ta, ts) = _traj(ember, name, kw), _traj(torch, name, kw)
    np.testing.assert_allclose(ea, ta, rtol=1e-6, atol=1e-9)
    assert es["param_groups"] == ts["param_groups"]
    assert list(es["state"]) == list(ts["state"])
    for k in ts["state"]:
        assert list(es["state"][k]) == list(ts["state"][k])


def test_lbfgs_long_run_matches_torch():
    torch = require_torch()
    res = []
    for lib in (ember, torch):
        rng = np.random.default_rng(3)
        x = lib.from_numpy(rng.normal(size=(40, 4)))
        y = lib.from_numpy((rng.random(40) > 0.5).astype(np.float64))
        w = lib.nn.Parameter(lib.zeros(4, dtype=lib.float64))
        opt = lib.optim.LBFGS([w], lr=1, max_iter=5, history_size=4, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = lib.nn.functional.binary_cross_entropy_with_logits(x @ w, y) + 0.01 * (w * w).sum()
            loss.backward()
            return loss
        losses = [float(opt.step(closure)) for _ in range(20)]
        res.append((np.array(losses), w.detach().numpy().copy(), opt.state_dict()["state"][0]["n_iter"]))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-9)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-7, atol=1e-10)
    assert res[0][2] == res[1][2]


# ---- lr schedulers: many steps, and the state_dict torch 2.13 writes
SCHEDS = [("StepLR", {"step_size": 7, "gamma": 0.7}), ("MultiStepLR", {"milestones": [30, 80, 80, 150]}),
          ("ExponentialLR", {"gamma": 0.99}), ("CosineAnnealingLR", {"T_max": 45, "eta_min": 1e-4}),
          ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2, "eta_min": 1e-3}),
          ("OneCycleLR", {"max_lr": 0.5, "total_steps": 201}),
          ("OneCycleLR", {"max_lr": 0.5, "total_steps": 201, "three_phase": True, "anneal_strategy": "linear"}),
          ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 13, "mode": "triangular2"}),
          ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 9, "mode": "exp_range", "gamma": 0.99}),
          ("LinearLR", {"start_factor": 0.1, "total_iters": 50}), ("ConstantLR", {"factor": 0.2, "total_iters": 60}),
          ("PolynomialLR", {"total_iters": 120, "power": 1.5}), ("LambdaLR", {"lr_lambda": "lambda"}),
          ("MultiplicativeLR", {"lr_lambda": "lambda"})]


def _lam(epoch):
    return 0.995 ** epoch


def _sched(lib, name, kw):
    p = lib.nn.Parameter(lib.zeros(1))
    opt = lib.optim.SGD([{"params": [p]}, {"params": [lib.nn.Parameter(lib.zeros(1))], "lr": 0.03}], lr=0.1,
                        momentum=0.9)
    kw = {k: (_lam if v == "lambda" else v) for k, v in kw.items()}
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **kw)


def _clean_sd(sd):
    return {k: v for k, v in sd.items() if k not in ("lr_lambdas", "_scale_fn_custom", "_scale_fn_ref")}


@pytest.mark.parametrize("name,kw", SCHEDS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDS)])
def test_scheduler_200_steps_and_state_dict_match_torch(name, kw):
    torch = require_torch()
    runs = []
    for lib in (ember, torch):
        opt, s = _sched(lib, name, kw)
        lrs, moms = [s.get_last_lr()], []
        for _ in range(200):
            opt.step()
            s.step()
            lrs.append(s.get_last_lr())
            moms.append(opt.param_groups[0]["momentum"])
        runs.append((np.array(lrs), np.array(moms), _clean_sd(s.state_dict())))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-12)
    assert runs[0][2] == runs[1][2]


def test_scheduler_state_dict_from_torch_resumes_in_ember():
    torch = require_torch()
    for name, kw in SCHEDS:
        topt, ts = _sched(torch, name, kw)
        for _ in range(37):
            topt.step()
            ts.step()
        eopt, es = _sched(ember, name, kw)
        es.load_state_dict(ts.state_dict())
        for eg, tg in zip(eopt.param_groups, topt.param_groups):
            eg.update({k: v for k, v in tg.items() if k != "params"})
        for _ in range(40):
            topt.step()
            ts.step()
            eopt.step()
            es.step()
            np.testing.assert_allclose(es.get_last_lr(), ts.get_last_lr(), rtol=1e-12, err_msg=name)


def test_sequential_chained_plateau_and_warm_restart_epochs_match_torch():
    torch = require_torch()
    out = []
    for lib in (ember, torch):
        L = lib.optim.lr_scheduler
        opt, _ = _sched(lib, "ExponentialLR", {"gamma": 1.0})
        seq = L.SequentialLR(opt, [L.LinearLR(opt, 0.2, total_iters=5), L.MultiplicativeLR(opt, _lam),
                                   L.CosineAnnealingLR(opt, T_max=20), L.PolynomialLR(opt, total_iters=30)],
                             milestones=[10, 40, 70])
        r = []
        for _ in range(150):
            opt.step()
            seq.step()
            r.append(seq.get_last_lr())
        opt2, _ = _sched(lib, "ExponentialLR", {"gamma": 1.0})
        ch = L.ChainedScheduler([L.ConstantLR(opt2, factor=0.5, total_iters=30), L.ExponentialLR(opt2, gamma=0.98),
                                 L.CosineAnnealingWarmRestarts(opt2, T_0=15)])
        r2 = []
        for _ in range(100):
            opt2.step()
            ch.step()
            r2.append(ch.get_last_lr())
        opt3, _ = _sched(lib, "ExponentialLR", {"gamma": 1.0})
        pl = L.ReduceLROnPlateau(opt3, mode="max", factor=0.5, patience=3, cooldown=2, threshold=0.01,
                                 min_lr=[0.001, 0.0005])
        rng = np.random.default_rng(0)
        r3 = []
        for i in range(150):
            pl.step(float(np.sin(i / 9.0) + 0.1 * rng.normal()))
            r3.append(pl.get_last_lr())
        opt4, wr = _sched(lib, "CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2})
        r4 = []
        for epoch in range(30):
            for i in range(4):
                wr.step(epoch + i / 4)
                r4.append([g["lr"] for g in opt4.param_groups])
        out.append((np.array(r), np.array(r2), np.array(r3), np.array(r4), _clean_sd(seq.state_dict()),
                    _clean_sd(pl.state_dict())))
    for a, b in zip(out[0][:4], out[1][:4]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    esd, tsd = out[0][4], out[1][4]
    assert [_clean_sd(s) for s in esd.pop("_schedulers")] == [_clean_sd(s) for s in tsd.pop("_schedulers")]
    assert esd == tsd
    assert out[0][5] == out[1][5]


# ---- data: torch's sampling order
def test_weighted_random_sampler_order_matches_torch():
    _same(lambda lib: (lib.manual_seed(2), list(lib.utils.data.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 50)))[1])
    _same(lambda lib: list(lib.utils.data.WeightedRandomSampler(lib.tensor([0.1, 0.5, 0.0, 0.2, 3.0]), 40,
                                                                generator=lib.Generator().manual_seed(5))))
    _same(lambda lib: (lib.manual_seed(0), [b.tolist() for b in lib.utils.data.DataLoader(
        list(range(6)), batch_size=4, sampler=lib.utils.data.WeightedRandomSampler([1, 2, 3, 4, 5, 6], 30))])[1])
    for fn in (lambda lib: list(lib.utils.data.WeightedRandomSampler([-1.0, 1.0], 3)),
               lambda lib: list(lib.utils.data.WeightedRandomSampler([0.0, 1.0], 3, replacement=False)),
               lambda lib: lib.utils.data.WeightedRandomSampler([1.0, 1.0], 0)):
        e, t = _same(fn, values=False)
        assert t[0] != "ok"


def test_samplers_and_loader_order_match_torch():
    D = lambda lib: lib.utils.data  # noqa: E731
    cases = [
        lambda lib: (lib.manual_seed(7), [b[0].tolist() for b in D(lib).DataLoader(
            D(lib).TensorDataset(lib.arange(23)), batch_size=5, shuffle=True)])[1],
        lambda lib: [b[0].tolist() for b in D(lib).DataLoader(D(lib).TensorDataset(lib.arange(23)), batch_size=4,
                                                              shuffle=True, generator=lib.Generator().manual_seed(11),
                                                              drop_last=True)],
        lambda lib: (lib.manual_seed(1), list(D(lib).RandomSampler(range(10), replacement=True, num_samples=15)))[1],
        lambda lib: list(D(lib).RandomSampler(range(10), generator=lib.Generator().manual_seed(5))),
        lambda lib: (lib.manual_seed(1), list(D(lib).RandomSampler(range(10), num_samples=25)))[1],
        lambda lib: (lib.manual_seed(2), list(D(lib).SubsetRandomSampler([3, 5, 7, 9])))[1],
        lambda lib: [list(s.indices) for s in D(lib).random_split(range(11), [0.3, 0.3, 0.4],
                                                                 generator=lib.Generator().manual_seed(42))],
        lambda lib: list(D(lib).BatchSampler(D(lib).SequentialSampler(range(10)), 3, drop_last=False)),
        lambda lib: (len(D(lib).DataLoader(range(10), batch_size=3)),
                     len(D(lib).DataLoader(range(10), batch_size=3, drop_last=True))),
    ]
    for fn in cases:
        _same(fn)
    for fn in (lambda lib: D(lib).random_split(range(10), [3, 8]), lambda lib: D(lib).BatchSampler(range(10), 0, False),
               lambda lib: D(lib).DataLoader(range(10), batch_size=2,
                                             batch_sampler=D(lib).BatchSampler(range(10), 3, False)),
               lambda lib: D(lib).DataLoader(range(10), sampler=D(lib).SequentialSampler(range(10)), shuffle=True),
               lambda lib: D(lib).DataLoader(range(10), prefetch_factor=2),
               lambda lib: D(lib).DataLoader(range(10), persistent_workers=True),
               lambda lib: D(lib).DataLoader(range(10), num_workers=-1),
               lambda lib: D(lib).default_collate([object()]),
               lambda lib: D(lib).ConcatDataset([list(range(3))])[-5]):
        e, t = _same(fn, values=False)
        assert t[0] != "ok"


# ---- vision
def test_fake_data():
    from ember.vision import datasets, transforms
    ds = datasets.FakeData(size=5, image_size=(3, 8, 6), num_classes=4, transform=transforms.ToTensor())
    x, y = ds[2]
    assert tuple(x.shape) == (3, 8, 6) and x.dtype == ember.float32 and isinstance(y, int) and 0 <= y < 4
    assert float(x.min()) >= 0 and float(x.max()) <= 1 and len(ds) == 5
    x2, y2 = ds[2]
    assert (x2 == x).all() and y2 == y  # reproducible per index
    assert not bool((ds[3][0] == x).all())
    assert (ds[-1][0] == ds[4][0]).all()
    with pytest.raises(IndexError):
        ds[5]
    pil = pytest.importorskip("PIL.Image")
    img, _ = datasets.FakeData(3, (1, 4, 4))[0]
    assert isinstance(img, pil.Image) and img.size == (4, 4) and img.mode == "L"
    img, _ = datasets.FakeData(3, (3, 5, 4), random_offset=2)[0]
    assert img.mode == "RGB" and img.size == (4, 5)
    assert "Number of datapoints: 5" in repr(ds)
