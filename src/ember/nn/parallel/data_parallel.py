"""DataParallel with torch's interface: `.module`, `device_ids`, state_dict keys prefixed `module.`.

Without a GPU (torch on a CPU-only machine does the same) it keeps `device_ids == []` and calls the
wrapped module directly. With GPUs it places the module on `device_ids[0]`, moves the inputs there
and the output to `output_device`; the batch is not split across several GPUs (ember has no
multi-GPU replication yet), so every listed device but the first stays idle.
"""
import warnings

import ember
from ember.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(d):
    if isinstance(d, int):
        return d
    d = ember.device(d)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return 0 if d.index is None else d.index


def _to_device(obj, device):
    if isinstance(obj, ember.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to_device(o, device) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    return obj


class DataParallel(Module):
    """Implements data parallelism at the module level (torch.nn.DataParallel's interface)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not ember.cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(ember.cuda.device_count()))
        if not device_ids:
            raise RuntimeError("no available devices were found")
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.device_ids = [_device_index(x) for x in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = ember.device("cuda", self.device_ids[0])
        if len(self.device_ids) > 1:
            warnings.warn("ember's DataParallel runs the whole batch on device_ids[0]; multi-GPU replication "
                          "is not implemented", stacklevel=2)
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError("module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of them on device: {t.device}")
        inputs = _to_device(inputs, self.src_device_obj)
        kwargs = _to_device(kwargs, self.src_device_obj)
        out = self.module(*inputs, **kwargs)
        return _to_device(out, ember.device("cuda", self.output_device))


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """The functional form of DataParallel: evaluates module(*inputs) (see DataParallel)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return DataParallel(module, device_ids, output_device, dim)(*inputs, **(module_kwargs or {}))
