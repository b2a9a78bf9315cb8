"""SGD with momentum, dampening, Nesterov, weight decay, maximize (torch's single-tensor math)."""
from ember.optim.optimizer import Optimizer, required

__all__ = ["SGD"]


def _sgd_update(param, grad, momentum_buffer, *, lr, momentum, dampening, weight_decay, nesterov):
    """One SGD step for one parameter; returns the (possibly new) momentum buffer."""
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = grad.clone().detach()
        else:
            momentum_buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
        grad = grad.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer
    param.add_(grad, alpha=-lr)
    return momentum_buffer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _step_group(self, group):
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            buf = _sgd_update(p, self._grad(p, group), state.get("momentum_buffer"), lr=group["lr"],
                              momentum=group["momentum"], dampening=group["dampening"],
                              weight_decay=group["weight_decay"], nesterov=group["nesterov"])
            if group["momentum"] != 0:
                state["momentum_buffer"] = buf
