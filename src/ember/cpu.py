"""ember.cpu: statistics of the CPU caching allocator (torch.cuda's memory API, for the CPU).

Freed blocks stay cached by size class for reuse: `memory_allocated` counts live tensors' blocks,
`memory_reserved` adds the cached ones, `empty_cache` returns the cached blocks to the system.
`memory_stats()["num_allocs"]` counts allocations that reached the system allocator.
"""
from ember import _C

__all__ = ["memory_stats", "memory_allocated", "max_memory_allocated", "memory_reserved", "memory_cached",
           "empty_cache", "reset_peak_memory_stats", "is_available", "device_count"]


def memory_stats():
    """A dict: allocated_bytes.current/peak, cached_bytes.current/peak, reserved_bytes.current,
    num_allocs, num_frees, num_cache_hits, num_alloc_retries."""
    return dict(_C._cpu.memory_stats())


def memory_allocated(device=None):
    return _C._cpu.memory_stats()["allocated_bytes.current"]


def max_memory_allocated(device=None):
    return _C._cpu.memory_stats()["allocated_bytes.peak"]


def memory_reserved(device=None):
    return _C._cpu.memory_stats()["reserved_bytes.current"]


def memory_cached(device=None):
    """Bytes of freed blocks kept for reuse."""
    return _C._cpu.memory_stats()["cached_bytes.current"]


def empty_cache():
    _C._cpu.empty_cache()


def reset_peak_memory_stats(device=None):
    _C._cpu.reset_peak_memory_stats()


def is_available():
    return True


def device_count():
    return 1
