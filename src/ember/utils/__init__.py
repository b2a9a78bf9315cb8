"""ember.utils: data loading (ember.utils.data) and helpers."""
from ember.utils import _compat  # noqa: F401  (see Note [Tensor.grad and None])
from ember.utils import data  # noqa: F401
