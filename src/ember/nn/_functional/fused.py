"""Fused training ops: nll_loss, cross_entropy, embedding, embedding_bag, dropout.

nll_loss, cross_entropy (class-index targets), embedding and dropout are single C++ ops with fused
kernels (ember._C._nn); probability-target cross_entropy and embedding_bag are compositions.
"""
import numpy as np

import ember
from ember import _C
from ember.nn.functional import _check_reduction, _class_weight_view, _embedding_renorm_, _reduction

__all__ = ["nll_loss", "cross_entropy", "embedding", "embedding_bag", "dropout"]

_nn = _C._nn


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _nn.nll_loss(input, target, weight, reduction, ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not (tuple(target.shape) == tuple(input.shape) and target.is_floating_point()):
        return _nn.cross_entropy(input, target, weight, reduction, ignore_index, label_smoothing)
    # probability targets: log_softmax composition
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.size(class_dim)
    logp = ember.log_softmax(input, class_dim)
    if weight is not None:
        logp = logp * _class_weight_view(weight, input.dim())
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum() / (input.numel() / n_classes)


def _wrap_padding_idx(padding_idx, num_embeddings):
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        if padding_idx >= num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num_embeddings + padding_idx
    return padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    padding_idx = _wrap_padding_idx(padding_idx, weight.size(0))
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _nn.embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                             f"then it must have the same shape as the input ({tuple(input.shape)})")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences.")
        nbags, length = input.shape
        starts = np.arange(nbags, dtype=np.int64) * length
        ends = starts + length
        flat = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat = input
        off = offsets.detach().cpu().numpy().astype(np.int64)
        n = int(input.numel())
        if include_last_offset:
            if off.size < 1:
                raise RuntimeError("include_last_offset: number of offsets should be at least 1")
            starts, ends = off[:-1], off[1:]
        else:
            starts, ends = off, np.append(off[1:], n)
        if off.size and (off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] > n):
            raise RuntimeError("offsets must start at 0, be non-decreasing and end at most at input.size(0)")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    pad = _wrap_padding_idx(padding_idx, weight.size(0))
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    emb = _nn.embedding(weight, flat, pad, scale_grad_by_freq, sparse)  # [n, D]
    idx = flat.detach().cpu().numpy().astype(np.int64)
    keep = idx != pad if pad >= 0 else np.ones(idx.shape, dtype=bool)
    nbags, dim = len(starts), weight.size(1)
    bag_of = np.repeat(np.arange(nbags, dtype=np.int64), ends - starts)
    if mode == "max":
        return _bag_max(emb, bag_of, keep, nbags, dim)
    scale = keep.astype(np.float64)
    if mode == "mean":
        cs = np.concatenate([[0], np.cumsum(keep.astype(np.int64))])
        counts = cs[ends] - cs[starts]
        scale = scale / np.maximum(counts, 1)[bag_of]
    rows = emb * ember.tensor(scale, dtype=weight.dtype).unsqueeze(1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    out = ember.zeros([nbags, dim], dtype=weight.dtype)
    return ember.index_add(out, 0, ember.tensor(bag_of), rows)


def _bag_max(emb, bag_of, keep, nbags, dim):
    """Per-bag, per-column max of the kept rows of emb [n, D], vectorised: the max values by
    scatter_reduce('amax'), the first row reaching it by scatter_reduce('amin') over row positions,
    then one gather, so the gradient goes to that row only (torch's max_indices); empty bags are 0."""
    sel = np.nonzero(keep)[0]
    k = int(sel.size)
    rows = emb if k == emb.size(0) else emb[ember.tensor(sel)]
    dev = emb.device
    bags = ember.tensor(bag_of[sel], device=dev).unsqueeze(1).expand(k, dim)
    with ember.no_grad():
        vals = rows.detach()
        mx = ember.zeros([nbags, dim], dtype=emb.dtype, device=dev).scatter_reduce(0, bags, vals, "amax",
                                                                                   include_self=False)
        pos = ember.arange(k, device=dev).unsqueeze(1).expand(k, dim)
        pos = ember.where(vals == ember.gather(mx, 0, bags), pos, ember.full_like(pos, k))
        first = ember.full([nbags, dim], k, dtype=ember.int64, device=dev).scatter_reduce(0, bags, pos, "amin")
    padded = ember.cat([rows, ember.zeros([1, dim], dtype=emb.dtype, device=dev)])
    return ember.gather(padded, 0, first)


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if inplace:
        _nn.dropout_(input, p, training)
        return input
    return _nn.dropout(input, p, training)
