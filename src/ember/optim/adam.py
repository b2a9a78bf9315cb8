"""Adam (amsgrad, weight decay, maximize, decoupled weight decay = AdamW)."""
import ember
from ember.optim.optimizer import Optimizer, _maximum_, _scalar_tensor

__all__ = ["Adam"]


def _adam_update(param, grad, state, *, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay):
    """One Adam/AdamW step for one parameter, updating `state` in place."""
    step_t = state["step"]
    step_t.add_(1)
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg.add_(grad - exp_avg, alpha=1 - beta1)  # lerp
    exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
    step = step_t.item()
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    if amsgrad:
        max_sq = state["max_exp_avg_sq"]
        _maximum_(max_sq, exp_avg_sq)
        denom = (ember.sqrt(max_sq) / bias_correction2_sqrt).add_(eps)
    else:
        denom = (ember.sqrt(exp_avg_sq) / bias_correction2_sqrt).add_(eps)
    param.add_(exp_avg / denom, alpha=-step_size)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
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
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _scalar_tensor(0.0)
            state["exp_avg"] = ember.zeros_like(p)
            state["exp_avg_sq"] = ember.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = ember.zeros_like(p)
        return state

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._init_state(p, group)
            _adam_update(p, self._grad(p, group), state, lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                         weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
                         decoupled_weight_decay=group.get("decoupled_weight_decay", False))
