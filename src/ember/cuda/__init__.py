"""ember.cuda: present in every build; reports no GPU unless the CUDA backend (ember._cuda) is built.

Without a GPU the queries answer as torch's CPU build does (is_available() False, device_count() 0,
memory statistics 0) and the calls that need a device raise torch's
`AssertionError: Torch not compiled with CUDA enabled`.

With the backend built and a GPU visible, `ember._cuda` is imported on first use (here, or by the core
the first time a CUDA tensor is asked for) and registers its kernels, allocator and copy hooks in the
core's kernel table through the capsule `ember._C._backend_api` (see docs/cuda.md).
"""
import contextlib

from ember._errors import OutOfMemoryError  # noqa: F401  (torch.cuda.OutOfMemoryError)

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


class _CudaNotCompiled(AssertionError, RuntimeError):
    """torch raises AssertionError here; it is also a RuntimeError, as ember raised before."""


_backend = None        # the ember._cuda module once registered
_backend_tried = False


def _load_backend():
    """Imports ember._cuda and registers it with the core when a GPU is visible; returns it or None."""
    global _backend, _backend_tried
    if _backend is not None or _backend_tried:
        return _backend
    _backend_tried = True
    try:
        from ember import _cuda
    except ImportError:
        return None
    if _cuda.device_count() <= 0:  # never raises: no driver or no device reads as 0
        return None
    try:
        from ember import _C
        _cuda._register(_C._backend_api)
    except Exception as e:  # noqa: BLE001  (e.g. a stale _cuda built against another core)
        import warnings
        warnings.warn(f"ember.cuda: the CUDA backend (ember._cuda) failed to register: {e}", RuntimeWarning)
        return None
    _backend = _cuda
    import ember.backends
    _cuda._set_allow_tf32(bool(ember.backends.cuda.matmul.allow_tf32))
    return _backend


def _lazy_init():
    b = _load_backend()
    if b is None:
        raise _CudaNotCompiled(_NOT_COMPILED)
    return b


def _index(device):
    """Device index from None / int / str / ember.device (None: the current device)."""
    b = _lazy_init()
    if device is None:
        return b.current_device()
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        import ember
        device = ember.device(device)
    if getattr(device, "type", "cuda") != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    idx = getattr(device, "index", None)
    return b.current_device() if idx is None else idx


def is_available():
    return _load_backend() is not None


def device_count():
    b = _load_backend()
    return b.device_count() if b is not None else 0


def is_initialized():
    return _backend is not None


def init():
    _lazy_init()


def current_device():
    return _lazy_init().current_device()


def set_device(device):
    if device is None:
        return
    idx = _index(device)
    if idx >= 0:
        _lazy_init().set_device(idx)


class _CudaDeviceProperties:
    def __init__(self, d):
        self.__dict__.update(d)

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    return _CudaDeviceProperties(_lazy_init().get_device_properties(_index(device)))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    p = get_device_properties(device)
    return (p.major, p.minor)


def synchronize(device=None):
    _lazy_init().synchronize(_index(device))


def mem_get_info(device=None):
    return tuple(_lazy_init().mem_get_info(_index(device)))


def get_rng_state(device="cuda"):
    _lazy_init()
    raise NotImplementedError("[ember.cuda.get_rng_state] not implemented for cuda yet")


def set_rng_state(new_state, device="cuda"):
    pass


def is_bf16_supported(including_emulation=True):
    if _load_backend() is None:
        return False
    return get_device_capability()[0] >= 8 or bool(including_emulation)


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def seed():
    pass


def seed_all():
    pass


# ---- memory (the caching allocator's statistics; 0 without a backend, as torch's CPU build)
def _stat(name, device):
    b = _load_backend()
    if b is None:
        return 0
    return int(b.memory_stats(_index(device))[name])


def empty_cache():
    b = _load_backend()
    if b is not None:
        b.empty_cache()


def memory_allocated(device=None):
    return _stat("allocated_bytes", device)


def max_memory_allocated(device=None):
    return _stat("peak_allocated_bytes", device)


def memory_reserved(device=None):
    return _stat("reserved_bytes", device)


def max_memory_reserved(device=None):
    return _stat("peak_reserved_bytes", device)


def memory_cached(device=None):
    return memory_reserved(device)


def reset_peak_memory_stats(device=None):
    b = _load_backend()
    if b is not None:
        b.reset_peak_memory_stats(_index(device))


def reset_max_memory_allocated(device=None):
    reset_peak_memory_stats(device)


def memory_stats(device=None):
    b = _load_backend()
    if b is None:
        return {}
    return dict(b.memory_stats(_index(device)))


# ---- streams and events
class Stream:
    """A CUDA stream (torch.cuda.Stream). `Stream()` creates one on the current device."""

    def __init__(self, device=None, priority=0, _handle=None, _device_index=None):
        b = _lazy_init()
        self.device_index = _index(device) if _device_index is None else _device_index
        self.cuda_stream = b._stream_create(self.device_index, priority) if _handle is None else _handle

    @property
    def device(self):
        import ember
        return ember.device("cuda", self.device_index)

    def synchronize(self):
        _lazy_init()._stream_synchronize(self.cuda_stream)

    def query(self):
        return _lazy_init()._stream_query(self.cuda_stream)

    def wait_event(self, event):
        _lazy_init()._stream_wait_event(self.cuda_stream, event._handle)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream

    def __hash__(self):
        return hash((self.cuda_stream, self.device_index))

    def __repr__(self):
        return f"<ember.cuda.Stream device=cuda:{self.device_index} cuda_stream={self.cuda_stream:#x}>"

    # Streams are never destroyed (as PyTorch pools them): the caching allocator keys free blocks by
    # stream, and a destroyed stream's handle could come back for a new stream while old work runs.


class Event:
    """A CUDA event (torch.cuda.Event)."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self._handle = _lazy_init()._event_create(bool(enable_timing), bool(blocking))

    def record(self, stream=None):
        stream = current_stream() if stream is None else stream
        _lazy_init()._event_record(self._handle, stream.cuda_stream)

    def wait(self, stream=None):
        stream = current_stream() if stream is None else stream
        stream.wait_event(self)

    def query(self):
        return _lazy_init()._event_query(self._handle)

    def synchronize(self):
        _lazy_init()._event_synchronize(self._handle)

    def elapsed_time(self, end_event):
        return _lazy_init()._event_elapsed_time(self._handle, end_event._handle)

    def __del__(self):
        if _backend is not None and hasattr(self, "_handle"):
            _backend._event_destroy(self._handle)


def current_stream(device=None):
    b = _lazy_init()
    idx = _index(device)
    return Stream(_handle=b._current_stream(idx), _device_index=idx)


def default_stream(device=None):
    _lazy_init()
    return Stream(_handle=0, _device_index=_index(device))


def set_stream(stream):
    if stream is not None:
        _lazy_init()._set_current_stream(stream.device_index, stream.cuda_stream)


@contextlib.contextmanager
def stream(stream):
    """Runs the block with `stream` as the current stream of its device (None: no change)."""
    if stream is None:
        yield
        return
    prev = current_stream(stream.device_index)
    set_stream(stream)
    try:
        yield
    finally:
        set_stream(prev)


StreamContext = stream


class device:  # noqa: N801  (torch's name)
    """Context manager that selects a GPU; without CUDA, entering it raises as torch's CPU build does."""

    def __init__(self, device):
        self.idx = device if isinstance(device, int) or device is None else getattr(device, "index", device)
        self.prev = None

    def __enter__(self):
        if self.idx is not None and self.idx >= 0:
            if _load_backend() is None:
                raise RuntimeError("PyTorch was compiled without CUDA support")
            self.prev = current_device()
            set_device(self.idx)

    def __exit__(self, *exc):
        if self.prev is not None:
            set_device(self.prev)
        return False
