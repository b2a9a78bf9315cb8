"""Adamax (infinity-norm Adam)."""
import ember
from ember.optim.optimizer import Optimizer, _maximum_, _scalar_tensor

__all__ = ["Adamax"]


def _abs(x):
    return ember.abs(x) if hasattr(ember, "abs") else ember.relu(x) + ember.relu(-x)


def _adamax_update(param, grad, state, *, lr, beta1, beta2, eps, weight_decay):
    step_t = state["step"]
    step_t.add_(1)
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
    exp_avg.add_(grad - exp_avg, alpha=1 - beta1)  # lerp
    exp_inf.mul_(beta2)
    _maximum_(exp_inf, _abs(grad).add_(eps))
    clr = lr / (1 - beta1 ** step_t.item())
    param.add_(exp_avg / exp_inf, alpha=-clr)


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_tensor(0.0)
                state["exp_avg"] = ember.zeros_like(p)
                state["exp_inf"] = ember.zeros_like(p)
            _adamax_update(p, self._grad(p, group), state, lr=group["lr"], beta1=beta1, beta2=beta2,
                           eps=group["eps"], weight_decay=group["weight_decay"])
