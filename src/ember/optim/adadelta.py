"""Adadelta (weight decay, maximize)."""
import ember
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["Adadelta"]


def _adadelta_update(param, grad, state, *, lr, rho, eps, weight_decay):
    state["step"].add_(1)
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
    square_avg.mul_(rho).add_(grad * grad, alpha=1 - rho)
    std = ember.sqrt(square_avg + eps)
    delta = ember.sqrt(acc_delta + eps)
    delta.div_(std).mul_(grad)
    acc_delta.mul_(rho).add_(delta * delta, alpha=1 - rho)
    param.add_(delta, alpha=-lr)


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_tensor(0.0)
                state["square_avg"] = ember.zeros_like(p)
                state["acc_delta"] = ember.zeros_like(p)
            _adadelta_update(p, self._grad(p, group), state, lr=group["lr"], rho=group["rho"], eps=group["eps"],
                             weight_decay=group["weight_decay"])
