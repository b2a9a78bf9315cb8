"""RMSprop (momentum, centered, weight decay, maximize)."""
import ember
from ember import _C
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["RMSprop"]


def _rmsprop_update(params, grads, states, *, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """One fused RMSprop step for a group (torch's single-tensor math), updating `states` in place."""
    _C._optim.rmsprop_(params, grads, [s["square_avg"] for s in states],
                       [s["grad_avg"] for s in states] if centered else [],
                       [s["momentum_buffer"] for s in states] if momentum > 0 else [], [s["step"] for s in states],
                       lr, alpha, eps, weight_decay, momentum, centered, maximize)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_tensor(0.0)
                state["square_avg"] = ember.zeros_like(p)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = ember.zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = ember.zeros_like(p)
        _rmsprop_update(params, [p.grad for p in params], [self.state[p] for p in params], lr=group["lr"],
                        alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                        momentum=group["momentum"], centered=group["centered"],
                        maximize=group.get("maximize", False))
