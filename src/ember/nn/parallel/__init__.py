"""ember.nn.parallel: DataParallel (a pass-through on one device until multi-GPU support exists)."""
from ember.nn.parallel.data_parallel import DataParallel, data_parallel  # noqa: F401

__all__ = ["DataParallel", "data_parallel"]
