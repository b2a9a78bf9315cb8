"""Process-wide switches PyTorch scripts set: compile, matmul precision, determinism, default device.

ember runs eagerly with deterministic kernels (results are bitwise identical across thread counts),
so `compile` returns its argument unchanged and the determinism switch is recorded, not needed.
"""
import ember

_state = {"matmul_precision": "highest", "deterministic": False, "warn_only": False}


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """Returns `model` itself (ember has no graph compiler); as a decorator factory when model is None."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError(f"[ember.compile] expected a callable (a Module or a function), got {type(model).__name__}")
    return model


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"[ember.set_float32_matmul_precision] Invalid precision {precision!r}: expected "
                           "'highest', 'high' or 'medium'")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    if not isinstance(mode, bool):
        raise TypeError(f"[ember.use_deterministic_algorithms] mode must be a bool, got {type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_default_device(device):
    """Only the CPU exists as a default device in this build; anything else raises."""
    if device is not None and ember.device(device).type != "cpu":
        raise RuntimeError(f"[ember.set_default_device] device {device!r} is not available: ember's factories "
                           "create CPU tensors in this build")


def get_default_device():
    return ember.device("cpu")
