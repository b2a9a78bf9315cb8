"""ember.cuda: present in every build; reports no GPU unless the CUDA backend (ember._cuda) is built.

Without a GPU the queries answer as torch's CPU build does (is_available() False, device_count() 0,
memory statistics 0) and the calls that need a device raise torch's
`AssertionError: Torch not compiled with CUDA enabled`.
"""

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


class _CudaNotCompiled(AssertionError, RuntimeError):
    """torch raises AssertionError here; it is also a RuntimeError, as ember raised before."""


def _lazy_init():
    raise _CudaNotCompiled(_NOT_COMPILED)


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def init():
    _lazy_init()


def current_device():
    _lazy_init()


def set_device(device):
    _lazy_init()


def get_device_name(device=None):
    _lazy_init()


def get_device_capability(device=None):
    _lazy_init()


def get_device_properties(device=None):
    _lazy_init()


def synchronize(device=None):
    _lazy_init()


def current_stream(device=None):
    _lazy_init()


def mem_get_info(device=None):
    _lazy_init()


def get_rng_state(device="cuda"):
    _lazy_init()


def set_rng_state(new_state, device="cuda"):
    pass


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def seed():
    pass


def seed_all():
    pass


def empty_cache():
    pass


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


def reset_peak_memory_stats(device=None):
    pass


class device:  # noqa: N801  (torch's name)
    """Context manager that selects a GPU; without CUDA, entering it raises as torch's CPU build does."""

    def __init__(self, device):
        self.idx = device if isinstance(device, int) or device is None else getattr(device, "index", device)

    def __enter__(self):
        if self.idx is not None and self.idx >= 0:
            raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc):
        return False
