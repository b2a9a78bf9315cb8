"""SGD with momentum, dampening, Nesterov, weight decay, maximize (torch's single-tensor math)."""
from ember import _C
from ember.optim.optimizer import Optimizer, required

__all__ = ["SGD"]


def _sgd_update(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One fused SGD step for a group (torch's single-tensor math); returns the momentum buffers
    (created from the gradient where None)."""
    return _C._optim.sgd_(params, grads, momentum_buffers, lr, momentum, dampening, weight_decay, nesterov, maximize)


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
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        if group["momentum"] != 0:
            bufs = [self.state[p].get("momentum_buffer") for p in params]
        else:  # no state entry at all without momentum (torch's state_dict has none)
            bufs = [None] * len(params)
        bufs = _sgd_update(params, [p.grad for p in params], bufs, lr=group["lr"], momentum=group["momentum"],
                           dampening=group["dampening"], weight_decay=group["weight_decay"],
                           nesterov=group["nesterov"], maximize=group.get("maximize", False))
        if group["momentum"] != 0:
            for p, buf in zip(params, bufs):
                self.state[p]["momentum_buffer"] = buf
