"""ember.utils: data loading (ember.utils.data) and helpers."""
from ember.utils import data  # noqa: F401
