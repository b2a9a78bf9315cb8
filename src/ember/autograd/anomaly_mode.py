"""Anomaly detection: with it on, a backward node that returns NaN raises a RuntimeError naming
the node (the check runs in the C++ engine, csrc/autograd/engine.cpp)."""
from ember import _C

is_anomaly_enabled = _C.is_anomaly_enabled


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on for a block."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = _C.is_anomaly_enabled()

    def __enter__(self):
        self.prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(bool(self.check_nan) or self.prev)
        return self

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev)
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Set anomaly detection on or off, now (as a function) or for a block (as a context manager)."""

    def __init__(self, mode, check_nan=True):
        self.prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(bool(mode) and bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev)
        return False
