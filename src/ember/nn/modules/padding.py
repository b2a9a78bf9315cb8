"""Padding modules: constant/zero (work now), reflection/replication/circular (need ember._C._ops.pad)."""
from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _ntuple(padding, n):
    if isinstance(padding, int):
        return (padding,) * n
    padding = tuple(padding)
    if len(padding) != n:
        raise ValueError(f"expected padding of length {n}, got {len(padding)}")
    return padding


class _PadNd(Module):
    mode = "constant"
    n = 2

    def __init__(self, padding, value=None):
        super().__init__()
        self.padding = _ntuple(padding, self.n)
        if value is not None:
            self.value = value

    def forward(self, input):
        value = getattr(self, "value", None)
        return F.pad(input, self.padding, self.mode, value if self.mode == "constant" else None)

    def extra_repr(self):
        if type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    n = 2


class ConstantPad2d(_PadNd):
    n = 4


class ConstantPad3d(_PadNd):
    n = 6


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _make(name, mode, n):
    def __init__(self, padding):
        _PadNd.__init__(self, padding)

    return type(name, (_PadNd,), {"mode": mode, "n": n, "__init__": __init__})


ReflectionPad1d = _make("ReflectionPad1d", "reflect", 2)
ReflectionPad2d = _make("ReflectionPad2d", "reflect", 4)
ReflectionPad3d = _make("ReflectionPad3d", "reflect", 6)
ReplicationPad1d = _make("ReplicationPad1d", "replicate", 2)
ReplicationPad2d = _make("ReplicationPad2d", "replicate", 4)
ReplicationPad3d = _make("ReplicationPad3d", "replicate", 6)
CircularPad1d = _make("CircularPad1d", "circular", 2)
CircularPad2d = _make("CircularPad2d", "circular", 4)
CircularPad3d = _make("CircularPad3d", "circular", 6)
for _c in (ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
           CircularPad1d, CircularPad2d, CircularPad3d):
    _c.__module__ = __name__
