"""ember.nn.functional: PyTorch's functional forms, written with ember ops.

Where the dedicated C++ op exists (ember.clamp, ember.abs, ember.log_softmax, ember._C._nn.*) it is
used; a few ops fall back to exact compositions of older ops (clamp via relu, abs via relu) so that
modules work on builds that lack them. Ops with no fallback raise when the C++ op is missing.
"""
import math
import warnings

import ember
from ember import _C

Tensor = _C.Tensor

_nn = getattr(_C, "_nn", None)


def _native(name):
    """The C++ op `name` from ember._C._nn or ember._C._ops, or None."""
    fn = getattr(_nn, name, None) if _nn is not None else None
    return fn if fn is not None else getattr(_C._ops, name, None)


def _op(name):
    fn = getattr(ember, name, None)
    if fn is None:
        raise NotImplementedError(f"[ember.nn.functional] needs ember.{name}, which this build does not have yet")
    return fn


# ---- small exact compositions used when the C++ op is missing
def _abs(x):
    return ember.abs(x) if hasattr(ember, "abs") else ember.relu(x) + ember.relu(-x)


def _clamp_min(x, lo):
    if hasattr(ember, "clamp_min"):
        return ember.clamp_min(x, lo)
    return ember.relu(x - lo) + lo


def _clamp_max(x, hi):
    if hasattr(ember, "clamp_max"):
        return ember.clamp_max(x, hi)
    return hi - ember.relu(hi - x)


def _clamp(x, lo=None, hi=None):
    if hasattr(ember, "clamp"):
        return ember.clamp(x, lo, hi)
    if lo is not None:
        x = _clamp_min(x, lo)
    if hi is not None:
        x = _clamp_max(x, hi)
    return x


def _log1p(x):
    return ember.log1p(x) if hasattr(ember, "log1p") else ember.log(x + 1)


def _has_cmp():
    return hasattr(Tensor, "__gt__") and hasattr(ember, "gt")


# ---- reductions helpers
class _Reduction:
    @staticmethod
    def legacy_get_string(size_average, reduce, emit_warning=True):
        if size_average is None:
            size_average = True
        if reduce is None:
            reduce = True
        if size_average and reduce:
            ret = "mean"
        elif reduce:
            ret = "sum"
        else:
            ret = "none"
        if emit_warning:
            warnings.warn("size_average and reduce args will be deprecated, please use "
                          f"reduction='{ret}' instead.", stacklevel=3)
        return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _Reduction.legacy_get_string(size_average, reduce)
    return reduction


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


# ---- linear
def linear(input, weight, bias=None):
    fn = _native("linear")
    if fn is not None:
        return fn(input, weight, bias)
    out = ember.matmul(input, weight.t())
    return out + bias if bias is not None else out


def bilinear(input1, input2, weight, bias=None):
    # y_k = x1 W_k x2 + b_k ; (.., 1, 1, in1) @ (out, in1, in2) -> (.., out, 1, in2)
    fn = _native("bilinear")
    if fn is not None:
        return fn(input1, input2, weight, bias)
    t = ember.matmul(input1.unsqueeze(-2).unsqueeze(-3), weight).squeeze(-2)
    out = (t * input2.unsqueeze(-2)).sum(-1)
    return out + bias if bias is not None else out


# ---- activations
def relu(input, inplace=False):
    return input.relu_() if inplace else ember.relu(input)


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    fn = _native("hardtanh")
    if fn is not None and not inplace:
        return fn(input, min_val, max_val)
    out = _clamp(input, min_val, max_val)
    return input.copy_(out) if inplace else out


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    fn = _native("leaky_relu")
    if fn is not None:
        out = fn(input, negative_slope)
    elif _has_cmp():
        out = ember.where(input > 0, input, input * negative_slope)
    else:
        out = ember.relu(input) - ember.relu(-input) * negative_slope
    return input.copy_(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    fn = _native("elu")
    if fn is not None:
        out = fn(input, alpha)
    else:
        out = ember.relu(input) + (ember.exp(-ember.relu(-input)) - 1) * alpha
    return input.copy_(out) if inplace else out


def selu(input, inplace=False):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    out = elu(input, alpha) * scale
    return input.copy_(out) if inplace else out


def celu(input, alpha=1.0, inplace=False):
    out = ember.relu(input) + (ember.exp(-ember.relu(-input) / alpha) - 1) * alpha
    return input.copy_(out) if inplace else out


def gelu(input, approximate="none"):
    fn = _native("gelu")
    if fn is not None:
        return fn(input, approximate=approximate)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (ember.tanh(inner) + 1)
    if approximate != "none":
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate}")
    return input * 0.5 * (_op("erf")(input * (1.0 / math.sqrt(2.0))) + 1)


def silu(input, inplace=False):
    out = input * ember.sigmoid(input)
    return input.copy_(out) if inplace else out


def softplus(input, beta=1.0, threshold=20.0):
    fn = _native("softplus")
    if fn is not None:
        return fn(input, beta, threshold)
    x = input * beta if beta != 1 else input
    # log(1 + exp(x)) = relu(x) + log1p(exp(-|x|)), stable for every x
    out = ember.relu(x) + _log1p(ember.exp(-_abs(x)))
    out = out / beta if beta != 1 else out
    if _has_cmp():
        # torch returns x itself where beta * x > threshold
        out = ember.where(x > threshold, input, out)
    return out


def mish(input, inplace=False):
    out = input * ember.tanh(softplus(input))
    return input.copy_(out) if inplace else out


def sigmoid(input):
    return ember.sigmoid(input)


def tanh(input):
    return ember.tanh(input)


def logsigmoid(input):
    fn = _native("logsigmoid")
    return fn(input) if fn is not None else -softplus(-input)


def softsign(input):
    return input / (_abs(input) + 1)


def hardsigmoid(input, inplace=False):
    out = relu6(input + 3) / 6
    return input.copy_(out) if inplace else out


def hardswish(input, inplace=False):
    out = input * relu6(input + 3) / 6
    return input.copy_(out) if inplace else out


def tanhshrink(input):
    return input - ember.tanh(input)


def softshrink(input, lambd=0.5):
    return input - _clamp(input, -lambd, lambd)


def hardshrink(input, lambd=0.5):
    return ember.where(_abs(input) > lambd, input, ember.zeros_like(input))


def threshold(input, threshold, value, inplace=False):
    out = ember.where(input > threshold, input, ember.full_like(input, value))
    return input.copy_(out) if inplace else out


def prelu(input, weight):
    w = weight
    if weight.numel() > 1 and input.dim() >= 2:
        w = weight.reshape([1, -1] + [1] * (input.dim() - 2))
    if _has_cmp():
        return ember.where(input >= 0, input, input * w)
    return ember.relu(input) - ember.relu(-input) * w


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        slope = ember.empty_like(input).uniform_(lower, upper)
        out = ember.where(input >= 0, input, input * slope)
        return input.copy_(out) if inplace else out
    return leaky_relu(input, (lower + upper) / 2, inplace)


def glu(input, dim=-1):
    n = input.size(dim)
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    a = input.narrow(dim, 0, n // 2)
    b = input.narrow(dim, n // 2, n // 2)
    return a * ember.sigmoid(b)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return _op("softmax")(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return _op("log_softmax")(input, dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if p == 2:
        norm = ember.sqrt((input * input).sum(dim, keepdim=True))
    else:
        norm = _op("linalg").vector_norm(input, p, dim, keepdim=True) if hasattr(ember, "linalg") \
            else input.norm(p, dim, keepdim=True)
    return input / _clamp_min(norm, eps).expand_as(input)


# ---- dropout (needs ember.bernoulli / Tensor.bernoulli_)
def _bernoulli_mask(like, shape, keep):
    if hasattr(Tensor, "bernoulli_"):
        return ember.empty(shape, dtype=like.dtype, device=like.device).bernoulli_(keep)
    return _op("bernoulli")(ember.full(shape, keep, dtype=like.dtype, device=like.device))


def _feature_dropout(input, p, training, inplace, batched_dim):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    shape = list(input.shape)
    unbatched = input.dim() == batched_dim - 1
    nfeat = 1 if unbatched else 2
    mask_shape = shape[:nfeat] + [1] * (len(shape) - nfeat)
    if p == 1.0:
        out = input * 0.0
    else:
        out = input * (_bernoulli_mask(input, mask_shape, 1.0 - p) / (1.0 - p))
    return input.copy_(out) if inplace else out


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input.")
    return _feature_dropout(input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 4)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 5)


def _alpha_dropout(input, p, training, inplace, feature):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    alpha_p = 1.7580993408473766  # selu_alpha * selu_scale
    shape = list(input.shape)
    if feature:
        shape = shape[:2] + [1] * (len(shape) - 2)
    keep = _bernoulli_mask(input, shape, 1.0 - p)
    a = 1.0 / math.sqrt((alpha_p * alpha_p * p + 1) * (1 - p))
    b = (keep - 1) * (alpha_p * a) + alpha_p * a * p
    out = input * keep * a + b
    return input.copy_(out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, True)


# ---- distances
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    fn = _native("cosine_similarity")
    if fn is not None:
        return fn(x1, x2, dim, eps)
    n1 = _clamp_min(ember.sqrt((x1 * x1).sum(dim, keepdim=True)), eps)
    n2 = _clamp_min(ember.sqrt((x2 * x2).sum(dim, keepdim=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = x1 - x2 + eps
    dim = -1 if max(x1.dim(), x2.dim()) > 0 else 0
    if p == 2:
        return ember.sqrt((d * d).sum(dim, keepdim=keepdim))
    if p == 1:
        return _abs(d).sum(dim, keepdim=keepdim)
    if p == math.inf:
        return _abs(d).amax(dim, keepdim=keepdim)
    return (_abs(d) ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)


# ---- embedding / one_hot / padding / pixel shuffle
def one_hot(input, num_classes=-1):
    return _C._ops.one_hot(input, num_classes)


def _embedding_renorm_(weight, input, max_norm, norm_type):
    import numpy as np
    with ember.no_grad():
        idx = np.unique(input.reshape(-1).cpu().numpy())
        w = weight.detach()
        for i in idx.tolist():
            row = w[int(i)]
            if norm_type == 2:
                norm = math.sqrt(float((row * row).sum()))
            else:
                norm = float(np.sum(np.abs(row.cpu().numpy().astype(np.float64)) ** norm_type) ** (1.0 / norm_type))
            if norm > max_norm:
                row.mul_(max_norm / (norm + 1e-7))


def pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    oc = c // (r * r)
    nb = len(batch)
    x = input.reshape(list(batch) + [oc, r, r, h, w])
    perm = list(range(nb)) + [nb, nb + 3, nb + 1, nb + 4, nb + 2]
    return x.permute(*perm).reshape(list(batch) + [oc, h * r, w * r])


def pixel_unshuffle(input, downscale_factor):
    r = downscale_factor
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError("pixel_unshuffle expects height and width to be divisible by downscale_factor")
    nb = len(batch)
    x = input.reshape(list(batch) + [c, h // r, r, w // r, r])
    perm = list(range(nb)) + [nb, nb + 2, nb + 4, nb + 1, nb + 3]
    return x.permute(*perm).reshape(list(batch) + [c * r * r, h // r, w // r])


# ---- losses
def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=2)
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = _abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    a = _abs(input - target)
    if beta == 0:
        return _reduce(a, reduction)
    m = _clamp_max(a, beta)  # 0.5 m^2 / beta + (a - m) == torch's two branches
    return _reduce(m * m * (0.5 / beta) + (a - m), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_reduction(reduction)
    a = _abs(input - target)
    m = _clamp_max(a, delta)
    loss = m * m * 0.5 + (a - m) * delta
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    # torch clamps the logs at -100 so that 0 and 1 inputs give finite losses
    log_x = _clamp_min(ember.log(input), -100.0)
    log_1mx = _clamp_min(ember.log(1 - input), -100.0)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    # log(1 + exp(-x)) = -logsigmoid(x): one exact op, so the gradient at x == 0 is torch's (no relu/abs kink)
    softplus_neg = -logsigmoid(input)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_weight_view(weight, ndim):
    # (C,) -> broadcastable against (N, C, d1, ...)
    return weight.reshape([1, -1] + [1] * (ndim - 2)) if ndim >= 2 else weight


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = ember.exp(target) * (target - input)
    else:
        loss = _op("xlogy")(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.size(0) if input.dim() != 0 else loss.sum()
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = _clamp_min(-target * (input1 - input2) + margin, 0.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    zeros = ember.zeros_like(input)
    margin_clamp = _clamp_min(margin - input, 0.0)
    loss = ember.where(target != 1, margin_clamp, zeros) + ember.where(target != -1, input, zeros)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    eps = 1e-12
    d = target.dim()
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + eps
    m2 = (input2 * input2).sum(d) + eps
    cos = prod / ember.sqrt(m1 * m2)
    zeros = ember.zeros_like(cos)
    loss = ember.where(target == 1, 1 - cos, zeros) + ember.where(target == -1, _clamp_min(cos - margin, 0.0), zeros)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = _op("minimum")(d_neg, d_swap)
    loss = _clamp_min(d_pos - d_neg + margin, 0.0)
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    _check_reduction(reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _op("minimum")(d_neg, dist(positive, negative))
    return _reduce(_clamp_min(d_pos - d_neg + margin, 0.0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = ember.exp(input) - target * input
    else:
        loss = input - target * ember.log(input + eps)
    if full:
        safe = ember.where(target > 1, target, ember.ones_like(target))
        stirling = safe * ember.log(safe) - safe + ember.log(safe * (2 * math.pi)) * 0.5
        loss = loss + ember.where(target > 1, stirling, ember.zeros_like(stirling))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    _check_reduction(reduction)
    if isinstance(var, (int, float)):
        var = ember.full_like(input, float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.size(-1) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if bool((var.detach() < 0).any()) if _has_cmp() else False:
        raise ValueError("var has negative entry/entries")
    # clamp var for stability without changing its gradient (torch clamps a clone under no_grad)
    vd = var.detach()
    var = var + (_clamp_min(vd, eps) - vd)
    d = input - target
    loss = (ember.log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() > 1 else input.unsqueeze(0)
    t = target.reshape(-1, 1)
    x_y = _op("gather")(x, 1, t)
    z = _clamp_min(x - x_y + margin, 0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * _op("index_select")(weight, 0, t.reshape(-1)).unsqueeze(1)
    mask = _op("one_hot")(t.reshape(-1), x.size(1)).to(x.dtype)
    loss = (z * (1 - mask)).sum(1) / x.size(1)
    if input.dim() == 1:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("math", "warnings", "ember", "Tensor")]


# ---- convolution, pooling, normalisation (C++ ops in ember._C._nn)
def _single(v):
    return v if isinstance(v, (tuple, list)) else (v,)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _C._nn.conv1d(input, weight, bias, _single(stride), padding if isinstance(padding, str) else _single(padding),
                         _single(dilation), groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _C._nn.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _C._nn.conv_transpose1d(input, weight, bias, _single(stride), _single(padding), _single(output_padding),
                                   groups, _single(dilation))


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _C._nn.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    from ember.nn._functional.adaptive import check_pool2d_output
    check_pool2d_output(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _C._nn.max_pool2d_with_indices(input, kernel_size, stride if stride else None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    from ember.nn._functional.adaptive import check_pool2d_output
    check_pool2d_output(input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = _C._nn.max_pool2d_with_indices(input, kernel_size, stride if stride else None, padding, dilation,
                                              ceil_mode)
    return (out, idx) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s = _single(kernel_size)[0], (_single(stride)[0] if stride else None)
    from ember.nn._functional.adaptive import check_pool2d_output
    check_pool2d_output(input.unsqueeze(-2), (1, k), (1, s or k), (0, _single(padding)[0]),
                        (1, _single(dilation)[0]), ceil_mode)
    out, idx = _C._nn.max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s) if s else None,
                                              (0, _single(padding)[0]), (1, _single(dilation)[0]), ceil_mode)
    out = out.squeeze(-2)
    return (out, idx.squeeze(-2)) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    from ember.nn._functional.adaptive import check_pool2d_output
    check_pool2d_output(input, kernel_size, stride, padding, 1, ceil_mode)
    return _C._nn.avg_pool2d(input, kernel_size, stride if stride else None, padding, ceil_mode, count_include_pad,
                             divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k, s = _single(kernel_size)[0], (_single(stride)[0] if stride else None)
    from ember.nn._functional.adaptive import check_pool2d_output
    check_pool2d_output(input.unsqueeze(-2), (1, k), (1, s or k), (0, _single(padding)[0]), 1, ceil_mode)
    return _C._nn.avg_pool2d(input.unsqueeze(-2), (1, k), (1, s) if s else None, (0, _single(padding)[0]), ceil_mode,
                             count_include_pad, None).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    return _C._nn.adaptive_avg_pool2d(input, output_size)


def adaptive_avg_pool1d(input, output_size):
    return _C._nn.adaptive_avg_pool2d(input.unsqueeze(-2), (1, _single(output_size)[0])).squeeze(-2)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    from ember.nn._functional.adaptive import adaptive_max_pool2d_any
    out, idx = adaptive_max_pool2d_any(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    from ember.nn._functional.adaptive import adaptive_max_pool2d_any
    out, idx = adaptive_max_pool2d_any(input.unsqueeze(-2), (1, _single(output_size)[0]))
    return (out.squeeze(-2), idx.squeeze(-2)) if return_indices else out.squeeze(-2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return _C._nn.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return _C._nn.layer_norm(input, tuple(_single(normalized_shape)), weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    return _C._nn.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    n, c = input.shape[0], input.shape[1]
    folded = input.reshape(1, n * c, *input.shape[2:])
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    out = _C._nn.batch_norm(folded, rm, rv, None, None, use_input_stats, momentum, eps).reshape(input.shape)
    if running_mean is not None and use_input_stats:
        with ember.no_grad():
            running_mean.copy_(rm.view(n, c).mean(0))
            running_var.copy_(rv.view(n, c).mean(0))
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    div = input * input
    div = div.unsqueeze(1)
    shape = div.shape
    div = div.reshape(shape[0], 1, shape[2], -1)
    div = _C._ops.pad(div, (0, 0, size // 2, (size - 1) // 2)) if hasattr(_C._ops, "pad") else div
    div = avg_pool2d(div, (size, 1), stride=1).reshape(shape).squeeze(1)
    div = (div * alpha + k) ** beta
    return input / div
from ._functional.attention import *  # noqa: E402,F401,F403
from ._functional.spatial import *  # noqa: E402,F401,F403


from ._functional.fused import *  # noqa: E402,F401,F403
from ._functional.core import *  # noqa: E402,F401,F403
