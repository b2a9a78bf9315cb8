"""gradcheck / gradgradcheck: compare analytical gradients (the autograd graph) with central finite
differences, as torch.autograd.gradcheck does in its slow (full Jacobian) mode.

Use float64 inputs: float32 finite differences are too noisy for the default tolerances.
"""
import numpy as np

import ember
from ember import _C

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when a check fails (and raise_exception=True)."""


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x):
    return isinstance(x, _C.Tensor)


def _differentiable_outputs(outputs):
    return tuple(o for o in _as_tuple(outputs) if _is_tensor(o) and o.requires_grad)


def _to_numpy(t):
    return t.detach().contiguous().numpy().astype(np.float64, copy=True)


def _numerical_jacobians(func, inputs, wrt, outputs, eps):
    """J[i][o] of shape (numel(inputs[i]), numel(outputs[o])) by central differences."""
    # Fresh copies that keep requires_grad, so a func that differentiates inside (gradgradcheck) works.
    base = [_copy_like(x) if _is_tensor(x) else x for x in inputs]
    jacobians = []
    for i in wrt:
        x = inputs[i]
        arr = _to_numpy(x).reshape(-1)
        cols = [np.zeros((arr.size, o.numel())) for o in outputs]
        for j in range(arr.size):
            vals = []
            for delta in (eps, -eps):
                pert = arr.copy()
                pert[j] += delta
                args = list(base)
                args[i] = _copy_like(x, pert.reshape(tuple(x.shape)))
                outs = _as_tuple(func(*args))
                vals.append([_to_numpy(o).reshape(-1) for o in outs if _is_tensor(o)])
            for k, o in enumerate(outputs):
                idx = _output_index(func, k)
                cols[k][j] = (vals[0][idx] - vals[1][idx]) / (2 * eps)
        jacobians.append(cols)
    return jacobians


def _copy_like(x, values=None):
    t = x.detach().clone() if values is None else ember.from_numpy(values).to(x.dtype)
    if x.requires_grad:
        t.requires_grad_(True)
    return t


def _output_index(func, k):
    # Map the k-th differentiable output back to its position among tensor outputs.
    return func._diff_index[k] if hasattr(func, "_diff_index") else k


def _analytical_jacobians(outputs, inputs, wrt):
    """J[i][o] by one autograd.grad call per output element (one-hot grad_outputs)."""
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for o in outputs] for i in wrt]
    targets = [inputs[i] for i in wrt]
    for k, o in enumerate(outputs):
        flat_n = o.numel()
        for e in range(flat_n):
            onehot = np.zeros(flat_n)
            onehot[e] = 1.0
            g_out = ember.from_numpy(onehot.reshape(tuple(o.shape))).to(o.dtype)
            grads = ember.autograd.grad([o], targets, [g_out], retain_graph=True, allow_unused=True)
            for n, g in enumerate(grads):
                if g is not None:
                    jac[n][k][:, e] = _to_numpy(g).reshape(-1)
    return jac


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Check gradients of `func` at `inputs` against finite differences.

    Returns True when every analytical Jacobian entry matches the numerical one within
    ``atol + rtol * |numerical|``; otherwise raises GradcheckError (a RuntimeError), or returns
    False when ``raise_exception=False``.
    """
    tupled = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(tupled) if _is_tensor(x) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them have "
                         "requires_grad=True.")
    for i in wrt:
        if tupled[i].dtype not in (ember.float64,):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. This check "
                          "will likely fail if all the inputs are not of double precision floating point. ")
    outputs_all = _as_tuple(func(*tupled))
    tensor_outs = [o for o in outputs_all if _is_tensor(o)]
    diff_index = [n for n, o in enumerate(tensor_outs) if o.requires_grad]
    outputs = [tensor_outs[n] for n in diff_index]
    if not outputs:
        # Nothing differentiable: every numerical derivative must be zero.
        for n, o in enumerate(tensor_outs):
            if not o.is_floating_point():
                continue
        outputs = [o for o in tensor_outs if o.is_floating_point()]
        diff_index = [n for n, o in enumerate(tensor_outs) if o.is_floating_point()]
        numerical = _numerical_jacobians(_Indexed(func, diff_index), tupled, wrt, outputs, eps)
        for i, cols in zip(wrt, numerical):
            for k, col in enumerate(cols):
                if np.any(np.abs(col) > atol):
                    return _fail(f"Numerical gradient for function expected to be zero for output {k} with respect "
                                 f"to input {i}", raise_exception)
        return True

    numerical = _numerical_jacobians(_Indexed(func, diff_index), tupled, wrt, outputs, eps)
    analytical = _analytical_jacobians(outputs, tupled, wrt)
    for n, i in enumerate(wrt):
        for k in range(len(outputs)):
            a, num = analytical[n][k], numerical[n][k]
            if not np.allclose(a, num, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {k} with respect to input {i},\n"
                             f"numerical:{num}\nanalytical:{a}\n", raise_exception)
    # Reentrancy: the backward must give the same values when run again.
    again = _analytical_jacobians(outputs, tupled, wrt)
    for n in range(len(wrt)):
        for k in range(len(outputs)):
            if np.max(np.abs(again[n][k] - analytical[n][k]), initial=0.0) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches "
                             f"numerical gradient. The tolerance for nondeterminism was {nondet_tol}.",
                             raise_exception)
    return True


class _Indexed:
    """func, remembering which tensor outputs are the differentiable ones."""

    def __init__(self, func, diff_index):
        self.func = func
        self._diff_index = diff_index

    def __call__(self, *args):
        return self.func(*args)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> autograd.grad(create_graph=True)."""
    tupled = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _differentiable_outputs(func(*tupled))
        grad_outputs = tuple(
            ember.from_numpy(rng.standard_normal(tuple(o.shape))).to(o.dtype).requires_grad_(True) for o in outs)
    tupled_grads = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grads)
    diff_input_idx = [i for i, x in enumerate(tupled) if _is_tensor(x) and x.requires_grad]
    diff_grad_idx = [i for i, g in enumerate(tupled_grads) if _is_tensor(g) and g.requires_grad]

    def new_func(*args):
        input_args = args[:-num_outputs] if num_outputs else args
        grads = args[len(input_args):]
        outs = _differentiable_outputs(func(*input_args))
        targets = tuple(x for x in input_args if _is_tensor(x) and x.requires_grad)
        result = ember.autograd.grad(outs, targets, grads, create_graph=True, allow_unused=True)
        return tuple(r if r is not None else ember.zeros_like(t) for r, t in zip(result, targets))

    del diff_input_idx, diff_grad_idx
    return gradcheck(new_func, tupled + tupled_grads, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                     nondet_tol=nondet_tol)
