"""NAdam (Nesterov Adam, momentum decay, optional decoupled weight decay)."""
import ember
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["NAdam"]


def _nadam_update(param, grad, state, *, lr, beta1, beta2, eps, weight_decay, momentum_decay,
                  decoupled_weight_decay):
    step_t = state["step"]
    step_t.add_(1)
    step = step_t.item()
    bias_correction2 = 1 - beta2 ** step
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product = state["mu_product"]
    mu_product.mul_(mu)  # a float32 scalar, as in torch
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg.add_(grad - exp_avg, alpha=1 - beta1)  # lerp
    exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
    denom = ember.sqrt(exp_avg_sq / bias_correction2)
    mu_prod = mu_product.item()
    mu_product_next = mu_prod * mu_next
    denom.add_(eps)
    param.add_(grad / denom, alpha=-lr * (1.0 - mu) / (1.0 - mu_prod))
    param.add_(exp_avg / denom, alpha=(-lr * mu_next) / (1.0 - mu_product_next))


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
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
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_tensor(0.0)
                state["mu_product"] = _scalar_tensor(1.0)
                state["exp_avg"] = ember.zeros_like(p)
                state["exp_avg_sq"] = ember.zeros_like(p)
            _nadam_update(p, self._grad(p, group), state, lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                          weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                          decoupled_weight_decay=group["decoupled_weight_decay"])
