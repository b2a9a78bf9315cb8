"""ember: a PyTorch-shaped deep-learning framework with a small, fast C++ core.

`import ember as torch` runs most PyTorch scripts unchanged. Subpackages (nn, optim, utils,
vision, ...) load on first use so that `import ember` stays fast.
"""
import builtins as _builtins
import importlib as _importlib

from ember import _C
from ember._C import Tensor, dtype, device, Node as _Node
from ember._C import (bool, uint8, int8, int16, int32, int64, float16, bfloat16,  # noqa: A004
                      float32, float64)
from ember._size import Size
from ember._errors import OutOfMemoryError
from ember.autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                                      is_grad_enabled, is_inference_mode_enabled)

__version__ = "0.1.0"

# PyTorch's dtype aliases
float = float32  # noqa: A001
double = float64
half = float16
int = int32  # noqa: A001
long = int64
short = int16

strided = "strided"  # the only layout


def _export_ops():
    g = globals()
    for name in dir(_C._ops):
        if not name.startswith("_"):
            g[name] = getattr(_C._ops, name)


_export_ops()

from ember import _tensor  # noqa: E402,F401  (Python-side Tensor methods: repr, ...)
from ember._tensor import set_printoptions, get_printoptions, printoptions  # noqa: E402,F401
from ember._dtype_info import finfo, iinfo  # noqa: E402,F401
from ember._composite import *  # noqa: E402,F401,F403
from ember._composite import install_tensor_methods as _install_composite_methods  # noqa: E402
from ember._config import (compile, set_float32_matmul_precision, get_float32_matmul_precision,  # noqa: E402,F401
                           use_deterministic_algorithms, are_deterministic_algorithms_enabled,
                           is_deterministic_algorithms_warn_only_enabled, set_default_device, get_default_device)

_install_composite_methods(Tensor)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


def typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__


_LAZY_SUBMODULES = {"nn", "optim", "utils", "vision", "cuda", "distributed", "autograd", "testing",
                    "backends", "amp", "serialization", "linalg", "special", "fft", "random", "multiprocessing",
                    "jit", "onnx", "profiler", "cpu"}


# Loaded on first use (ember.serialization pulls in zipfile and the pickler).
_LAZY_ATTRS = {"save": "ember.serialization", "load": "ember.serialization"}


def __getattr__(name):
    if name in _LAZY_ATTRS:
        value = getattr(_importlib.import_module(_LAZY_ATTRS[name]), name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES:
        try:
            module = _importlib.import_module(f"ember.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"ember.{name}":
                raise
            raise AttributeError(f"module 'ember' has no attribute '{name}'") from None
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
