"""Module full backward hooks, built on ember.autograd.Function (identity nodes around the module).

The inputs pass through one identity node and the outputs through another: the output node records
grad_output (and runs the backward pre-hooks), the input node sees grad_input and runs the hooks.
"""
import ember
from ember import _C


def _tensors(xs):
    return [i for i, x in enumerate(xs) if isinstance(x, _C.Tensor) and x.requires_grad]


class BackwardHookState:
    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_hooked = False

    def _identity(self, xs, on_backward):
        Function = ember.autograd.Function
        idx = _tensors(xs)
        if not idx:
            return xs, False

        class _Hook(Function):
            @staticmethod
            def forward(ctx, *ts):
                return tuple(t.view_as(t) for t in ts)

            @staticmethod
            def backward(ctx, *grads):
                res = on_backward(grads)
                return tuple(res) if res is not None else grads

        outs = _Hook.apply(*[xs[i] for i in idx])
        if not isinstance(outs, tuple):
            outs = (outs,)
        xs = list(xs)
        for i, o in zip(idx, outs):
            xs[i] = o
        return tuple(xs), True

    def setup_input(self, args):
        self.n_inputs = len(args)

        def on_input_grad(grads):
            grad_input = tuple(grads)
            for hook in self.module._backward_hooks.values():
                res = hook(self.module, grad_input, self.grad_outputs)
                if res is not None:
                    grad_input = tuple(res)
            return grad_input

        new_args, self.input_hooked = self._identity(tuple(args), on_input_grad)
        return new_args

    def setup_output(self, result):
        single = isinstance(result, _C.Tensor)
        outs = (result,) if single else tuple(result) if isinstance(result, (tuple, list)) else None
        if outs is None:
            return result

        def on_output_grad(grads):
            grads = tuple(grads)
            for hook in self.module._backward_pre_hooks.values():
                res = hook(self.module, grads)
                if res is not None:
                    grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            self.grad_outputs = grads
            if not self.input_hooked:
                for hook in self.module._backward_hooks.values():
                    hook(self.module, (None,) * max(self.n_inputs, 1), grads)
            return grads

        new_outs, _ = self._identity(outs, on_output_grad)
        return new_outs[0] if single else type(result)(new_outs)
