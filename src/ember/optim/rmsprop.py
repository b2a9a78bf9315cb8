"""RMSprop (momentum, centered, weight decay, maximize)."""
import ember
from ember.optim.optimizer import Optimizer, _scalar_tensor

__all__ = ["RMSprop"]


def _rmsprop_update(param, grad, state, *, lr, alpha, eps, weight_decay, momentum, centered):
    state["step"].add_(1)
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg = state["square_avg"]
    square_avg.mul_(alpha).add_(grad * grad, alpha=1 - alpha)
    if centered:
        grad_avg = state["grad_avg"]
        grad_avg.add_(grad - grad_avg, alpha=1 - alpha)  # lerp
        avg = ember.sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = ember.sqrt(square_avg)
    avg = avg.add_(eps)
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf.mul_(momentum).add_(grad / avg)
        param.add_(buf, alpha=-lr)
    else:
        param.add_(grad / avg, alpha=-lr)


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
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_tensor(0.0)
                state["square_avg"] = ember.zeros_like(p)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = ember.zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = ember.zeros_like(p)
            _rmsprop_update(p, self._grad(p, group), state, lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                            weight_decay=group["weight_decay"], momentum=group["momentum"],
                            centered=group["centered"])
