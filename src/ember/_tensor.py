"""Python-side Tensor conveniences: printing (PyTorch's format)."""
import numpy as np

from ember import _C

Tensor = _C.Tensor


def _format_data(t):
    arr = t.detach().cpu().numpy(force=True) if t.dtype != _C.bfloat16 else t.detach().float().numpy()
    if t.is_floating_point():
        finite = arr[np.isfinite(arr)] if arr.size else arr
        is_int = finite.size > 0 and np.all(finite == np.round(finite)) and np.max(np.abs(finite)) < 1e8
        if is_int:
            formatter = {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
        else:
            big = finite.size > 0 and (np.max(np.abs(finite)) >= 1e8 or
                                       (np.min(np.abs(finite[finite != 0])) < 1e-4 if np.any(finite != 0) else False))
            formatter = {"float_kind": (lambda v: f"{v:.4e}") if big else (lambda v: f"{v:.4f}")}
    elif t.dtype == _C.bool:
        formatter = {"bool": lambda v: "True" if v else "False"}
    else:
        formatter = None
    threshold = 1000
    return np.array2string(arr, separator=", ", formatter=formatter, threshold=threshold, edgeitems=3,
                           prefix="tensor(", max_line_width=80)


def _tensor_repr(self, *, tensor_contents=None):
    if self.numel() == 0:
        body = "[]" if self.dim() <= 1 else f"size={tuple(self.shape)}"
    else:
        body = _format_data(self)
    extras = []
    default = {_C.float32: True, _C.int64: True, _C.bool: True}
    if self.dtype not in default or (self.numel() == 0 and self.dtype != _C.float32):
        extras.append(f"dtype={self.dtype!r}")
    if self.is_cuda:
        extras.append(f"device='{self.device}'")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    indent = "\n       "
    body = body.replace("\n", indent[:-7] + "\n").replace("\n\n", "\n")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


Tensor.__repr__ = _tensor_repr
Tensor.__str__ = _tensor_repr
Tensor.__format__ = lambda self, spec: format(self.item(), spec) if self.dim() == 0 else repr(self)
