"""Shared helpers for the nn/optim/data tests: ember <-> torch conversion and op-availability skips."""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def has_op(name):
    """True when ember (or ember.Tensor, for names like 'Tensor.bernoulli_') has `name`."""
    if name.startswith("Tensor."):
        return hasattr(ember.Tensor, name[len("Tensor."):])
    if name.startswith("_nn."):  # the C++ nn op, bound in ember._C._nn or ember._C._ops
        return hasattr(getattr(ember._C, "_nn", None), name[4:]) or hasattr(ember._C._ops, name[4:])
    if name == "cmp":
        return hasattr(ember.Tensor, "__gt__") and hasattr(ember, "gt")
    return hasattr(ember, name)


def needs(*names):
    missing = [n for n in names if not has_op(n)]
    return pytest.mark.skipif(bool(missing), reason=f"needs ember op(s) not in this build yet: {missing}")


def E(a, requires_grad=False):
    t = ember.from_numpy(np.ascontiguousarray(a))
    if requires_grad:
        t.requires_grad_(True)
    return t


def T(a, requires_grad=False):
    t = torch.from_numpy(np.ascontiguousarray(a).copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def npy(t):
    if isinstance(t, ember.Tensor):
        return t.detach().numpy()
    return t.detach().numpy()


def copy_params_to_torch(em, tm):
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in em.state_dict().items()})


def assert_close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(npy(a) if not isinstance(a, np.ndarray) else a,
                               npy(b) if not isinstance(b, np.ndarray) else b, rtol=rtol, atol=atol)


def _scalar_mul_is_exact():
    x = ember.ones(1, dtype=ember.float64)
    return (x * 0.2).item() == 0.2


# Core issue (C++, not this package): a Python float multiplied with a float64 tensor is rounded to
# float32 first (ember.ones(1, dtype=float64) * 0.2 == 0.20000000298...). Until that is fixed the
# float64 comparisons can only be as tight as float32 scalars allow; they tighten automatically.
SCALARS_EXACT = _scalar_mul_is_exact()
F64_RTOL = 1e-10 if SCALARS_EXACT else 2e-7
F64_ATOL = 1e-12 if SCALARS_EXACT else 1e-9
