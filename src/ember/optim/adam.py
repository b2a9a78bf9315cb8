"""Adam (amsgrad, weight decay, maximize, decoupled weight decay = AdamW)."""
import ember
from ember import _C
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["Adam"]


def _adam_update(params, grads, states, *, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                 decoupled_weight_decay):
    """One fused Adam/AdamW step for a group (torch's single-tensor math), updating `states` in place."""
    _C._optim.adam_(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                    [s["max_exp_avg_sq"] for s in states] if amsgrad else [], [s["step"] for s in states],
                    lr, beta1, beta2, weight_decay, eps, amsgrad, maximize, decoupled_weight_decay)


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
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        states = [self._init_state(p, group) for p in params]
        _adam_update(params, [p.grad for p in params], states, lr=group["lr"], beta1=beta1, beta2=beta2,
                     eps=group["eps"], weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
                     maximize=group.get("maximize", False),
                     decoupled_weight_decay=group.get("decoupled_weight_decay", False))
