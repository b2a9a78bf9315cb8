"""Python-side Tensor conveniences: printing in PyTorch's format, and print options.

The rules follow PyTorch's tensor printing: one formatter per tensor chooses integer mode (floats
that are all whole numbers print as `1.`), fixed (`precision` decimals) or scientific notation
(when max/min of the nonzero finite magnitudes exceeds 1000, max > 1e8 or min < 1e-4), and pads
every element to a common width; tensors with more than `threshold` elements are summarised with
`...` keeping `edgeitems` on each side of every dimension.
"""
import contextlib
import dataclasses
import math

import numpy as np

from ember import _C

Tensor = _C.Tensor


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set the options for printing tensors (as torch.set_printoptions)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for k, v in _PROFILES[profile].items():
            setattr(PRINT_OPTS, k, v)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def _to_numpy(t):
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype == _C.bfloat16:
        return t.float().numpy()  # exact: every bfloat16 is a float32
    return t.numpy()


class _Formatter:
    """Chooses the mode and width for all elements of one (possibly summarised) array."""

    def __init__(self, arr, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        p = PRINT_OPTS.precision
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals.astype(np.float64))
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        items = vals.astype(np.float64).tolist()
        if self.sci_mode:
            width = max(len(f"{v:.{p}e}") for v in items)
        elif self.int_mode:
            width = max(len(f"{v:.0f}") for v in items) + 1
        else:
            width = max(len(f"{v:.{p}f}") for v in items)
        self.max_width = max(self.max_width, width)

    def width(self):
        return self.max_width

    def format(self, v):
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                s = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{p}f}"
        else:
            s = str(v)
        return " " * (self.max_width - len(s)) + s


def _summarized(arr):
    """The elements a summarised print shows: edgeitems from each end of every dimension."""
    e = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim > 1 and not e:
        return arr[tuple(slice(0, 0) for _ in range(arr.ndim))]
    if arr.shape[0] > 2 * e:
        arr = np.concatenate((arr[:e], arr[arr.shape[0] - e:]))
    if arr.ndim == 1:
        return arr
    return np.stack([_summarized(x) for x in arr]) if arr.shape[0] else arr


def _vector_str(arr, indent, summarize, fmt):
    element_length = fmt.width() + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        data = ([fmt.format(v) for v in arr[:e].tolist()] + [" ..."] +
                [fmt.format(v) for v in arr[arr.shape[0] - e:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * e:
        rows = ([_array_str(arr[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] +
                [_array_str(arr[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        rows = [_array_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_str(t, indent):
    if t.numel() == 0:
        return "[]"
    summarize = t.numel() > PRINT_OPTS.threshold
    arr = _to_numpy(t)
    floating = t.is_floating_point()
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)  # exact; NumPy's float16 prints and compares the same
    fmt = _Formatter(_summarized(arr) if summarize else arr, floating)
    return _array_str(arr, indent, summarize, fmt)


def _add_suffixes(body, suffixes, indent):
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for s in suffixes:
        if last_line_len + len(s) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + s)
            last_line_len = indent + len(s)
        else:
            parts.append(", " + s)
            last_line_len += len(s) + 2
    parts.append(")")
    return "".join(parts)


def _is_plain(t):
    cls = type(t)
    return cls is Tensor or cls.__name__ == "Parameter"


def _str_intern(t, tensor_contents=None):
    prefix = "tensor(" if _is_plain(t) else f"{type(t).__name__}("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = _C._ops.get_default_dtype()
    has_default_dtype = t.dtype in (default, _C.int64, _C.bool)
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if t.dtype != default:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t.shape)))
        if not has_default_dtype:
            suffixes.append(f"dtype={t.dtype}")
        body = _tensor_str(t, indent)
    if tensor_contents is not None:
        body = tensor_contents
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _tensor_repr(self, *, tensor_contents=None):
    return _str_intern(self, tensor_contents)


def _tensor_format(self, spec):
    if self.dim() == 0 and type(self) is Tensor:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


Tensor.__repr__ = _tensor_repr
Tensor.__str__ = _tensor_repr
Tensor.__format__ = _tensor_format


# ---- pickling and copying (DataLoader workers, copy.deepcopy of modules)
def _rebuild_tensor(array, requires_grad, dtype_name):
    import ember
    t = ember.from_numpy(array)
    if dtype_name == "bfloat16":
        t = t.to(ember.bfloat16)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _tensor_reduce_ex(self, protocol):
    if self.grad_fn is not None:
        raise RuntimeError("Can't pickle a non-leaf tensor that requires grad; detach() it first")
    t = self.detach()
    arr = t.float().numpy() if t.dtype == _C.bfloat16 else t.numpy()
    return (_rebuild_tensor, (np.ascontiguousarray(arr).copy(), self.requires_grad, str(self.dtype).split(".")[-1]))


def _tensor_deepcopy(self, memo):
    """A detached clone with the same requires_grad; .grad is copied too (torch's rule)."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                           "protocol at the moment.")
    import ember
    with ember.no_grad():
        new = self.detach().clone()
    new.requires_grad_(self.requires_grad)
    memo[id(self)] = new
    if self.grad is not None:
        new.grad = self.grad.detach().clone()
    return new


Tensor.__reduce_ex__ = _tensor_reduce_ex
Tensor.__deepcopy__ = _tensor_deepcopy


# ---- shared memory (implemented in ember.utils._shared_memory over /dev/shm)
def _tensor_share_memory_(self):
    from ember.utils._shared_memory import share_memory_
    return share_memory_(self)


def _tensor_is_shared(self):
    from ember.utils._shared_memory import is_shared
    return is_shared(self)


Tensor.share_memory_ = _tensor_share_memory_
Tensor.is_shared = _tensor_is_shared
