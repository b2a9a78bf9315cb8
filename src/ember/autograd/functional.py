"""ember.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp built on autograd.grad
(reverse mode only; jvp and hvp use the double-vjp trick)."""
import numpy as np

import ember
from ember import _C

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x):
    return ((x,), False) if isinstance(x, _C.Tensor) else (tuple(x), True)


def _grad_inputs(inputs, create_graph):
    # Fresh leaves that require grad, keeping the graph when create_graph=True.
    out = []
    for x in inputs:
        x = x if (create_graph and x.requires_grad) else x.detach()
        out.append(x.requires_grad_(True) if x.is_leaf else x)
    return tuple(out)


def _grad(outputs, inputs, grad_outputs, create_graph):
    res = ember.autograd.grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                              allow_unused=True)
    return tuple(ember.zeros_like(i) if r is None else r for r, i in zip(res, inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Return (func(inputs), v^T J)."""
    inputs, is_tuple = _as_tuple(inputs)
    with ember.enable_grad():
        inputs = _grad_inputs(inputs, create_graph)
        outputs = func(*inputs)
        outs, out_tuple = _as_tuple(outputs)
        if v is None:
            if any(o.numel() != 1 for o in outs):
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            vs = tuple(ember.ones_like(o) for o in outs)
        else:
            vs, _ = _as_tuple(v)
        grads = _grad(outs, inputs, vs, create_graph)
    outs = outs if create_graph else tuple(o.detach() for o in outs)
    grads = grads if create_graph else tuple(g.detach() for g in grads)
    return (outs if out_tuple else outs[0]), (grads if is_tuple else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Return (func(inputs), J v) by differentiating a vjp with respect to its cotangent."""
    inputs, is_tuple = _as_tuple(inputs)
    with ember.enable_grad():
        inputs = _grad_inputs(inputs, create_graph)
        outs, out_tuple = _as_tuple(func(*inputs))
        if v is None:
            if any(i.numel() != 1 for i in inputs):
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            vs = tuple(ember.ones_like(i) for i in inputs)
        else:
            vs, _ = _as_tuple(v)
        us = tuple(ember.zeros_like(o).requires_grad_(True) for o in outs)
        g = _grad(outs, inputs, us, True)
        res = _grad(g, us, vs, create_graph)
    outs = outs if create_graph else tuple(o.detach() for o in outs)
    res = res if create_graph else tuple(r.detach() for r in res)
    return (outs if out_tuple else outs[0]), (res if out_tuple else res[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs: shape output.shape + input.shape per (output, input) pair."""
    inputs, is_tuple = _as_tuple(inputs)
    with ember.enable_grad():
        inputs = _grad_inputs(inputs, create_graph)
        outs, out_tuple = _as_tuple(func(*inputs))
        rows = []
        for o in outs:
            flat = o.reshape(-1)
            per_input = [[] for _ in inputs]
            for k in range(flat.numel()):
                onehot = _onehot(flat.numel(), k, o.dtype)
                g = _grad((o,), inputs, (onehot.reshape(tuple(o.shape)),), create_graph)
                for n, gi in enumerate(g):
                    per_input[n].append(gi.reshape(-1))
            jac = []
            for n, x in enumerate(inputs):
                if per_input[n]:
                    m = _stack_rows(per_input[n])
                else:
                    m = ember.zeros(0, x.numel(), dtype=x.dtype)
                jac.append(m.reshape(tuple(o.shape) + tuple(x.shape)))
            rows.append(tuple(jac))
    if not create_graph:
        rows = [tuple(j.detach() for j in r) for r in rows]
    if out_tuple and is_tuple:
        return tuple(rows)
    if out_tuple:
        return tuple(r[0] for r in rows)
    return rows[0] if is_tuple else rows[0][0]


def _onehot(n, k, dtype):
    e = np.zeros(n)
    e[k] = 1.0
    return ember.from_numpy(e).to(dtype)


def _stack_rows(rows):
    # Differentiable stacking with the ops available everywhere: sum of one-hot outer products.
    n, m = len(rows), rows[0].numel()
    out = None
    for k, r in enumerate(rows):
        e = _onehot(n, k, r.dtype).reshape(n, 1)
        term = e * r.reshape(1, m)
        out = term if out is None else out + term
    return out


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function at inputs."""
    inputs_t, is_tuple = _as_tuple(inputs)

    def grad_fn(*xs):
        out = func(*xs)
        return _grad((out,), xs, (ember.ones_like(out),), True)

    jac = jacobian(grad_fn if is_tuple else (lambda x: grad_fn(x)[0]), inputs_t if is_tuple else inputs_t[0],
                   create_graph=create_graph)
    return jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Return (func(inputs), v^T H)."""
    inputs, is_tuple = _as_tuple(inputs)
    vs, _ = _as_tuple(v)
    with ember.enable_grad():
        inputs = _grad_inputs(inputs, create_graph)
        out = func(*inputs)
        g = _grad((out,), inputs, (ember.ones_like(out),), True)
        res = _grad(g, inputs, vs, create_graph)
    res = res if create_graph else tuple(r.detach() for r in res)
    out = out if create_graph else out.detach()
    return out, (res if is_tuple else res[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Return (func(inputs), H v); equal to vhp for the symmetric Hessians of smooth functions."""
    return vhp(func, inputs, v, create_graph, strict)
