"""Gradient clipping: clip_grad_norm_ and clip_grad_value_ (torch.nn.utils)."""
import math

import ember
from ember import _C
from ember.nn.functional import _abs, _clamp

Tensor = _C.Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None], list(parameters)


def _norm(t, norm_type):
    t = t.detach()
    if norm_type == 2.0:
        return ember.sqrt((t * t).sum())
    if norm_type == 1.0:
        return _abs(t).sum()
    if norm_type == math.inf:
        return _abs(t).amax() if t.numel() else ember.zeros([])
    if norm_type == -math.inf:
        return _abs(t).amin()
    return (_abs(t) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return ember.tensor(0.0)
    norms = [_norm(g, norm_type).to(dtype=ember.float32) if g.dtype != ember.float64 else _norm(g, norm_type)
             for g in tensors]
    if norm_type == math.inf:
        total = norms[0]
        for n in norms[1:]:
            total = ember.maximum(total, n)
    else:
        if norm_type == 2.0:
            total = ember.sqrt(sum((n * n for n in norms[1:]), norms[0] * norms[0]))
        elif norm_type == 1.0:
            total = sum(norms[1:], norms[0])
        else:
            total = sum((n ** norm_type for n in norms[1:]), norms[0] ** norm_type) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads, _ = _grads(parameters)
    if not grads:
        return
    clip_coef = float(max_norm) / (float(total_norm) + 1e-6)
    clip_coef_clamped = min(clip_coef, 1.0)
    with ember.no_grad():
        for g in grads:
            g.mul_(clip_coef_clamped)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients in place so that their total norm is at most max_norm; returns the total norm."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)  # a generator is read once
    grads, _ = _grads(parameters)
    if not grads:
        return ember.tensor(0.0)
    with ember.no_grad():
        total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
        clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place to [-clip_value, clip_value]."""
    grads, _ = _grads(parameters)
    clip_value = float(clip_value)
    with ember.no_grad():
        for g in grads:
            g.copy_(_clamp(g, -clip_value, clip_value))
