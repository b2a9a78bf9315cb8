"""Ops PyTorch scripts reach for that ember composes from its C++ ops: pointwise helpers (addcmul,
logaddexp, nan_to_num, ...), counting (bincount, isin), and shape builders (diag, diag_embed, diff,
meshgrid, block_diag, cdist, ...). Gradients come from the parts; each function follows torch's
signature, defaults, dtypes and error types.
"""
import math

import numpy as np

import ember

__all__ = ["addcmul", "addcdiv", "logaddexp", "logaddexp2", "sgn", "signbit", "deg2rad", "rad2deg", "nan_to_num",
           "nan_to_num_", "heaviside", "sinc", "logit", "bincount", "isin", "diag", "diag_embed", "diff", "tril_indices",
           "triu_indices", "cartesian_prod", "block_diag", "meshgrid", "broadcast_tensors", "broadcast_to", "cdist",
           "dist", "cross"]


def _float_of(x):
    """x itself when floating, else x converted to the default float dtype (torch's int -> float rule)."""
    return x if x.is_floating_point() else x.to(ember.get_default_dtype())


# ---- pointwise

def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2."""
    result = input + value * (tensor1 * tensor2)
    return _to_out(result, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (true division; integer inputs are refused, as in torch)."""
    if not tensor1.is_floating_point() and not tensor2.is_floating_point():
        raise RuntimeError("[ember.addcdiv] Integer division with addcdiv is no longer supported, and in a future "
                           "release addcdiv will perform a true division of tensor1 and tensor2. Use "
                           "ember.addcmul(input, tensor1, ember.div(tensor1, tensor2)) instead; got dtypes "
                           f"{tensor1.dtype} and {tensor2.dtype}")
    result = input + value * (tensor1 / tensor2)
    return _to_out(result, out)


def _addcmul_(self, tensor1, tensor2, *, value=1):
    return self.add_(tensor1 * tensor2, alpha=value)


def _addcdiv_(self, tensor1, tensor2, *, value=1):
    if not tensor1.is_floating_point() and not tensor2.is_floating_point():
        raise RuntimeError("[ember.addcdiv_] Integer division with addcdiv is no longer supported")
    return self.add_(tensor1 / tensor2, alpha=value)


def _to_out(result, out):
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"[ember] out= has shape {list(out.shape)} but the result has shape {list(result.shape)}")
    return out.copy_(result)


def logaddexp(input, other):
    """log(exp(input) + exp(other)) without overflow."""
    a, b = _float_of(input), _float_of(other)
    m = ember.maximum(a, b)
    out = m + ember.log1p(ember.exp(-(a - b).abs()))
    # Equal infinities: a - b is NaN there, and the answer is the infinity itself.
    return ember.where(ember.isinf(a) & (a == b), a, out)


def logaddexp2(input, other):
    """log2(2**input + 2**other) without overflow."""
    a, b = _float_of(input), _float_of(other)
    m = ember.maximum(a, b)
    out = m + ember.log1p(ember.exp2(-(a - b).abs())) / math.log(2.0)
    return ember.where(ember.isinf(a) & (a == b), a, out)


def sgn(input):
    """The sign of a real tensor (torch.sgn extends sign to complex numbers, which ember lacks)."""
    return ember.sign(input)


def signbit(input):
    """True where the sign bit is set, including -0.0."""
    if input.dtype == ember.bool:
        return ember.zeros_like(input, dtype=ember.bool)
    if not input.is_floating_point():
        return input < 0
    # -0.0 has the sign bit set; 1 / -0.0 = -inf tells it from +0.0.
    return (input < 0) | ((input == 0) & ((1.0 / input) < 0))


def deg2rad(input):
    return _float_of(input) * (math.pi / 180.0)


def rad2deg(input):
    return _float_of(input) * (180.0 / math.pi)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """NaN -> nan, +inf -> posinf (default: the dtype's max), -inf -> neginf (default: its lowest)."""
    if not input.is_floating_point():
        return _to_out(input.clone(), out)
    info = ember.finfo(input.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    result = ember.where(ember.isnan(input), ember.full_like(input, nan), input)
    result = ember.where(result == math.inf, ember.full_like(input, posinf), result)
    result = ember.where(result == -math.inf, ember.full_like(input, neginf), result)
    return _to_out(result, out)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return input.copy_(nan_to_num(input, nan, posinf, neginf))


def heaviside(input, values):
    """0 where input < 0, values where input == 0, 1 where input > 0 (not differentiable, as in torch)."""
    if input.dtype != values.dtype:
        raise RuntimeError(f"[ember.heaviside] heaviside is not yet implemented for tensors with different dtypes; "
                           f"got {input.dtype} and {values.dtype}")
    with ember.no_grad():
        return ember.where(input == 0, values, (input > 0).to(input.dtype))


def sinc(input):
    """sin(pi x) / (pi x), with 1 at x = 0 (and a finite gradient there)."""
    x = _float_of(input)
    zero = x == 0
    safe = ember.where(zero, ember.ones_like(x), x) * math.pi
    return ember.where(zero, ember.ones_like(x), ember.sin(safe) / safe)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    p = _float_of(input)
    if eps is not None:
        p = p.clamp(eps, 1.0 - eps)
    return ember.log(p / (1 - p))


# ---- counting

def bincount(input, weights=None, minlength=0):
    """Occurrences of each value of a 1-D non-negative integer tensor (weighted sums with weights)."""
    if input.dim() != 1 or input.is_floating_point() or input.dtype == ember.bool:
        raise RuntimeError(f"[ember.bincount] bincount only supports 1-d non-negative integral inputs; got "
                           f"{input.dim()}-d {input.dtype}")
    if minlength < 0:
        raise RuntimeError(f"[ember.bincount] minlength should be >= 0, got {minlength}")
    if input.numel() and input.min().item() < 0:
        raise RuntimeError("[ember.bincount] bincount only supports 1-d non-negative integral inputs; got "
                           "negative values")
    if weights is not None and weights.shape != input.shape:
        raise RuntimeError(f"[ember.bincount] weights should be 1-d and have the same length as input; got "
                           f"{list(weights.shape)} for input {list(input.shape)}")
    length = max(minlength, input.max().item() + 1 if input.numel() else 0)
    index = input.to(ember.int64)
    if weights is None:
        return ember.zeros(length, dtype=ember.int64).index_add_(0, index, ember.ones_like(index))
    out_dtype = weights.dtype if weights.is_floating_point() else ember.float64
    return ember.zeros(length, dtype=out_dtype).index_add_(0, index, weights.to(out_dtype))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` occurs in `test_elements` (either may be a scalar)."""
    if not isinstance(elements, ember.Tensor):
        elements = ember.tensor(elements)
    if not isinstance(test_elements, ember.Tensor):
        test_elements = ember.tensor(test_elements)
    flat = test_elements.reshape(-1)
    if flat.numel() == 0:
        found = ember.zeros(elements.shape, dtype=ember.bool)
    else:
        # Sorted lookup: for each element, its insertion point in the sorted test values.
        values = flat.sort().values
        found = (elements.unsqueeze(-1) == values).any(-1) if values.numel() <= 64 else _sorted_member(elements, values)
    return ~found if invert else found


def _sorted_member(elements, sorted_values):
    """Membership by binary search on the host (the answer is a bool mask; no gradient flows)."""
    e = elements.detach().numpy()
    v = sorted_values.detach().numpy()
    pos = np.clip(np.searchsorted(v, e), 0, len(v) - 1)
    return ember.from_numpy(np.ascontiguousarray(v[pos] == e))


# ---- shape builders

def diag(input, diagonal=0):
    """1-D input: a square matrix with input on the given diagonal. 2-D input: that diagonal (a copy)."""
    if input.dim() == 1:
        n = input.shape[0] + abs(diagonal)
        out = ember.zeros(n, n, dtype=input.dtype)
        out.diagonal(diagonal).copy_(input)
        return out
    if input.dim() == 2:
        return input.diagonal(diagonal).clone()
    raise RuntimeError(f"[ember.diag] matrix or a vector expected, got {input.dim()}-d input of shape "
                       f"{list(input.shape)}")


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Batches of square matrices whose `offset` diagonal (over dims dim1, dim2) is the last dim of input."""
    nd = input.dim() + 1
    d1, d2 = dim1 % nd if -nd <= dim1 < nd else None, dim2 % nd if -nd <= dim2 < nd else None
    if d1 is None or d2 is None:
        raise IndexError(f"[ember.diag_embed] Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {dim1 if d1 is None else dim2})")
    if d1 == d2:
        raise RuntimeError(f"[ember.diag_embed] diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset)
    batch = list(input.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(n if i in (d1, d2) else batch.pop(0))
    out = ember.zeros(shape, dtype=input.dtype)
    out.diagonal(offset, d1, d2).copy_(input)
    return out


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along dim, after concatenating prepend and append."""
    if input.dim() == 0:
        raise RuntimeError("[ember.diff] diff expects input to be at least one-dimensional")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = ember.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        a, b = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
        x = (a ^ b) if x.dtype == ember.bool else a - b
    return x


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """2 x N coordinates of the lower triangle of a row x col matrix, row by row."""
    r, c = np.tril_indices(row, offset, col)
    return ember.tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or ember.int64, device=device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """2 x N coordinates of the upper triangle of a row x col matrix, row by row."""
    r, c = np.triu_indices(row, offset, col)
    return ember.tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or ember.int64, device=device)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors; indexing 'ij' (the default) or 'xy' (swaps the first two)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"[ember.meshgrid] indexing must be one of 'xy' or 'ij', but received: {indexing}")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"[ember.meshgrid] Expected 0D or 1D tensor in the tensor list but got: {t.dim()}-d")
    flat = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = [t.shape[0] for t in flat]
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = shape[i]
        grids.append(t.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """Every combination of the 1-D inputs' elements, one per row."""
    if len(tensors) == 1:
        return tensors[0]
    return ember.stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def block_diag(*tensors):
    """A block-diagonal matrix from 0-D, 1-D (one row) and 2-D blocks."""
    blocks = [t.reshape(1, -1) if t.dim() == 1 else t.reshape(1, 1) if t.dim() == 0 else t for t in tensors]
    for t in blocks:
        if t.dim() != 2:
            raise RuntimeError(f"[ember.block_diag] Input tensors must have 2 or fewer dimensions. Input has "
                               f"{t.dim()} dimensions")
    if not blocks:
        return ember.empty(1, 0)
    dtype = blocks[0].dtype
    for t in blocks[1:]:
        dtype = ember.promote_types(dtype, t.dtype)
    out = ember.zeros(sum(t.shape[0] for t in blocks), sum(t.shape[1] for t in blocks), dtype=dtype)
    r = c = 0
    for t in blocks:
        out[r:r + t.shape[0], c:c + t.shape[1]] = t
        r, c = r + t.shape[0], c + t.shape[1]
    return out


def broadcast_tensors(*tensors):
    """Views of the inputs expanded to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ember.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def broadcast_to(input, size):
    """input expanded (a view) to `size`."""
    return input.expand(size)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R)."""
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"[ember.cdist] cdist only supports at least 2D tensors, X1 got: {x1.dim()}D, "
                           f"X2 got: {x2.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"[ember.cdist] X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"[ember.cdist] cdist only supports non-negative p values, got {p}")
    if not x1.is_floating_point() or not x2.is_floating_point():
        raise RuntimeError(f"[ember.cdist] cdist only supports floating-point dtypes, X1 got: {x1.dtype}, "
                           f"X2 got: {x2.dtype}")
    diff_ = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return ember.linalg.vector_norm(diff_, p, dim=-1)


def dist(input, other, p=2):
    """The p-norm of input - other."""
    return ember.linalg.vector_norm(input - other, p)


def cross(input, other, dim=None):
    """Cross product of 3-vectors along dim (torch.cross: by default the first dim of size 3)."""
    if input.dim() != other.dim():
        raise RuntimeError(f"[ember.cross] inputs must have the same number of dimensions: {input.dim()} vs "
                           f"{other.dim()}")
    a, b = broadcast_tensors(input, other)
    if dim is None:
        sizes = [i for i, s in enumerate(a.shape) if s == 3]
        if not sizes:
            raise RuntimeError(f"[ember.cross] no dimension of size 3 in input of shape {list(a.shape)}")
        dim = sizes[0]
    if a.shape[dim] != 3:
        raise RuntimeError(f"[ember.cross] inputs dimension {dim} must have length 3; got shape {list(a.shape)}")
    a0, a1, a2 = (a.select(dim, i) for i in range(3))
    b0, b1, b2 = (b.select(dim, i) for i in range(3))
    return ember.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


# Tensor methods, as torch has them.
_METHODS = {"addcmul": addcmul, "addcdiv": addcdiv, "addcmul_": _addcmul_, "addcdiv_": _addcdiv_,
            "logaddexp": logaddexp, "logaddexp2": logaddexp2, "sgn": sgn, "signbit": signbit, "deg2rad": deg2rad,
            "rad2deg": rad2deg, "nan_to_num": nan_to_num, "nan_to_num_": nan_to_num_, "heaviside": heaviside,
            "sinc": sinc, "logit": logit, "bincount": bincount, "diag": diag, "diag_embed": diag_embed,
            "diff": diff, "broadcast_to": broadcast_to, "cross": cross, "dist": dist}


def install_tensor_methods(tensor_cls):
    for name, fn in _METHODS.items():
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, fn)
