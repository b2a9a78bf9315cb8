"""Adagrad (lr decay, weight decay, initial accumulator, maximize)."""
import ember
from ember import _C
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["Adagrad"]


def _adagrad_update(params, grads, states, *, lr, lr_decay, weight_decay, eps, maximize):
    """One fused Adagrad step for a group (torch's single-tensor math), updating `states` in place."""
    _C._optim.adagrad_(params, grads, [s["sum"] for s in states], [s["step"] for s in states], lr, lr_decay,
                       weight_decay, eps, maximize)


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # torch creates Adagrad's state eagerly
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _scalar_tensor(0.0)
                state["sum"] = ember.full_like(p, group["initial_accumulator_value"])

    def _step_group(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        _adagrad_update(params, [p.grad for p in params], [self.state[p] for p in params], lr=group["lr"],
                        lr_decay=group["lr_decay"], weight_decay=group["weight_decay"], eps=group["eps"],
                        maximize=group.get("maximize", False))
