"""ember.autograd.Function: autograd nodes defined in Python.

A subclass defines ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods
(or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) and is used through
``MyFunction.apply(*args)``. The node is a C++ ``PyFunctionNode`` in the same graph as the
built-in ops (csrc/python/autograd.cpp, Note [Python Function nodes]); it is named
``<ClassName>Backward`` and ``y.grad_fn`` gives access to ctx attributes.
"""
import functools

from ember import _C
from ember.autograd.grad_mode import no_grad

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "InplaceFunction"]


class FunctionCtx:
    """The ``ctx`` object handed to forward/setup_context and backward."""

    def save_for_backward(self, *tensors):
        """Save tensors (or None) for backward; read them back with ``ctx.saved_tensors``.

        Saved tensors are version-checked: modifying one in place before backward raises.
        """
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        """Mark input tensors that forward modified in place (they must be returned as outputs)."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        """Mark outputs that get no gradient (backward still receives a grad slot for them)."""
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        """If False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        saved = getattr(self, "_saved", None)
        if saved is None:
            return tuple(getattr(self, "to_save", ()) or ())
        return tuple(None if s is None else s.unpack() for s in saved)

    @property
    def saved_variables(self):  # deprecated alias
        return self.saved_tensors

    def mark_shared_storage(self, *pairs):
        raise RuntimeError("mark_shared_storage is deprecated. Tensors with shared storages are automatically tracked.")


class BackwardCFunction(FunctionCtx):
    """Base of the per-Function ctx classes (``MyFunctionBackward``)."""

    _forward_cls = None

    def apply(self, *args):
        return self._forward_cls._backward_impl()(self, *args)

    def name(self):
        return type(self).__name__


class FunctionMeta(type):
    """Gives each Function subclass its ctx class ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class for custom autograd operations; see the module docstring."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @classmethod
    def _backward_impl(cls):
        backward_fn, vjp_fn = cls.backward, cls.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                               "You should only implement one of them.")
        return vjp_fn if vjp_fn is not Function.vjp else backward_fn

    @classmethod
    def apply(cls, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{cls.__name__}.apply() takes no keyword arguments")
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        ctx.materialize_grads = True
        setup_style = cls.setup_context is not Function.setup_context
        with no_grad():
            if setup_style:
                outputs = cls.forward(*args)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args)
        single = not isinstance(outputs, tuple)
        linked = _C._function_link(ctx, cls._backward_impl(), cls._backward_cls.__name__, args,
                                   (outputs,) if single else outputs)
        return linked[0] if single else linked


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class _DelayedError(Function):
    """Outputs that raise `msg` when differentiated (used by once_differentiable)."""

    @staticmethod
    def forward(ctx, msg, *inputs):
        ctx.msg = msg
        return tuple(None if t is None else t.clone() for t in inputs)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.msg)


def once_differentiable(fn):
    """Decorate a backward that is not itself differentiable: it runs under no_grad, and
    differentiating its result (create_graph=True) raises instead of silently giving zeros."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _C.is_grad_enabled():
            return outputs
        if not any(isinstance(a, _C.Tensor) and a.requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs

        def fake_requires_grad(v):
            if v is not None:
                v = v.detach()
                v.requires_grad_(True)
            return v

        wrapped = _DelayedError.apply(
            "trying to differentiate twice a function that was marked with @once_differentiable",
            *[fake_requires_grad(v) for v in outs])
        return wrapped[0] if single else wrapped

    return wrapper
