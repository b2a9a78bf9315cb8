"""Attention, transformers, CTC loss and gumbel_softmax against torch: same weights -> same outputs,
attention weights and gradients; masks, causal, GQA, dropout, error types, state_dict keys."""
import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

pytestmark = pytest.mark.torch


def pair(arr, requires_grad=False):
    e = ember.from_numpy(np.array(arr, copy=True))
    t = torch.from_numpy(np.array(arr, copy=True))
    if requires_grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def close(a, b, rtol=1e-5, atol=1e-5, what=""):
    a, b = (x.detach().numpy() if isinstance(x, (ember.Tensor, torch.Tensor)) else np.asarray(x) for x in (a, b))
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def randn(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---- scaled_dot_product_attention

def run_sdpa(shapes, mask=None, grad_mask=False, dtype=np.float32, **kw):
    arrs = [randn(*s, dtype=dtype, seed=i) for i, s in enumerate(shapes)]
    es, ts = zip(*(pair(a, True) for a in arrs))
    em, tm = (None, None)
    if mask is not None:
        em, tm = pair(mask, grad_mask)
    eo = EF.scaled_dot_product_attention(*es, attn_mask=em, **kw)
    to = TF.scaled_dot_product_attention(*ts, attn_mask=tm, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    close(eo, to, tol, tol, "output")
    g = randn(*to.shape, dtype=dtype, seed=9)
    eo.backward(ember.from_numpy(g.copy()))
    to.backward(torch.from_numpy(g.copy()))
    for name, e, t in zip("qkv", es, ts):
        close(e.grad, t.grad, 1e-4 if dtype == np.float32 else 1e-9, tol, f"grad {name}")
    if grad_mask:
        close(em.grad, tm.grad, 1e-4, tol, "grad mask")
    return eo


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_plain(dtype):
    run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], dtype=dtype)


def test_sdpa_leading_dims_and_broadcast():
    run_sdpa([(2, 2, 3, 4, 8), (2, 2, 3, 6, 8), (2, 2, 3, 6, 5)])
    run_sdpa([(3, 4, 8), (6, 8), (6, 5)])
    run_sdpa([(4, 8), (6, 8), (6, 5)])


def test_sdpa_bool_masks():
    rng = np.random.default_rng(3)
    for mshape in [(4, 6), (2, 1, 4, 6), (2, 3, 4, 6), (1, 6)]:
        m = rng.random(mshape) > 0.3
        m[..., 0] = True  # keep one key per row
        run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], mask=m)


def test_sdpa_fully_masked_rows_are_zero():
    m = np.ones((4, 6), dtype=bool)
    m[1] = False
    out = run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], mask=m)
    assert np.all(out.detach().numpy()[:, :, 1] == 0)
    mf = np.zeros((4, 6), dtype=np.float32)
    mf[2] = -np.inf
    run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], mask=mf)


def test_sdpa_float_masks_with_grad():
    for mshape in [(4, 6), (3, 1, 6), (2, 3, 4, 6)]:
        run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], mask=randn(*mshape, seed=5), grad_mask=True)


def test_sdpa_causal_and_scale():
    run_sdpa([(2, 3, 5, 8), (2, 3, 5, 8), (2, 3, 5, 8)], is_causal=True)
    run_sdpa([(2, 3, 4, 8), (2, 3, 7, 8), (2, 3, 7, 8)], is_causal=True)  # L < S: top-left aligned
    run_sdpa([(2, 3, 7, 8), (2, 3, 4, 8), (2, 3, 4, 8)], is_causal=True)  # L > S
    run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], scale=0.7)
    run_sdpa([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], scale=0.7, is_causal=True)


def test_sdpa_gqa():
    run_sdpa([(2, 6, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6)], enable_gqa=True)
    run_sdpa([(2, 6, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6)], enable_gqa=True, is_causal=True)
    run_sdpa([(2, 6, 4, 8), (2, 2, 5, 8), (2, 3, 5, 6)], enable_gqa=True)  # unequal k/v head counts
    m = np.random.default_rng(0).random((2, 6, 4, 5)) > 0.3
    m[..., 0] = True
    run_sdpa([(2, 6, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6)], mask=m, enable_gqa=True)
    run_sdpa([(2, 6, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6)], mask=randn(4, 5, seed=2), grad_mask=True, enable_gqa=True)


def test_sdpa_noncontiguous_inputs():
    # [N, L, H, E] transposed to [N, H, L, E], as multi-head attention produces
    arrs = [randn(2, 5, 3, 8, seed=i) for i in range(3)]
    es = [ember.from_numpy(a.copy()).requires_grad_() for a in arrs]
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in arrs]
    eo = EF.scaled_dot_product_attention(*(x.transpose(1, 2) for x in es))
    to = TF.scaled_dot_product_attention(*(x.transpose(1, 2) for x in ts))
    close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    for e, t in zip(es, ts):
        close(e.grad, t.grad, 1e-4)


def test_sdpa_gradcheck_float64():
    rng = np.random.default_rng(0)
    q, k, v = (ember.from_numpy(rng.standard_normal(s)).requires_grad_() for s in [(2, 2, 3, 4), (2, 2, 5, 4),
                                                                                       (2, 2, 5, 3)])
    m = ember.from_numpy(rng.standard_normal((3, 5))).requires_grad_()
    f = lambda q, k, v, m: EF.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    assert ember.autograd.gradcheck(f, (q, k, v, m))
    fc = lambda q, k, v: EF.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.5)  # noqa: E731
    assert ember.autograd.gradcheck(fc, (q, k, v))
    qg = ember.from_numpy(rng.standard_normal((2, 4, 3, 4))).requires_grad_()
    fg = lambda q, k, v: EF.scaled_dot_product_attention(q, k, v, enable_gqa=True)  # noqa: E731
    assert ember.autograd.gradcheck(fg, (qg, k, v))


def test_sdpa_double_backward():
    rng = np.random.default_rng(1)
    arrs = [rng.standard_normal(s) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)]]
    es = [ember.from_numpy(a.copy()).requires_grad_() for a in arrs]
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in arrs]

    def second(lib, F, xs):
        out = F.scaled_dot_product_attention(*xs)
        g = lib.autograd.grad((out ** 2).sum(), xs, create_graph=True)
        return lib.autograd.grad(sum((gi ** 2).sum() for gi in g), xs)

    for e, t in zip(second(ember, EF, es), second(torch, TF, ts)):
        close(e, t, 1e-7, 1e-9)


def test_sdpa_dropout():
    q, k, v = (ember.from_numpy(randn(2, 3, 16, 8, seed=i)) for i in range(3))
    ember.manual_seed(1)
    a = EF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ember.manual_seed(1)
    b = EF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    close(a, b, 0, 0, "same seed, same dropout")
    c = EF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(a.numpy(), c.numpy())
    base = EF.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(a.numpy(), base.numpy())
    # the expectation over masks is the undropped output: average many draws
    acc = sum(EF.scaled_dot_product_attention(q, k, v, dropout_p=0.3).detach() for _ in range(400)) / 400
    assert np.abs(acc.numpy() - base.numpy()).mean() < 0.05
    # p = 1 drops everything
    assert np.all(EF.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)
    # gradients use the same mask as the forward
    qg = ember.from_numpy(randn(1, 4, 8)).requires_grad_()
    vg = ember.from_numpy(randn(1, 4, 8, seed=1)).requires_grad_()
    out = EF.scaled_dot_product_attention(qg, qg, vg, dropout_p=0.5)
    out.sum().backward()
    assert np.isfinite(qg.grad.numpy()).all() and np.isfinite(vg.grad.numpy()).all()


def test_sdpa_half():
    arrs = [randn(2, 3, 4, 8, seed=i) for i in range(3)]
    e = EF.scaled_dot_product_attention(*(ember.from_numpy(a).to(ember.float16) for a in arrs))
    t = TF.scaled_dot_product_attention(*(torch.from_numpy(a) for a in arrs))
    assert e.dtype == ember.float16
    close(e.float(), t, 1e-2, 1e-2)


def test_sdpa_errors():
    q = ember.randn(2, 3, 4, 8)
    # torch 2.13 applies both an explicit attn_mask and is_causal (no error)
    both = EF.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(4, 4, dtype=ember.bool), is_causal=True)
    assert (both - EF.scaled_dot_product_attention(q, q, q, is_causal=True)).abs().max().item() < 1e-6
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q, ember.randn(2, 3, 5, 7), ember.randn(2, 3, 5, 8))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q, ember.randn(2, 3, 5, 8), ember.randn(2, 3, 6, 8))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(ember.randn(8), ember.randn(8), ember.randn(8))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q, q, q, attn_mask=ember.zeros(4, 4, dtype=ember.int64))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q, q, q, attn_mask=ember.zeros(1, 1, 1, 4, 4))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q, q, q, attn_mask=ember.zeros(3, 4))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(ember.randn(2, 6, 4, 8), ember.randn(2, 4, 5, 8), ember.randn(2, 4, 5, 8),
                                        enable_gqa=True)
    with pytest.raises(RuntimeError):  # heads differ without enable_gqa
        EF.scaled_dot_product_attention(ember.randn(2, 6, 4, 8), ember.randn(2, 3, 5, 8), ember.randn(2, 3, 5, 8))
    with pytest.raises(RuntimeError):
        EF.scaled_dot_product_attention(q.int(), q.int(), q.int())


def test_sdpa_grad_fn_name():
    q = ember.randn(2, 3, 4, requires_grad=True)
    assert EF.scaled_dot_product_attention(q, q, q).grad_fn.name() == "ScaledDotProductAttentionBackward0"


# ---- MultiheadAttention

def copy_weights(emod, tmod):
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tmod.state_dict().items()}
    emod.load_state_dict(sd)
    assert list(emod.state_dict().keys()) == list(tmod.state_dict().keys())


def compare_params(emod, tmod, rtol=1e-4, atol=1e-5):
    tp = dict(tmod.named_parameters())
    n = 0
    for name, p in emod.named_parameters():
        if tp[name].grad is None:
            assert p.grad is None or np.all(p.grad.numpy() == 0), name
            continue
        close(p.grad, tp[name].grad, rtol, atol, f"grad {name}")
        n += 1
    assert n > 0


def mha_pair(*args, **kw):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(*args, **kw)
    e = enn.MultiheadAttention(*args, **kw)
    with torch.no_grad():  # non-zero biases so their gradients and effect are checked
        for name, p in t.named_parameters():
            if "bias" in name:
                p.uniform_(-0.5, 0.5)
    copy_weights(e, t)
    return e, t


def run_mha(e, t, shapes, same=None, kpm=None, attn_mask=None, rtol=1e-4, **kw):
    arrs = [randn(*s, seed=10 + i) for i, s in enumerate(shapes)]
    es, ts = zip(*(pair(a, True) for a in arrs))
    if same == "qkv":
        es, ts = (es[0],) * 3, (ts[0],) * 3
    elif same == "kv":
        es, ts = (es[0], es[1], es[1]), (ts[0], ts[1], ts[1])
    ek, tk = (None, None) if kpm is None else pair(kpm)
    em, tm = (None, None) if attn_mask is None else pair(attn_mask)
    eo, ew = e(*es, key_padding_mask=ek, attn_mask=em, **kw)
    to, tw = t(*ts, key_padding_mask=tk, attn_mask=tm, **kw)
    close(eo, to, rtol, 1e-5, "output")
    if tw is None:
        assert ew is None
    else:
        close(ew, tw, rtol, 1e-5, "weights")
    g = randn(*to.shape, seed=30)
    loss_e = (eo * ember.from_numpy(g.copy())).sum()
    loss_t = (to * torch.from_numpy(g.copy())).sum()
    if tw is not None:  # gradients through the returned weights too
        gw = randn(*tw.shape, seed=31)
        loss_e = loss_e + (ew * ember.from_numpy(gw.copy())).sum()
        loss_t = loss_t + (tw * torch.from_numpy(gw.copy())).sum()
    loss_e.backward()
    loss_t.backward()
    for i, (x, y) in enumerate(zip(es, ts)):
        close(x.grad, y.grad, rtol, 1e-5, f"input grad {i}")
    compare_params(e, t, rtol)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_self_attention(batch_first, need_weights):
    e, t = mha_pair(16, 4, batch_first=batch_first)
    shape = (3, 5, 16) if batch_first else (5, 3, 16)
    run_mha(e, t, [shape], same="qkv", need_weights=need_weights)
    run_mha(e, t, [shape, shape, shape], need_weights=need_weights)
    run_mha(e, t, [shape, shape], same="kv", need_weights=need_weights, average_attn_weights=False)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks(need_weights):
    e, t = mha_pair(16, 4)
    rng = np.random.default_rng(0)
    kpm = rng.random((3, 7)) > 0.6
    kpm[:, 0] = False  # True = ignore; keep one key
    shapes = [(5, 3, 16), (7, 3, 16), (7, 3, 16)]
    run_mha(e, t, shapes, kpm=kpm, need_weights=need_weights)
    run_mha(e, t, shapes, kpm=np.where(kpm, -1e4, 0.0).astype(np.float32), need_weights=need_weights)
    am = rng.random((5, 7)) > 0.7
    am[:, 0] = False
    run_mha(e, t, shapes, attn_mask=am, need_weights=need_weights)
    run_mha(e, t, shapes, attn_mask=randn(12, 5, 7, seed=4), need_weights=need_weights)
    run_mha(e, t, shapes, attn_mask=am, kpm=kpm, need_weights=need_weights)
    causal = np.triu(np.full((5, 5), -np.inf, dtype=np.float32), 1)
    run_mha(e, t, [(5, 3, 16)], same="qkv", attn_mask=causal, is_causal=True, need_weights=need_weights)


def test_mha_kdim_vdim_bias_kv_zero_attn():
    e, t = mha_pair(16, 2, kdim=10, vdim=6)
    assert e.in_proj_weight is None and e.q_proj_weight.shape == (16, 16)
    run_mha(e, t, [(5, 3, 16), (7, 3, 10), (7, 3, 6)])
    run_mha(e, t, [(5, 3, 16), (7, 3, 10), (7, 3, 6)], need_weights=False)
    e, t = mha_pair(16, 4, add_bias_kv=True, add_zero_attn=True)
    kpm = np.zeros((3, 7), dtype=bool)
    kpm[1, 3:] = True
    run_mha(e, t, [(5, 3, 16), (7, 3, 16), (7, 3, 16)], kpm=kpm)
    run_mha(e, t, [(5, 3, 16), (7, 3, 16), (7, 3, 16)], kpm=kpm, need_weights=False)
    e, t = mha_pair(16, 4, bias=False, add_zero_attn=True)
    run_mha(e, t, [(5, 3, 16)], same="qkv")


def test_mha_unbatched():
    e, t = mha_pair(8, 2)
    run_mha(e, t, [(5, 8), (6, 8), (6, 8)])
    run_mha(e, t, [(5, 8), (6, 8), (6, 8)], kpm=np.array([False] * 5 + [True]), need_weights=False)
    run_mha(e, t, [(5, 8)], same="qkv", attn_mask=randn(2, 5, 5, seed=3))


def test_mha_parameters_and_init():
    e = enn.MultiheadAttention(32, 4, add_bias_kv=True)
    t = torch.nn.MultiheadAttention(32, 4, add_bias_kv=True)
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert type(e.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert np.all(e.in_proj_bias.detach().numpy() == 0) and np.all(e.out_proj.bias.detach().numpy() == 0)
    bound = np.sqrt(6.0 / (32 + 96))
    w = e.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    e2 = enn.MultiheadAttention(32, 4, kdim=8, vdim=8)
    t2 = torch.nn.MultiheadAttention(32, 4, kdim=8, vdim=8)
    assert list(e2.state_dict().keys()) == list(t2.state_dict().keys())


def test_mha_dropout_training_vs_eval():
    e = enn.MultiheadAttention(16, 4, dropout=0.5)
    x = ember.randn(5, 2, 16)
    e.eval()
    a, _ = e(x, x, x)
    b, _ = e(x, x, x)
    close(a, b, 0, 0)
    e.train()
    c, _ = e(x, x, x)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


def test_mha_errors():
    with pytest.raises(AssertionError):
        enn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError):
        enn.MultiheadAttention(0, 2)
    e = enn.MultiheadAttention(8, 2)
    with pytest.raises(AssertionError):
        e(ember.randn(5, 2, 8), ember.randn(6, 8), ember.randn(6, 8))
    with pytest.raises(AssertionError):
        e(ember.randn(5, 2, 6), ember.randn(6, 2, 6), ember.randn(6, 2, 6))
    with pytest.raises(RuntimeError):
        e(ember.randn(5, 2, 8), ember.randn(6, 2, 8), ember.randn(6, 2, 8), attn_mask=ember.zeros(5, 5))
    with pytest.raises(AssertionError):
        e(ember.randn(5, 2, 8), ember.randn(6, 2, 8), ember.randn(6, 2, 8),
          key_padding_mask=ember.zeros(2, 5, dtype=ember.bool))
    with pytest.raises(AssertionError):
        e(ember.randn(5, 2, 8), ember.randn(6, 2, 8), ember.randn(6, 2, 8), attn_mask=ember.zeros(5, 6).int())
    with pytest.raises(RuntimeError):
        x = ember.randn(5, 2, 8)
        e(x, x, x, is_causal=True)


# ---- transformer layers

def layer_pair(cls_name, *args, **kw):
    torch.manual_seed(0)
    t = getattr(torch.nn, cls_name)(*args, **kw)
    e = getattr(enn, cls_name)(*args, **kw)
    with torch.no_grad():
        for name, p in t.named_parameters():
            if p.dim() == 1:
                p.uniform_(-0.5, 0.5) if "bias" in name else p.uniform_(0.5, 1.5)
    copy_weights(e, t)
    return e, t


def run_layer(e, t, arrays, rtol=1e-4, atol=2e-5, **kw):
    es, ts = zip(*(pair(a, True) for a in arrays))
    eo, to = e(*es, **kw), t(*ts, **kw)
    close(eo, to, rtol, atol, "output")
    g = randn(*to.shape, seed=40)
    (eo * ember.from_numpy(g.copy())).sum().backward()
    (to * torch.from_numpy(g.copy())).sum().backward()
    for i, (x, y) in enumerate(zip(es, ts)):
        close(x.grad, y.grad, rtol, atol, f"input grad {i}")
    compare_params(e, t, rtol, atol)
    e.zero_grad()
    t.zero_grad()


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer(norm_first, activation, batch_first):
    e, t = layer_pair("TransformerEncoderLayer", 16, 4, dim_feedforward=32, dropout=0.0, activation=activation,
                      norm_first=norm_first, batch_first=batch_first)
    x = randn(3, 5, 16, seed=1)
    rng = np.random.default_rng(2)
    kpm = rng.random((3, 5) if batch_first else (5, 3)) > 0.7
    for mode in ("train", "eval"):
        getattr(e, mode)()
        getattr(t, mode)()
        run_layer(e, t, [x])
        kp = kpm  # [N, S]
        kp = np.ascontiguousarray(kp)
        kp[:, 0] = False
        es, ts = pair(x, True)
        eo = e(es, src_key_padding_mask=ember.from_numpy(kp.copy()))
        to = t(ts, src_key_padding_mask=torch.from_numpy(kp.copy()))
        close(eo, to, 1e-4, 2e-5, "masked output")
        causal = torch.nn.Transformer.generate_square_subsequent_mask(5)
        eo = e(es, src_mask=ember.from_numpy(causal.numpy().copy()), is_causal=True)
        to = t(ts, src_mask=causal, is_causal=True)
        close(eo, to, 1e-4, 2e-5, "causal output")


def test_encoder_layer_callable_activation_unbatched():
    e, t = layer_pair("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0, activation=torch.tanh)
    e.activation = ember.tanh
    e.eval()
    t.eval()
    run_layer(e, t, [randn(5, 8)])


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer(norm_first, batch_first):
    e, t = layer_pair("TransformerDecoderLayer", 16, 4, dim_feedforward=32, dropout=0.0, activation="gelu",
                      norm_first=norm_first, batch_first=batch_first)
    tgt, mem = randn(3, 5, 16, seed=1), randn(3, 7, 16, seed=2)
    if not batch_first:
        tgt, mem = np.ascontiguousarray(tgt.transpose(1, 0, 2)), np.ascontiguousarray(mem.transpose(1, 0, 2))
    causal = np.triu(np.full((5, 5), -np.inf, dtype=np.float32), 1)
    for mode in ("train", "eval"):
        getattr(e, mode)()
        getattr(t, mode)()
        run_layer(e, t, [tgt, mem])
        es, ts = zip(*(pair(a, True) for a in (tgt, mem)))
        mk = np.zeros((3, 7), dtype=bool)
        mk[0, 4:] = True
        eo = e(*es, tgt_mask=ember.from_numpy(causal.copy()), memory_key_padding_mask=ember.from_numpy(mk.copy()),
               tgt_is_causal=True)
        to = t(*ts, tgt_mask=torch.from_numpy(causal.copy()), memory_key_padding_mask=torch.from_numpy(mk.copy()),
               tgt_is_causal=True)
        close(eo, to, 1e-4, 2e-5, "masked output")


def test_encoder_decoder_stacks_and_transformer():
    torch.manual_seed(0)
    t = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                             dropout=0.0, batch_first=True)
    e = enn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                        dropout=0.0, batch_first=True)
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    copy_weights(e, t)
    src, tgt = randn(2, 6, 16, seed=1), randn(2, 4, 16, seed=2)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    emask = enn.Transformer.generate_square_subsequent_mask(4)
    close(emask, mask, 0, 0)
    es, ts = zip(*(pair(a, True) for a in (src, tgt)))
    eo, to = e(*es, tgt_mask=emask), t(*ts, tgt_mask=mask)
    close(eo, to, 1e-4, 2e-5)
    eo.sum().backward()
    to.sum().backward()
    compare_params(e, t, 1e-3, 1e-4)
    for x, y in zip(es, ts):
        close(x.grad, y.grad, 1e-3, 1e-4)
    with pytest.raises(RuntimeError):
        e(ember.randn(2, 6, 16), ember.randn(3, 4, 16))
    with pytest.raises(RuntimeError):
        e(ember.randn(2, 6, 8), ember.randn(2, 4, 8))


def test_transformer_defaults_and_keys():
    e = enn.Transformer(num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
    t = torch.nn.Transformer(num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
    assert e.d_model == 512 and e.nhead == 8
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    for k, v in e.state_dict().items():
        assert tuple(v.shape) == tuple(t.state_dict()[k].shape), k
    enc = enn.TransformerEncoder(enn.TransformerEncoderLayer(16, 2), 3, norm=enn.LayerNorm(16),
                                 enable_nested_tensor=False)
    tenc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 2), 3, norm=torch.nn.LayerNorm(16),
                                       enable_nested_tensor=False)
    assert list(enc.state_dict().keys()) == list(tenc.state_dict().keys())
    assert enc.layers[0] is not enc.layers[1]
    with pytest.raises(RuntimeError):
        enn.TransformerEncoderLayer(16, 2, activation="tanh")


def test_encoder_stack_values():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0)
    t = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(16), enable_nested_tensor=False)
    e = enn.TransformerEncoder(enn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0), 2,
                               norm=enn.LayerNorm(16), enable_nested_tensor=False)
    copy_weights(e, t)
    x = randn(5, 3, 16)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5)
    run_layer(e, t, [x])
    es, ts = pair(x)
    close(e(es, mask=ember.from_numpy(causal.numpy().copy())), t(ts, mask=causal), 1e-4, 2e-5)


# ---- CTC loss

def ctc_inputs(T=12, N=3, C=6, S=4, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, N, C)).astype(dtype)
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = rng.integers(1, C, size=(N, S)).astype(np.int64)
    il = np.array([T, T - 2, T - 5][:N], dtype=np.int64)
    tl = np.array([S, S - 1, 1][:N], dtype=np.int64)
    return lp, targets, il, tl


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("concat", [False, True])
def test_ctc_loss_vs_torch(reduction, concat):
    lp, targets, il, tl = ctc_inputs()
    if concat:
        targets = np.concatenate([targets[i, :tl[i]] for i in range(len(tl))])
    elp, tlp = pair(lp, True)
    el = EF.ctc_loss(elp, ember.from_numpy(targets), ember.from_numpy(il), ember.from_numpy(tl), reduction=reduction)
    tlo = TF.ctc_loss(tlp, torch.from_numpy(targets), torch.from_numpy(il), torch.from_numpy(tl), reduction=reduction)
    close(el, tlo, 1e-5, 1e-5)
    g = randn(*tlo.shape, seed=3) if tlo.dim() else np.float32(1.5)
    el.backward(ember.from_numpy(np.array(g, dtype=np.float32)))
    tlo.backward(torch.from_numpy(np.array(g, dtype=np.float32)))
    close(elp.grad, tlp.grad, 1e-4, 1e-5)


def test_ctc_loss_lists_blank_module_and_repeats():
    lp, _, il, tl = ctc_inputs(T=10, N=2, C=5)
    targets = np.array([[2, 2, 3, 0], [1, 1, 1, 1]], dtype=np.int64)  # repeated labels need blanks between
    tl = np.array([3, 4])
    il = np.array([10, 9])
    for blank in (0, 4):
        tg = np.where(targets == blank, 2, targets)
        em = enn.CTCLoss(blank=blank, reduction="sum")
        tm = torch.nn.CTCLoss(blank=blank, reduction="sum")
        elp, tlp = pair(lp, True)
        el = em(elp, ember.from_numpy(tg), list(il), tuple(tl))
        tlo = tm(tlp, torch.from_numpy(tg), list(il), tuple(tl))
        close(el, tlo, 1e-5, 1e-5)
        el.backward()
        tlo.backward()
        close(elp.grad, tlp.grad, 1e-4, 1e-5)


def test_ctc_loss_infinite_and_zero_infinity():
    lp, _, _, _ = ctc_inputs(T=3, N=2, C=4)
    targets = np.array([[1, 1, 2], [1, 2, 3]], dtype=np.int64)  # sample 0 needs 4 frames: impossible
    il, tl = [3, 3], [3, 3]
    for zi in (False, True):
        elp, tlp = pair(lp, True)
        el = EF.ctc_loss(elp, ember.from_numpy(targets), il, tl, reduction="none", zero_infinity=zi)
        tlo = TF.ctc_loss(tlp, torch.from_numpy(targets), torch.tensor(il), torch.tensor(tl), reduction="none",
                          zero_infinity=zi)
        close(el, tlo, 1e-5, 1e-5)
        if zi:
            el.sum().backward()
            tlo.sum().backward()
            close(elp.grad, tlp.grad, 1e-4, 1e-5)


def test_ctc_loss_unbatched_and_empty_target():
    lp, targets, _, _ = ctc_inputs(N=1)
    elp, tlp = pair(lp[:, 0], True)
    el = EF.ctc_loss(elp, ember.from_numpy(targets[0]), ember.tensor(12), ember.tensor(4))
    tlo = TF.ctc_loss(tlp, torch.from_numpy(targets[0]), torch.tensor(12), torch.tensor(4))
    close(el, tlo, 1e-5, 1e-5)
    el.backward()
    tlo.backward()
    close(elp.grad, tlp.grad, 1e-4, 1e-5)
    elp, tlp = pair(lp, True)
    el = EF.ctc_loss(elp, ember.from_numpy(targets), [12], [0], reduction="sum")
    tlo = TF.ctc_loss(tlp, torch.from_numpy(targets), [12], [0], reduction="sum")
    close(el, tlo, 1e-5, 1e-5)


def test_ctc_gradcheck_float64():
    lp, targets, il, tl = ctc_inputs(T=6, N=2, C=4, S=2, dtype=np.float64)
    x = ember.from_numpy(lp).requires_grad_()
    f = lambda x: EF.ctc_loss(x.log_softmax(-1), ember.from_numpy(targets), il[:2] - 1, tl[:2])  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))


def test_ctc_errors():
    lp, targets, il, tl = ctc_inputs()
    elp = ember.from_numpy(lp)
    with pytest.raises(RuntimeError):  # input length > T
        EF.ctc_loss(elp, ember.from_numpy(targets), [13, 5, 5], tl)
    with pytest.raises(RuntimeError):  # target length > S
        EF.ctc_loss(elp, ember.from_numpy(targets), il, [5, 1, 1])
    with pytest.raises(RuntimeError):  # wrong number of lengths
        EF.ctc_loss(elp, ember.from_numpy(targets), il[:2], tl)
    with pytest.raises(RuntimeError):  # label out of range
        EF.ctc_loss(elp, ember.from_numpy(targets + 10), il, tl)
    with pytest.raises(RuntimeError):
        EF.ctc_loss(elp, ember.from_numpy(targets), il, tl, blank=6)
    with pytest.raises(ValueError):
        EF.ctc_loss(elp, ember.from_numpy(targets), il, tl, reduction="avg")
    with pytest.raises(RuntimeError):
        EF.ctc_loss(elp, ember.from_numpy(targets.astype(np.float32)), il, tl)


# ---- gumbel_softmax

def test_gumbel_softmax():
    logits = ember.from_numpy(randn(4, 6)).requires_grad_()
    y = EF.gumbel_softmax(logits, tau=0.5)
    close(y.sum(-1), np.ones(4, dtype=np.float32), 1e-5, 1e-5)
    h = EF.gumbel_softmax(logits, tau=0.5, hard=True, dim=-1)
    hn = h.detach().numpy()
    assert set(np.unique(hn)) <= {0.0, 1.0} and np.all(hn.sum(-1) == 1)
    (h * ember.arange(6).float()).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    # the sample frequencies follow softmax(logits)
    lg = ember.from_numpy(np.log(np.array([0.1, 0.2, 0.7], dtype=np.float32)))
    counts = sum(EF.gumbel_softmax(lg.expand(2000, 3), hard=True) for _ in range(5)).sum(0).numpy() / 10000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.03)
    h0 = EF.gumbel_softmax(ember.from_numpy(randn(3, 5)), hard=True, dim=0)
    assert np.all(h0.numpy().sum(0) == 1)


def test_sdpa_and_ctc_thread_count_independent():
    arrs = [randn(4, 3, 33, 16, seed=i) for i in range(3)]
    lp, targets, il, tl = ctc_inputs(N=3)
    results = []
    old = ember.get_num_threads()
    try:
        for n in (1, 2):
            ember.set_num_threads(n)
            xs = [ember.from_numpy(a.copy()).requires_grad_() for a in arrs]
            out = EF.scaled_dot_product_attention(*xs, is_causal=True)
            out.sum().backward()
            x = ember.from_numpy(lp.copy()).requires_grad_()
            loss = EF.ctc_loss(x, ember.from_numpy(targets), il, tl)
            loss.backward()
            results.append([out.detach().numpy()] + [t.grad.numpy() for t in xs] + [loss.detach().numpy(),
                                                                                   x.grad.numpy()])
    finally:
        ember.set_num_threads(old)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
