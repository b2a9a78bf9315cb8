"""Adagrad (lr decay, weight decay, initial accumulator, maximize)."""
import ember
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["Adagrad"]


def _adagrad_update(param, grad, state, *, lr, lr_decay, weight_decay, eps):
    step_t = state["step"]
    step_t.add_(1)
    step = step_t.item()
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum = state["sum"]
    state_sum.add_(grad * grad)
    std = ember.sqrt(state_sum).add_(eps)
    param.add_(grad / std, alpha=-clr)


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
        for p in group["params"]:
            if p.grad is None:
                continue
            _adagrad_update(p, self._grad(p, group), self.state[p], lr=group["lr"], lr_decay=group["lr_decay"],
                            weight_decay=group["weight_decay"], eps=group["eps"])
