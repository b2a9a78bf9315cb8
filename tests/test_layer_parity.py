"""Issue 4 audit: every layer and loss of the Build list vs torch with the same weights.

Each case builds the torch module (torch's own initialisation, seeded), loads its state_dict into the
ember module, runs both on the same float64 inputs and compares the outputs, the input gradients and
every parameter gradient (sum of output * a fixed random cotangent, so each output element counts).
"""
import numpy as np
import pytest

import ember
import ember.nn as enn
from conftest import require_torch

RTOL, ATOL = 1e-7, 1e-9


def _r(*shape, lo=-1.0, hi=1.0, seed=0):
    return np.random.default_rng(seed + len(shape) * 7 + int(np.prod(shape))).uniform(lo, hi, size=shape)


def _pos(*shape):
    return _r(*shape, lo=0.1, hi=1.0)


def _int(high, *shape, seed=3):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


def _prob(*shape):
    return _r(*shape, lo=0.05, hi=0.95)


# (id, class name, args, kwargs, inputs: list of numpy arrays (float arrays get requires_grad))
LAYERS = [
    ("Identity", "Identity", (), {}, [_r(3, 4)]),
    ("Linear", "Linear", (4, 3), {}, [_r(2, 5, 4)]),
    ("Linear-nobias", "Linear", (4, 3), {"bias": False}, [_r(2, 4)]),
    ("Bilinear", "Bilinear", (3, 4, 5), {}, [_r(2, 3), _r(2, 4)]),
    ("Flatten", "Flatten", (), {}, [_r(2, 3, 4)]),
    ("Unflatten", "Unflatten", (1, (2, 3)), {}, [_r(2, 6)]),
    ("Conv1d", "Conv1d", (2, 4, 3), {"stride": 2, "padding": 1, "dilation": 1}, [_r(2, 2, 9)]),
    ("Conv1d-same-reflect", "Conv1d", (2, 4, 3), {"padding": "same", "padding_mode": "reflect"}, [_r(2, 2, 9)]),
    ("Conv2d", "Conv2d", (3, 4, 3), {"padding": 1, "groups": 1}, [_r(2, 3, 6, 5)]),
    ("Conv2d-groups-dil", "Conv2d", (4, 6, (3, 2)), {"groups": 2, "dilation": 2, "stride": (1, 2)}, [_r(1, 4, 8, 8)]),
    ("Conv2d-circular", "Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "circular"}, [_r(1, 2, 5, 5)]),
    ("ConvTranspose1d", "ConvTranspose1d", (3, 2, 3), {"stride": 2, "output_padding": 1}, [_r(2, 3, 5)]),
    ("ConvTranspose2d", "ConvTranspose2d", (4, 2, 3), {"stride": 2, "padding": 1, "groups": 2}, [_r(1, 4, 4, 5)]),
    ("MaxPool1d", "MaxPool1d", (3,), {"stride": 2, "padding": 1}, [_r(2, 3, 10)]),
    ("MaxPool2d", "MaxPool2d", (2,), {}, [_r(2, 3, 6, 6)]),
    ("MaxPool2d-ceil-dil", "MaxPool2d", (3,), {"stride": 2, "ceil_mode": True, "dilation": 1}, [_r(1, 2, 7, 8)]),
    ("AvgPool1d", "AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, [_r(2, 3, 10)]),
    ("AvgPool2d", "AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, [_r(2, 3, 7, 7)]),
    ("AvgPool2d-divisor", "AvgPool2d", (2,), {"divisor_override": 3}, [_r(1, 2, 4, 4)]),
    ("AdaptiveAvgPool1d", "AdaptiveAvgPool1d", (4,), {}, [_r(2, 3, 10)]),
    ("AdaptiveAvgPool2d", "AdaptiveAvgPool2d", ((3, 2),), {}, [_r(2, 3, 7, 5)]),
    ("AdaptiveMaxPool1d", "AdaptiveMaxPool1d", (4,), {}, [_r(2, 3, 10)]),
    ("AdaptiveMaxPool2d", "AdaptiveMaxPool2d", ((3, 2),), {}, [_r(2, 3, 7, 5)]),
    ("BatchNorm1d", "BatchNorm1d", (3,), {}, [_r(4, 3)]),
    ("BatchNorm1d-3d", "BatchNorm1d", (3,), {"momentum": None}, [_r(4, 3, 5)]),
    ("BatchNorm2d", "BatchNorm2d", (3,), {"affine": False}, [_r(2, 3, 4, 4)]),
    ("LayerNorm", "LayerNorm", ([3, 4],), {}, [_r(2, 3, 4)]),
    ("LayerNorm-nobias", "LayerNorm", (4,), {"bias": False, "eps": 1e-3}, [_r(2, 3, 4)]),
    ("GroupNorm", "GroupNorm", (2, 4), {}, [_r(2, 4, 3, 3)]),
    ("InstanceNorm1d", "InstanceNorm1d", (3,), {"affine": True}, [_r(2, 3, 6)]),
    ("InstanceNorm2d", "InstanceNorm2d", (3,), {"track_running_stats": True}, [_r(2, 3, 4, 5)]),
    ("LocalResponseNorm", "LocalResponseNorm", (3,), {"alpha": 0.1, "k": 2.0}, [_r(2, 5, 4, 4)]),
    ("Dropout-eval", "Dropout", (0.5,), {}, [_r(3, 4)]),
    ("Dropout1d-eval", "Dropout1d", (0.5,), {}, [_r(2, 3, 4)]),
    ("Dropout2d-eval", "Dropout2d", (0.5,), {}, [_r(2, 3, 4, 4)]),
    ("AlphaDropout-eval", "AlphaDropout", (0.5,), {}, [_r(3, 4)]),
    ("Embedding", "Embedding", (10, 3), {"padding_idx": 2}, [_int(10, 4, 5)]),
    ("Embedding-max_norm", "Embedding", (10, 3), {"max_norm": 0.5}, [_int(10, 6)]),
    ("EmbeddingBag-mean", "EmbeddingBag", (10, 3), {}, [_int(10, 4, 5)]),
    ("EmbeddingBag-sum-pad", "EmbeddingBag", (10, 3), {"mode": "sum", "padding_idx": 1}, [_int(10, 3, 6)]),
    ("EmbeddingBag-max", "EmbeddingBag", (10, 3), {"mode": "max"}, [_int(10, 4, 5)]),
    ("EmbeddingBag-max-pad", "EmbeddingBag", (6, 3), {"mode": "max", "padding_idx": 0}, [_int(6, 5, 4, seed=1)]),
    ("RNN", "RNN", (3, 5), {"num_layers": 2}, [_r(4, 2, 3)]),
    ("RNN-relu-bf", "RNN", (3, 5), {"nonlinearity": "relu", "batch_first": True, "bias": False}, [_r(2, 4, 3)]),
    ("LSTM", "LSTM", (3, 5), {}, [_r(4, 2, 3)]),
    ("LSTM-bi-2l-bf", "LSTM", (3, 5), {"num_layers": 2, "bidirectional": True, "batch_first": True},
     [_r(2, 4, 3)]),
    ("LSTM-proj", "LSTM", (3, 5), {"proj_size": 2, "num_layers": 2}, [_r(4, 2, 3)]),
    ("LSTM-unbatched", "LSTM", (3, 5), {}, [_r(4, 3)]),
    ("GRU", "GRU", (3, 5), {}, [_r(4, 2, 3)]),
    ("GRU-bi-2l", "GRU", (3, 4), {"num_layers": 2, "bidirectional": True}, [_r(5, 2, 3)]),
    ("RNNCell", "RNNCell", (3, 4), {}, [_r(2, 3)]),
    ("LSTMCell", "LSTMCell", (3, 4), {}, [_r(2, 3)]),
    ("GRUCell", "GRUCell", (3, 4), {"bias": False}, [_r(2, 3)]),
    ("MultiheadAttention", "MultiheadAttention", (8, 2), {}, [_r(5, 2, 8), _r(4, 2, 8), _r(4, 2, 8)]),
    ("MultiheadAttention-bf-kv", "MultiheadAttention", (8, 2),
     {"batch_first": True, "kdim": 3, "vdim": 5, "bias": False}, [_r(2, 5, 8), _r(2, 4, 3), _r(2, 4, 5)]),
    ("MultiheadAttention-addbias", "MultiheadAttention", (6, 3), {"add_bias_kv": True, "add_zero_attn": True},
     [_r(3, 2, 6), _r(4, 2, 6), _r(4, 2, 6)]),
    ("TransformerEncoderLayer", "TransformerEncoderLayer", (8, 2, 16), {"dropout": 0.0}, [_r(5, 2, 8)]),
    ("TransformerEncoderLayer-bf-first-gelu", "TransformerEncoderLayer", (8, 2, 16),
     {"dropout": 0.0, "batch_first": True, "norm_first": True, "activation": "gelu"}, [_r(2, 5, 8)]),
    ("TransformerDecoderLayer", "TransformerDecoderLayer", (8, 2, 16), {"dropout": 0.0}, [_r(4, 2, 8), _r(5, 2, 8)]),
    ("Transformer", "Transformer", (8, 2, 2, 1, 16), {"dropout": 0.0}, [_r(5, 2, 8), _r(4, 2, 8)]),
    ("PixelShuffle", "PixelShuffle", (2,), {}, [_r(1, 8, 3, 3)]),
    ("PixelUnshuffle", "PixelUnshuffle", (2,), {}, [_r(1, 2, 4, 6)]),
    ("Upsample-nearest", "Upsample", (), {"scale_factor": 2}, [_r(1, 2, 3, 3)]),
    ("Upsample-bilinear-ac", "Upsample", (), {"size": (5, 7), "mode": "bilinear", "align_corners": True},
     [_r(1, 2, 3, 4)]),
    ("Upsample-bicubic", "Upsample", (), {"scale_factor": 1.5, "mode": "bicubic"}, [_r(1, 2, 4, 4)]),
    ("Upsample-linear", "Upsample", (), {"scale_factor": 2, "mode": "linear"}, [_r(1, 2, 5)]),
    ("ZeroPad2d", "ZeroPad2d", ((1, 2, 0, 1),), {}, [_r(1, 2, 3, 3)]),
    ("ConstantPad1d", "ConstantPad1d", (2, 1.5), {}, [_r(1, 2, 3)]),
    ("ConstantPad2d", "ConstantPad2d", ((1, 0, 2, 1), -1.0), {}, [_r(1, 2, 3, 3)]),
    ("ReflectionPad1d", "ReflectionPad1d", (2,), {}, [_r(1, 2, 5)]),
    ("ReflectionPad2d", "ReflectionPad2d", ((1, 2, 2, 1),), {}, [_r(1, 2, 4, 4)]),
    ("ReplicationPad1d", "ReplicationPad1d", (2,), {}, [_r(1, 2, 5)]),
    ("ReplicationPad2d", "ReplicationPad2d", (1,), {}, [_r(1, 2, 4, 4)]),
    ("CosineSimilarity", "CosineSimilarity", (), {"dim": 1}, [_r(3, 4), _r(3, 4)]),
    ("PairwiseDistance", "PairwiseDistance", (), {"p": 1.5, "keepdim": True}, [_r(3, 4), _r(3, 4)]),
    ("Fold", "Fold", (), {"output_size": (4, 5), "kernel_size": 2}, [_r(1, 8, 12)]),
    ("Unfold", "Unfold", (), {"kernel_size": (2, 3), "stride": 1, "padding": 1}, [_r(1, 2, 4, 4)]),
]

ACTIVATIONS = [("ReLU", (), {}), ("ReLU6", (), {}), ("ELU", (0.7,), {}), ("SELU", (), {}), ("CELU", (1.3,), {}),
               ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}), ("Sigmoid", (), {}),
               ("Tanh", (), {}), ("LeakyReLU", (0.2,), {}), ("Hardtanh", (-0.5, 0.5), {}), ("Hardswish", (), {}),
               ("Hardsigmoid", (), {}), ("Hardshrink", (0.3,), {}), ("Softshrink", (0.3,), {}),
               ("Softsign", (), {}), ("Softplus", (2.0, 5.0), {}), ("Tanhshrink", (), {}), ("LogSigmoid", (), {}),
               ("Threshold", (0.1, -2.0), {}), ("GLU", (), {}), ("PReLU", (), {}), ("PReLU", (4,), {}),
               ("Softmax", (1,), {}), ("Softmin", (1,), {}), ("LogSoftmax", (1,), {}), ("Softmax2d", (), {})]
LAYERS += [(f"{n}-{i}", n, a, k, [_r(2, 4, 3, 4)]) for i, (n, a, k) in enumerate(ACTIVATIONS)]
LAYERS += [("GroupNorm-nobias", "GroupNorm", (2, 4), {"bias": False}, [_r(2, 4, 3)]),
           ("AdaptiveMaxPool1d-div", "AdaptiveMaxPool1d", (5,), {"return_indices": True}, [_r(2, 3, 10)]),
           ("AdaptiveMaxPool2d-idx", "AdaptiveMaxPool2d", ((3, 4),), {"return_indices": True}, [_r(1, 2, 7, 9)]),
           ("AdaptiveMaxPool2d-none", "AdaptiveMaxPool2d", ((None, 2),), {}, [_r(1, 2, 3, 5)]),
           ("AdaptiveAvgPool2d-none", "AdaptiveAvgPool2d", ((None, 3),), {}, [_r(1, 2, 3, 7)])]

# (id, class name, kwargs, [input, target, (extra)...]); float inputs get requires_grad
LOSSES = []
for red in ("mean", "sum", "none"):
    LOSSES += [
        (f"CrossEntropyLoss-{red}", "CrossEntropyLoss", {"reduction": red}, [_r(4, 5), _int(5, 4)]),
        (f"CrossEntropyLoss-w-ign-ls-{red}", "CrossEntropyLoss",
         {"reduction": red, "weight": _pos(5), "ignore_index": 1, "label_smoothing": 0.2}, [_r(6, 5), _int(5, 6)]),
        (f"CrossEntropyLoss-prob-{red}", "CrossEntropyLoss", {"reduction": red, "label_smoothing": 0.1},
         [_r(4, 5), _prob(4, 5)]),
        (f"CrossEntropyLoss-Nd-{red}", "CrossEntropyLoss", {"reduction": red, "weight": _pos(3)},
         [_r(2, 3, 4, 2), _int(3, 2, 4, 2)]),
        (f"NLLLoss-{red}", "NLLLoss", {"reduction": red, "weight": _pos(5), "ignore_index": 0},
         [_r(6, 5), _int(5, 6)]),
        (f"MSELoss-{red}", "MSELoss", {"reduction": red}, [_r(3, 4), _r(3, 4, seed=1)]),
        (f"L1Loss-{red}", "L1Loss", {"reduction": red}, [_r(3, 4), _r(3, 4, seed=1)]),
        (f"SmoothL1Loss-{red}", "SmoothL1Loss", {"reduction": red, "beta": 0.5}, [_r(3, 4), _r(3, 4, seed=1)]),
        (f"HuberLoss-{red}", "HuberLoss", {"reduction": red, "delta": 0.3}, [_r(3, 4), _r(3, 4, seed=1)]),
        (f"BCELoss-{red}", "BCELoss", {"reduction": red, "weight": _pos(4)}, [_prob(3, 4), _prob(3, 4)]),
        (f"BCEWithLogitsLoss-{red}", "BCEWithLogitsLoss", {"reduction": red, "pos_weight": _pos(4),
                                                           "weight": _pos(3, 4)}, [_r(3, 4), _prob(3, 4)]),
        (f"KLDivLoss-{red}", "KLDivLoss", {"reduction": red}, [_r(3, 4), _prob(3, 4)]),
        (f"KLDivLoss-logt-{red}", "KLDivLoss", {"reduction": red, "log_target": True}, [_r(3, 4), _r(3, 4, seed=2)]),
        (f"CosineEmbeddingLoss-{red}", "CosineEmbeddingLoss", {"reduction": red, "margin": 0.1},
         [_r(4, 5), _r(4, 5, seed=1), np.array([1.0, -1.0, 1.0, -1.0])]),
        (f"MarginRankingLoss-{red}", "MarginRankingLoss", {"reduction": red, "margin": 0.2},
         [_r(5), _r(5, seed=1), np.array([1.0, -1.0, 1.0, -1.0, 1.0])]),
        (f"TripletMarginLoss-{red}", "TripletMarginLoss", {"reduction": red, "margin": 1.5, "p": 1.0, "swap": True},
         [_r(4, 5), _r(4, 5, seed=1), _r(4, 5, seed=2)]),
        (f"HingeEmbeddingLoss-{red}", "HingeEmbeddingLoss", {"reduction": red, "margin": 0.5},
         [_r(3, 4), np.sign(_r(3, 4, seed=5))]),
        (f"MultiLabelSoftMarginLoss-{red}", "MultiLabelSoftMarginLoss", {"reduction": red, "weight": _pos(4)},
         [_r(3, 4), (_r(3, 4, seed=1) > 0).astype(np.float64)]),
        (f"PoissonNLLLoss-{red}", "PoissonNLLLoss", {"reduction": red}, [_r(3, 4), _pos(3, 4) * 3]),
        (f"PoissonNLLLoss-full-{red}", "PoissonNLLLoss", {"reduction": red, "log_input": False, "full": True},
         [_pos(3, 4), _pos(3, 4) * 3]),
        (f"GaussianNLLLoss-{red}", "GaussianNLLLoss", {"reduction": red}, [_r(3, 4), _r(3, 4, seed=1), _pos(3, 4)]),
        (f"GaussianNLLLoss-full-{red}", "GaussianNLLLoss", {"reduction": red, "full": True, "eps": 1e-3},
         [_r(3, 4), _r(3, 4, seed=1), _pos(3, 1)]),
    ]
LOSSES.append(("KLDivLoss-batchmean", "KLDivLoss", {"reduction": "batchmean"}, [_r(3, 4), _prob(3, 4)]))


def _to(lib, a, grad):
    if isinstance(a, np.ndarray):
        if lib == "torch":
            import torch
            t = torch.from_numpy(a.copy())
        else:
            t = ember.from_numpy(a.copy())
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    return a


def _flat_out(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res += _flat_out(o)
        return res
    return [] if out is None else [out]


def _compare(em, tm, inputs, call=None):
    torch = require_torch()
    ein = [_to("ember", a, True) for a in inputs]
    tin = [_to("torch", a, True) for a in inputs]
    eo = _flat_out(em(*ein) if call is None else call(em, ein))
    to = _flat_out(tm(*tin) if call is None else call(tm, tin))
    assert len(eo) == len(to)
    eloss, tloss = 0, 0
    for i, (e, t) in enumerate(zip(eo, to)):
        assert tuple(e.shape) == tuple(t.shape), i
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], i
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"out {i}")
        if t.requires_grad:
            cot = _r(*t.shape, seed=11 + i) if t.dim() else np.array(1.3)
            eloss = eloss + (e * ember.from_numpy(cot)).sum()
            tloss = tloss + (t * torch.from_numpy(cot)).sum()
    if isinstance(tloss, int):
        return
    tloss.backward()
    eloss.backward()
    for i, (e, t) in enumerate(zip(ein, tin)):
        if hasattr(t, "grad") and t.grad is not None:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-8, err_msg=f"input {i}")
    ep, tp = dict(em.named_parameters()), dict(tm.named_parameters())
    assert list(ep) == list(tp)
    for k in tp:
        if tp[k].grad is None:
            assert ep[k].grad is None or not ep[k].grad.numpy().any(), k
            continue
        np.testing.assert_allclose(ep[k].grad.numpy(), tp[k].grad.numpy(), rtol=1e-6, atol=1e-8, err_msg=k)


def _pair(name, args, kwargs, train=True):
    torch = require_torch()
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    em = getattr(enn, name)(*args, **kwargs).double()
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(sd)
    if not train or "Dropout" in name:
        em.eval()
        tm.eval()
    return em, tm


@pytest.mark.parametrize("case", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(case):
    _, name, args, kwargs, inputs = case
    em, tm = _pair(name, args, kwargs)
    _compare(em, tm, inputs)
    # buffers (running stats) moved the same way
    for (k, eb), (k2, tb) in zip(em.named_buffers(), tm.named_buffers()):
        assert k == k2
        np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=RTOL, atol=ATOL, err_msg=k)


@pytest.mark.parametrize("name,kwargs", [("BatchNorm1d", {}), ("BatchNorm2d", {"track_running_stats": False}),
                                         ("InstanceNorm2d", {"track_running_stats": True})])
def test_norm_eval_matches_torch(name, kwargs):
    em, tm = _pair(name, (3,), kwargs)
    x = _r(4, 3, 5) if name == "BatchNorm1d" else _r(2, 3, 4, 4)
    for _ in range(2):  # two training steps move the running stats
        _compare(em, tm, [x])
    em.eval()
    tm.eval()
    _compare(em, tm, [x * 2 + 0.5])


def test_rnn_initial_states_and_packed_match_torch():
    torch = require_torch()
    for name in ("RNN", "LSTM", "GRU"):
        em, tm = _pair(name, (3, 4), {"num_layers": 2, "bidirectional": True})
        x = _r(5, 2, 3)
        h = _r(4, 2, 4, seed=4)
        state = [x, (h, _r(4, 2, 4, seed=5))] if name == "LSTM" else [x, h]

        def call(m, ins, name=name):
            if name == "LSTM":
                return m(ins[0], (ins[1], ins[2]))
            return m(ins[0], ins[1])
        _compare(em, tm, [x, h, _r(4, 2, 4, seed=5)] if name == "LSTM" else state, call)

        def packed(m, ins, lengths=(5, 3), sort=True):
            lib = ember if isinstance(ins[0], ember.Tensor) else torch
            pk = lib.nn.utils.rnn.pack_padded_sequence(ins[0], lib.tensor(list(lengths)), enforce_sorted=sort)
            out, hid = m(pk)
            pad, lens = lib.nn.utils.rnn.pad_packed_sequence(out, total_length=6)
            return pad, hid
        _compare(em, tm, [x], packed)
        em.zero_grad()
        tm.zero_grad()
        _compare(em, tm, [x], lambda m, ins: packed(m, ins, (2, 5), False))


def test_mha_masks_and_weights_match_torch():
    torch = require_torch()
    q, k, v = _r(2, 5, 8), _r(2, 4, 8, seed=1), _r(2, 4, 8, seed=2)
    kpm = np.array([[False, False, True, False], [False, False, False, True]])
    am = np.triu(np.ones((5, 4), dtype=bool), 1)
    fam = _r(5, 4, seed=8)
    for avg in (True, False):
        for mask in (am, fam):
            em, tm = _pair("MultiheadAttention", (8, 2), {"batch_first": True})

            def call(m, ins, avg=avg, mask=mask):
                lib = ember if isinstance(ins[0], ember.Tensor) else torch
                return m(ins[0], ins[1], ins[2], key_padding_mask=lib.from_numpy(kpm.copy()),
                         attn_mask=lib.from_numpy(mask.copy()), need_weights=True, average_attn_weights=avg)
            _compare(em, tm, [q, k, v], call)
    em, tm = _pair("MultiheadAttention", (8, 2), {})
    _compare(em, tm, [q.transpose(1, 0, 2)] * 3, lambda m, ins: m(ins[0], ins[1], ins[2], need_weights=False))


def test_transformer_masks_match_torch():
    torch = require_torch()
    em, tm = _pair("Transformer", (8, 2, 1, 2, 16), {"dropout": 0.0, "batch_first": True})
    src, tgt = _r(2, 5, 8), _r(2, 4, 8, seed=1)
    spm = np.array([[False] * 4 + [True], [False] * 5])

    def call(m, ins):
        lib = ember if isinstance(ins[0], ember.Tensor) else torch
        tmask = lib.nn.Transformer.generate_square_subsequent_mask(4)
        return m(ins[0], ins[1], tgt_mask=tmask, src_key_padding_mask=lib.from_numpy(spm.copy()),
                 memory_key_padding_mask=lib.from_numpy(spm.copy()), tgt_is_causal=True)
    _compare(em, tm, [src, tgt], call)
    np.testing.assert_array_equal(enn.Transformer.generate_square_subsequent_mask(3).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())


def test_embedding_bag_offsets_max_matches_torch():
    torch = require_torch()
    for mode in ("max", "mean", "sum"):
        for last in (False, True):
            em, tm = _pair("EmbeddingBag", (7, 4), {"mode": mode, "include_last_offset": last, "padding_idx": 3})
            idx = np.array([1, 3, 3, 5, 2, 2, 6, 0, 3, 4], dtype=np.int64)
            off = np.array([0, 2, 2, 5, 7, 10] if last else [0, 2, 2, 5, 7, 8], dtype=np.int64)

            def call(m, ins):
                lib = ember if isinstance(ins[0], ember.Tensor) else torch
                return m(ins[0], lib.from_numpy(off.copy()))
            _compare(em, tm, [idx], call)
    # per_sample_weights (mode='sum'): gradients reach the weights too
    em, tm = _pair("EmbeddingBag", (7, 4), {"mode": "sum"})
    idx = np.array([1, 3, 3, 5, 2, 2, 6, 0], dtype=np.int64)
    psw = _r(8, seed=4)

    def weighted(m, ins):
        lib = ember if isinstance(ins[0], ember.Tensor) else torch
        return m(ins[0], lib.from_numpy(np.array([0, 3, 3, 6])), per_sample_weights=ins[1])
    _compare(em, tm, [idx, psw], weighted)
    # ties between different rows: the gradient goes to the first row of the bag, as torch
    em, tm = _pair("EmbeddingBag", (4, 2), {"mode": "max"})
    with ember.no_grad():
        em.weight.fill_(1.0)
    with torch.no_grad():
        tm.weight.fill_(1.0)
    _compare(em, tm, [np.array([[2, 1, 3], [0, 3, 0]], dtype=np.int64)])


@pytest.mark.parametrize("case", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_matches_torch(case):
    torch = require_torch()
    _, name, kwargs, inputs = case
    tkw = {k: torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ekw = {k: ember.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tm, em = getattr(torch.nn, name)(**tkw), getattr(enn, name)(**ekw)
    _compare(em, tm, inputs)


def test_ctc_loss_matches_torch():
    torch = require_torch()
    T_, N, C, S = 12, 3, 5, 4
    logits = _r(T_, N, C)
    targets = _int(C - 1, N, S) + 1
    il, tl = np.array([12, 10, 8]), np.array([4, 3, 2])
    for red in ("mean", "sum", "none"):
        for zi in (False, True):
            em, tm = enn.CTCLoss(reduction=red, zero_infinity=zi), torch.nn.CTCLoss(reduction=red, zero_infinity=zi)

            def call(m, ins):
                lib = ember if isinstance(ins[0], ember.Tensor) else torch
                lp = ins[0].log_softmax(2)
                return m(lp, lib.from_numpy(targets.copy()), lib.from_numpy(il.copy()), lib.from_numpy(tl.copy()))
            _compare(em, tm, [logits], call)


def test_default_initialisation_statistics_match_torch():
    """Default init follows torch's distributions: same bounds, similar spread over many weights."""
    torch = require_torch()
    cases = [("Linear", (400, 300)), ("Conv2d", (64, 32, 3)), ("ConvTranspose2d", (32, 16, 3)), ("Bilinear", (20, 30, 40)),
             ("Embedding", (500, 64)), ("LSTM", (64, 128)), ("GRU", (64, 128)), ("RNN", (64, 128)),
             ("MultiheadAttention", (64, 4)), ("PReLU", ()), ("LayerNorm", (64,)), ("BatchNorm2d", (16,)),
             ("Conv1d", (16, 32, 5)), ("GroupNorm", (4, 16)), ("LSTMCell", (32, 64)), ("GRUCell", (32, 64)),
             ("RNNCell", (32, 64)), ("EmbeddingBag", (500, 64)), ("ConvTranspose1d", (16, 32, 5)),
             ("TransformerEncoderLayer", (64, 4, 128)), ("TransformerDecoderLayer", (64, 4, 128)),
             ("LSTM", (32, 64, 2, True, False, 0.0, True, 16)), ("BatchNorm1d", (16,))]
    for name, args in cases:
        torch.manual_seed(0)
        tm = getattr(torch.nn, name)(*args)
        ember.manual_seed(0)  # deterministic: the statistics below are checked on one fixed draw
        em = getattr(enn, name)(*args)
        tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
        assert list(tp) == list(ep), name
        for k in tp:
            a, b = ep[k].detach().numpy(), tp[k].detach().numpy()
            assert a.shape == b.shape and a.dtype == b.dtype, (name, k)
            if np.all(b == b.flat[0]):
                np.testing.assert_array_equal(a, b, err_msg=f"{name}.{k}")
                continue
            if b.size < 64:  # small (biases): only the bound
                assert np.abs(a).max() <= np.abs(b).max() * 1.5 + 1e-6, (name, k)
                continue
            assert abs(a.max()) <= abs(b).max() * 1.05 + 1e-6 and abs(a.min()) <= abs(b).max() * 1.05 + 1e-6, (name, k)
            np.testing.assert_allclose(a.std(), b.std(), rtol=max(0.1, 4 / np.sqrt(2 * b.size)), err_msg=f"{name}.{k}")
            np.testing.assert_allclose(a.mean(), b.mean(), atol=5 * b.std() / np.sqrt(b.size) + 1e-6, err_msg=f"{name}.{k}")
