"""ember.linalg: norms and products with torch.linalg's names and semantics.

Decompositions (inv, det, solve, svd, qr, eig*, cholesky) are not in ember yet; matrix norms that
need singular values (ord=2, -2, 'nuc') raise NotImplementedError saying so.
"""
import math

import ember

__all__ = ["vector_norm", "matrix_norm", "norm", "cross", "vecdot", "matmul", "diagonal", "multi_dot"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ord-norm of x over dim (all elements when dim is None), for any real ord including 0 and +-inf."""
    if not x.is_floating_point():
        raise RuntimeError(f"[ember.linalg.vector_norm] expected a floating point input, got {x.dtype}")
    if dtype is not None:
        x = x.to(dtype)
    scalar = x.dim() == 0
    if scalar:
        x = x.reshape(1)
    dims = list(range(x.dim())) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    a = x.abs()
    if ord == math.inf:
        result = a.amax(dims, keepdim)
    elif ord == -math.inf:
        result = a.amin(dims, keepdim)
    elif ord == 0:
        result = (x != 0).to(x.dtype).sum(dims, keepdim)
    elif ord == 1:
        result = a.sum(dims, keepdim)
    elif ord == 2:
        result = ember.norm(x, 2, dims, keepdim)
    else:
        result = a.pow(ord).sum(dims, keepdim).pow(1.0 / ord)
    if scalar:
        result = result.reshape(())
    return result if out is None else out.copy_(result)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Frobenius, 1, -1, inf and -inf matrix norms over the two dims in `dim`."""
    if A.dim() < 2:
        raise RuntimeError(f"[ember.linalg.matrix_norm] The input tensor A must have at least 2 dimensions; got "
                           f"shape {list(A.shape)}")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.dim() for d in dim)
    if ord == "fro":
        result = vector_norm(A, 2, dim=(d0, d1), keepdim=keepdim)
    elif ord in (1, -1, math.inf, -math.inf):
        # 1-norms sum down columns (over d0) then pick over d1; inf-norms the other way round.
        sum_dim, pick_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        picked = sums.amax(pick_dim, keepdim=True) if ord > 0 else sums.amin(pick_dim, keepdim=True)
        result = picked if keepdim else picked.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    elif ord in (2, -2, "nuc"):
        raise NotImplementedError(f"[ember.linalg.matrix_norm] ord={ord!r} needs singular values; ember has no SVD "
                                  "yet (use ord='fro', 1, -1, inf or -inf)")
    else:
        raise RuntimeError(f"[ember.linalg.matrix_norm] Order {ord} not supported.")
    return result if out is None else out.copy_(result)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.norm: a vector norm, or a matrix norm when ord is a string or dim has two entries."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        result = vector_norm(A, 2, dim=dim, keepdim=keepdim, dtype=dtype)
    elif isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and A.dim() == 2):
        if dim is None and A.dim() != 2:
            raise RuntimeError(f"[ember.linalg.norm] If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.dim()}D.")
        result = matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    else:
        if dim is None and A.dim() != 1:
            raise RuntimeError(f"[ember.linalg.norm] If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.dim()}D.")
        result = vector_norm(A, ord, dim=dim, keepdim=keepdim, dtype=dtype)
    return result if out is None else out.copy_(result)


def cross(input, other, *, dim=-1, out=None):
    result = ember.cross(input, other, dim=dim)
    return result if out is None else out.copy_(result)


def vecdot(x, y, *, dim=-1, out=None):
    """Dot products along dim, with broadcasting."""
    result = (x * y).sum(dim)
    return result if out is None else out.copy_(result)


def matmul(input, other, *, out=None):
    result = ember.matmul(input, other)
    return result if out is None else out.copy_(result)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices (the first may be 1-D as a row, the last 1-D as a column)."""
    if len(tensors) < 2:
        raise RuntimeError(f"[ember.linalg.multi_dot] expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.dim() not in allowed:
            raise RuntimeError(f"[ember.linalg.multi_dot] tensor {i} must be "
                               f"{'1D or 2D' if len(allowed) == 2 else '2D'} but got {t.dim()}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = ember.matmul(result, t)
    return result if out is None else out.copy_(result)
