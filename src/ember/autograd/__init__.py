"""ember.autograd: backward, grad, grad-mode switches, custom Functions, gradcheck and anomaly
mode (the graph itself lives in C++)."""
import importlib as _importlib

from ember import _C
from ember.autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                                      is_grad_enabled, is_inference_mode_enabled)
from ember.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from ember.autograd.function import Function, FunctionCtx, once_differentiable
from ember.autograd.gradcheck import gradcheck, gradgradcheck  # binds the names to the functions, as torch does

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "once_differentiable", "gradcheck",
           "gradgradcheck", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "functional"]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, _C.Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(sum(tensors * grad_tensors))/d(leaf) into every leaf's .grad (only into the
    .grad of `inputs` when given)."""
    if retain_graph is None:
        retain_graph = create_graph
    _C._backward(_as_list(tensors), _as_list(grad_tensors), retain_graph, create_graph, _as_list(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """Return the gradients of outputs w.r.t. inputs without touching .grad."""
    if is_grads_batched:
        raise NotImplementedError("[ember.autograd.grad] is_grads_batched=True is not supported")
    if retain_graph is None:
        retain_graph = create_graph
    inputs_l = _as_list(inputs)
    allow = bool(allow_unused) or materialize_grads
    result = _C._grad(_as_list(outputs), inputs_l, _as_list(grad_outputs), retain_graph, create_graph, allow)
    if materialize_grads:
        import ember
        result = tuple(ember.zeros_like(i) if r is None else r for r, i in zip(result, inputs_l))
    return result


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _C.Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy Variable wrapper. Variables and Tensors merged in PyTorch 0.4: Variable(t)
    returns the tensor itself (requiring grad when asked), and every Tensor is a Variable."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, _C.Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            data.requires_grad_(True)
        return data


def __getattr__(name):
    # functional loads on first use.
    if name == "functional":
        mod = _importlib.import_module("ember.autograd.functional")
        globals()["functional"] = mod
        return mod
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
