"""Recurrent networks vs torch: nn.RNN/LSTM/GRU (all options), the cells, packed sequences, the
C++ op's float64 gradients by finite differences, errors, state_dict keys and repr."""
import numpy as np
import pytest

import ember
from ember.nn.utils import rnn as ernn

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as trnn  # noqa: E402

pytestmark = pytest.mark.torch


def to_t(x):
    return torch.from_numpy(x.detach().numpy().copy())


def to_e(x):
    return ember.from_numpy(x.detach().numpy().copy())


def pair(cls_name, *args, dtype="float32", **kwargs):
    """The same module in ember and torch with identical weights."""
    em = getattr(ember.nn, cls_name)(*args, **kwargs)
    tm = getattr(torch.nn, cls_name)(*args, **kwargs)
    if dtype == "float64":
        em = em.double()
        tm = tm.double()
    tm.load_state_dict({k: to_t(v) for k, v in em.state_dict().items()})
    return em, tm


def close(a, b, tol):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def flat(out):
    """Tensors of a module output ((out, h) or (out, (h, c)); PackedSequence -> its data)."""
    res = []
    for o in out if isinstance(out, tuple) else (out,):
        if isinstance(o, tuple) and not hasattr(o, "batch_sizes"):
            res.extend(flat(o))
        elif hasattr(o, "batch_sizes"):
            res.append(o.data)
        else:
            res.append(o)
    return res


def check_module(em, tm, x, hx=None, tol=1e-5, wrap=None):
    """Forward values, then gradients of input, initial states and every parameter."""
    xe, xt = to_e(x).requires_grad_(True), to_t(x).requires_grad_(True)
    args_e, args_t = [xe], [xt]
    hs_e, hs_t = [], []
    if hx is not None:
        if isinstance(hx, tuple):
            hs_e = [to_e(h).requires_grad_(True) for h in hx]
            hs_t = [to_t(h).requires_grad_(True) for h in hx]
            args_e.append(tuple(hs_e))
            args_t.append(tuple(hs_t))
        else:
            hs_e, hs_t = [to_e(hx).requires_grad_(True)], [to_t(hx).requires_grad_(True)]
            args_e.append(hs_e[0])
            args_t.append(hs_t[0])
    if wrap is not None:
        args_e[0], args_t[0] = wrap(args_e[0], ember, ernn), wrap(args_t[0], torch, trnn)
    oe, ot = flat(em(*args_e)), flat(tm(*args_t))
    assert len(oe) == len(ot)
    for a, b in zip(oe, ot):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b, tol)
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(tuple(o.shape)) for o in ot]
    le = sum((o * ember.from_numpy(w).to(o.dtype)).sum() for o, w in zip(oe, ws))
    lt = sum((o * torch.from_numpy(w).to(o.dtype)).sum() for o, w in zip(ot, ws))
    le.backward()
    lt.backward()
    close(xe.grad, xt.grad, tol)
    for a, b in zip(hs_e, hs_t):
        close(a.grad, b.grad, tol)
    pe, pt = dict(em.named_parameters()), dict(tm.named_parameters())
    assert list(pe) == list(pt)
    for k in pt:
        close(pe[k].grad, pt[k].grad, tol)


def rand(*shape, dtype="float32"):
    return torch.randn(*shape, dtype=getattr(torch, dtype))


MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


@pytest.mark.parametrize("cls,kw", MODES)
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_layers(cls, kw, layers):
    em, tm = pair(cls, 5, 7, num_layers=layers, **kw)
    check_module(em, tm, rand(6, 3, 5))


@pytest.mark.parametrize("cls,kw", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_bidirectional_initial_state(cls, kw, batch_first):
    em, tm = pair(cls, 4, 6, num_layers=2, bidirectional=True, batch_first=batch_first, **kw)
    x = rand(3, 5, 4) if batch_first else rand(5, 3, 4)
    h = rand(4, 3, 6)
    hx = (h, rand(4, 3, 6)) if cls == "LSTM" else h
    check_module(em, tm, x, hx)


@pytest.mark.parametrize("cls,kw", MODES)
def test_float64_no_bias(cls, kw):
    em, tm = pair(cls, 3, 5, num_layers=2, bias=False, dtype="float64", **kw)
    check_module(em, tm, rand(4, 2, 3, dtype="float64"), tol=1e-10)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_proj(bidirectional, layers):
    em, tm = pair("LSTM", 5, 8, num_layers=layers, proj_size=3, bidirectional=bidirectional, batch_first=True)
    D = 2 if bidirectional else 1
    check_module(em, tm, rand(2, 6, 5), (rand(layers * D, 2, 3), rand(layers * D, 2, 8)))


@pytest.mark.parametrize("cls,kw", MODES)
def test_dropout_eval(cls, kw):
    em, tm = pair(cls, 4, 5, num_layers=3, dropout=0.5, **kw)
    em.eval()
    tm.eval()
    check_module(em, tm, rand(5, 2, 4))


def test_dropout_train_changes_output_and_keeps_last_layer():
    em = ember.nn.LSTM(4, 16, num_layers=2, dropout=0.5)
    x = ember.randn(5, 3, 4)
    em.train()
    a = em(x)[0]
    b = em(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    em.eval()
    c = em(x)[0]
    d = em(x)[0]
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())
    # one layer: dropout is never applied (torch warns)
    with pytest.warns(UserWarning):
        one = ember.nn.GRU(4, 5, dropout=0.3)
    one.train()
    np.testing.assert_array_equal(one(x)[0].detach().numpy(), one(x)[0].detach().numpy())


@pytest.mark.parametrize("cls,kw", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched(cls, kw, batch_first):
    em, tm = pair(cls, 4, 5, num_layers=2, bidirectional=True, batch_first=batch_first, **kw)
    h = rand(4, 5)
    check_module(em, tm, rand(6, 4), (h, rand(4, 5)) if cls == "LSTM" else h)
    check_module(em, tm, rand(6, 4))


def packed(lengths, enforce_sorted, batch_first):
    def wrap(x, lib, rnn):
        return rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    return wrap


@pytest.mark.parametrize("cls,kw", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_unsorted(cls, kw, bidirectional):
    lengths = [3, 6, 1, 4]
    em, tm = pair(cls, 3, 5, num_layers=2, bidirectional=bidirectional, **kw)
    D = 2 if bidirectional else 1
    h = rand(2 * D, 4, 5)
    hx = (h, rand(2 * D, 4, 5)) if cls == "LSTM" else h
    check_module(em, tm, rand(6, 4, 3), hx, wrap=packed(lengths, False, False))


@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_sorted_lstm_proj(batch_first):
    em, tm = pair("LSTM", 3, 6, num_layers=2, proj_size=2, bidirectional=True, batch_first=batch_first)
    x = rand(4, 5, 3) if batch_first else rand(5, 4, 3)
    check_module(em, tm, x, wrap=packed([5, 5, 3, 2], True, batch_first))


def test_packed_output_roundtrip():
    lengths = [2, 5, 3]
    em, tm = pair("GRU", 3, 4, bidirectional=True)
    x = rand(5, 3, 3)
    pe = ernn.pack_padded_sequence(to_e(x), lengths, enforce_sorted=False)
    pt = trnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    oe, he = em(pe)
    ot, ht = tm(pt)
    assert isinstance(oe, ernn.PackedSequence)
    np.testing.assert_array_equal(oe.batch_sizes.numpy(), ot.batch_sizes.numpy())
    np.testing.assert_array_equal(oe.sorted_indices.numpy(), ot.sorted_indices.numpy())
    np.testing.assert_array_equal(oe.unsorted_indices.numpy(), ot.unsorted_indices.numpy())
    ye, le = ernn.pad_packed_sequence(oe, batch_first=True, padding_value=-1.0, total_length=7)
    yt, lt = trnn.pad_packed_sequence(ot, batch_first=True, padding_value=-1.0, total_length=7)
    close(ye, yt, 1e-5)
    close(he, ht, 1e-5)
    np.testing.assert_array_equal(le.numpy(), lt.numpy())


# ---- nn.utils.rnn
def test_pack_pad_functions():
    seqs = [torch.randn(n, 2) for n in (4, 1, 3)]
    es = [to_e(s) for s in seqs]
    for batch_first in (False, True):
        for side in ("right", "left"):
            close(ernn.pad_sequence(es, batch_first=batch_first, padding_value=2.5, padding_side=side),
                  trnn.pad_sequence(seqs, batch_first=batch_first, padding_value=2.5, padding_side=side), 0)
    pe, pt = ernn.pack_sequence(es, enforce_sorted=False), trnn.pack_sequence(seqs, enforce_sorted=False)
    close(pe.data, pt.data, 0)
    np.testing.assert_array_equal(pe.batch_sizes.numpy(), pt.batch_sizes.numpy())
    for a, b in zip(ernn.unpack_sequence(pe), trnn.unpack_sequence(pt)):
        close(a, b, 0)
    padded = trnn.pad_sequence(seqs, batch_first=True)
    lens = torch.tensor([4, 1, 3])
    for a, b in zip(ernn.unpad_sequence(to_e(padded), ember.tensor([4, 1, 3]), batch_first=True),
                    trnn.unpad_sequence(padded.clone(), lens, batch_first=True)):
        close(a, b, 0)
    # sorted packing, batch_first, and the lengths returned by pad_packed_sequence
    x = torch.randn(3, 4, 2)
    pe = ernn.pack_padded_sequence(to_e(x), [4, 2, 1], batch_first=True)
    pt = trnn.pack_padded_sequence(x, [4, 2, 1], batch_first=True)
    close(pe.data, pt.data, 0)
    assert pe.sorted_indices is None and pe.unsorted_indices is None
    ye, le = ernn.pad_packed_sequence(pe)
    yt, lt = trnn.pad_packed_sequence(pt)
    close(ye, yt, 0)
    np.testing.assert_array_equal(le.numpy(), lt.numpy())


def test_packed_sequence_tuple_and_to():
    pe = ernn.pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
    data, bs, si, ui = pe
    assert pe.data is data and pe.batch_sizes is bs and si is None and ui is None
    assert pe._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert pe.to(ember.float32) is pe
    p64 = pe.to(ember.float64)
    assert p64.data.dtype == ember.float64 and p64.batch_sizes is pe.batch_sizes
    assert pe.double().data.dtype == ember.float64


def test_pack_gradients_flow():
    x = torch.randn(4, 3, 2, requires_grad=True)
    xe = to_e(x.detach()).requires_grad_(True)
    pt = trnn.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False)
    pe = ernn.pack_padded_sequence(xe, [2, 4, 3], enforce_sorted=False)
    yt, _ = trnn.pad_packed_sequence(pt, total_length=4)
    ye, _ = ernn.pad_packed_sequence(pe, total_length=4)
    w = torch.randn(4, 3, 2)
    (yt * w).sum().backward()
    (ye * to_e(w)).sum().backward()
    close(xe.grad, x.grad, 0)


def test_pack_errors():
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        ernn.pack_padded_sequence(ember.zeros(3, 2), [1, 2])
    with pytest.raises(RuntimeError, match="greater than 0"):
        ernn.pack_padded_sequence(ember.zeros(3, 2), [2, 0])
    pe = ernn.pack_sequence([ember.ones(3), ember.ones(2)])
    with pytest.raises(ValueError, match="total_length"):
        ernn.pad_packed_sequence(pe, total_length=2)


# ---- cells
@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                    ("GRUCell", {}), ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(cls, kw, batched):
    em, tm = pair(cls, 4, 6, **kw)
    shape = (3,) if batched else ()
    x = rand(*shape, 4)
    h = rand(*shape, 6)
    hx = (h, rand(*shape, 6)) if cls == "LSTMCell" else h
    check_module(em, tm, x, hx)
    check_module(em, tm, x)


def test_cell_loop_matches_lstm():
    """An LSTMCell unrolled by hand equals nn.LSTM with the same weights."""
    cell = ember.nn.LSTMCell(3, 4)
    lstm = ember.nn.LSTM(3, 4)
    lstm.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = ember.randn(5, 2, 3)
    h = c = ember.zeros(2, 4)
    for t in range(5):
        h, c = cell(x[t], (h, c))
    out, (hn, cn) = lstm(x)
    close(h, hn[0], 1e-6)
    close(c, cn[0], 1e-6)
    close(h, out[-1], 1e-6)


# ---- the op: float64 finite differences, including packed input
@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, [3, 2, 2, 1]])
def test_gradcheck_op(mode, bidirectional, batch_sizes):
    G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    H, I, B, T = 3, 2, 3, 4
    D = 2 if bidirectional else 1
    g = np.random.default_rng(0)

    def leaf(*shape):
        return ember.from_numpy(g.uniform(-0.8, 0.8, shape)).requires_grad_(True)
    x = leaf(sum(batch_sizes), I) if batch_sizes else leaf(T, B, I)
    hx = leaf(D, B, H)
    cx = leaf(D, B, H) if mode == "LSTM" else None
    ws = []
    for _ in range(D):
        ws += [leaf(G * H, I), leaf(G * H, H), leaf(G * H), leaf(G * H)]

    def f(x, hx, *rest):
        if mode == "LSTM":
            cx, w = rest[0], list(rest[1:])
        else:
            cx, w = None, list(rest)
        out, h, c = ember._C._nn.rnn_layer(x, hx, cx, w, mode, True, bidirectional, batch_sizes)
        return (out, h) if c is None else (out, h, c)
    inputs = [x, hx] + ([cx] if cx is not None else []) + ws
    assert ember.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_lstm_proj_op():
    g = np.random.default_rng(1)

    def leaf(*shape):
        return ember.from_numpy(g.uniform(-0.8, 0.8, shape)).requires_grad_(True)
    x, hx, cx = leaf(5, 2), leaf(1, 2, 2), leaf(1, 2, 4)
    ws = [leaf(16, 2), leaf(16, 2), leaf(16), leaf(16), leaf(2, 4)]

    def f(x, hx, cx, *w):
        out, h, c = ember._C._nn.rnn_layer(x, hx, cx, list(w), "LSTM", True, False, [2, 2, 1])
        return out, h, c
    assert ember.autograd.gradcheck(f, [x, hx, cx] + ws, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_double_backward_refused():
    m = ember.nn.GRU(2, 3).double()
    x = ember.randn(3, 1, 2, dtype=ember.float64, requires_grad=True)
    out, _ = m(x)
    with pytest.raises(NotImplementedError, match="double backward"):
        ember.autograd.grad(out.sum(), x, create_graph=True)


def test_no_grad_and_partial_grads():
    em, tm = pair("LSTM", 3, 4, num_layers=2)
    x = rand(5, 2, 3)
    with ember.no_grad():
        oe = em(to_e(x))[0]
    assert oe.grad_fn is None and not oe.requires_grad
    close(oe, tm(x)[0], 1e-5)
    # only the input requires grad
    for p in em.parameters():
        p.requires_grad_(False)
    xe = to_e(x).requires_grad_(True)
    em(xe)[0].sum().backward()
    xt = x.clone().requires_grad_(True)
    tm(xt)[0].sum().backward()
    close(xe.grad, xt.grad, 1e-5)
    assert all(p.grad is None for p in em.parameters())


# ---- errors, state_dict, repr
def test_errors():
    m = ember.nn.LSTM(4, 5)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 4, got 3"):
        m(ember.randn(2, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 5\), got \[1, 2, 5\]"):
        m(ember.randn(2, 3, 4), (ember.zeros(1, 2, 5), ember.zeros(1, 3, 5)))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        m(ember.randn(2, 3, 4, 1))
    with pytest.raises(RuntimeError, match="hx and cx should also be 3-D"):
        m(ember.randn(2, 3, 4), (ember.zeros(3, 5), ember.zeros(3, 5)))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        m(ember.randn(2, 3, 4, dtype=ember.float64))
    g = ember.nn.GRU(4, 5)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 3, 5\), got \[2, 3, 5\]"):
        g(ember.randn(2, 3, 4), ember.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        ember.nn.GRU(4, 5, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        ember.nn.LSTM(4, 5, proj_size=5)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        ember.nn.RNN(4, 5, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number"):
        ember.nn.RNN(4, 5, dropout=1.5)
    c = ember.nn.GRUCell(4, 5)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 3 expected 4"):
        c(ember.randn(2, 3))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden batch size 3"):
        c(ember.randn(2, 4), ember.zeros(3, 5))
    # the op itself
    with pytest.raises(RuntimeError, match="input_size"):
        ember._C._nn.rnn_layer(ember.randn(2, 1, 3), None, None, [ember.randn(5, 4), ember.randn(5, 5)],
                               "RNN_TANH", False, False)
    with pytest.raises(ValueError, match="unknown mode"):
        ember._C._nn.rnn_layer(ember.randn(2, 1, 4), None, None, [ember.randn(5, 4), ember.randn(5, 5)],
                               "FOO", False, False)
    with pytest.raises(RuntimeError, match="batch_sizes"):
        ember._C._nn.rnn_layer(ember.randn(3, 4), None, None, [ember.randn(5, 4), ember.randn(5, 5)],
                               "RNN_TANH", False, False, [1, 2])
    with pytest.raises(RuntimeError, match="rows"):
        ember._C._nn.rnn_layer(ember.randn(4, 4), None, None, [ember.randn(5, 4), ember.randn(5, 5)],
                               "RNN_TANH", False, False, [2, 1])
    with pytest.raises(RuntimeError, match="float32 or float64"):
        ember._C._nn.rnn_layer(ember.ones(2, 1, 4, dtype=ember.int64), None, None,
                               [ember.ones(5, 4, dtype=ember.int64), ember.ones(5, 5, dtype=ember.int64)],
                               "RNN_TANH", False, False)


@pytest.mark.parametrize("cls,args,kw", [
    ("LSTM", (3, 8), {"num_layers": 2, "bidirectional": True, "proj_size": 4}),
    ("GRU", (3, 8), {"bias": False, "batch_first": True, "dropout": 0.25, "num_layers": 2}),
    ("RNN", (3, 8), {"nonlinearity": "relu"}),
    ("RNNCell", (3, 8), {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", (3, 8), {}),
    ("GRUCell", (3, 8), {"bias": False}),
])
def test_state_dict_repr_init(cls, args, kw):
    em = getattr(ember.nn, cls)(*args, **kw)
    tm = getattr(torch.nn, cls)(*args, **kw)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert repr(em) == repr(tm)
    for (ke, ve), (kt, vt) in zip(em.state_dict().items(), tm.state_dict().items()):
        assert tuple(ve.shape) == tuple(vt.shape), ke
        bound = 1 / np.sqrt(8)
        v = ve.numpy()
        assert v.min() >= -bound and v.max() <= bound and v.std() > bound / 4
    if hasattr(tm, "_flat_weights_names"):
        assert em._flat_weights_names == tm._flat_weights_names
        assert all(a is getattr(em, n) for a, n in zip(em._flat_weights, em._flat_weights_names))
        assert [[tuple(p.shape) for p in ws] for ws in em.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
        em.flatten_parameters()
    # torch loads ember's state_dict and back
    tm.load_state_dict({k: to_t(v) for k, v in em.state_dict().items()})
    em.load_state_dict({k: to_e(v) for k, v in tm.state_dict().items()})


def test_reassigned_parameter_is_used():
    em, tm = pair("GRU", 3, 4)
    em.weight_hh_l0 = ember.nn.Parameter(ember.zeros(12, 4))
    with torch.no_grad():
        tm.weight_hh_l0.zero_()
    x = rand(3, 2, 3)
    close(em(to_e(x))[0], tm(x)[0], 1e-5)


def test_module_to_double_and_train():
    m = ember.nn.LSTM(3, 4, batch_first=True).double()
    x = ember.randn(2, 5, 3, dtype=ember.float64)
    opt = ember.optim.SGD(m.parameters(), lr=0.5)
    target = ember.randn(2, 5, 4, dtype=ember.float64)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((m(x)[0] - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.9
