"""Padding modules: constant/zero, reflection, replication and circular (torch.nn's names, reprs
and checks). The work is F.pad, a C++ op for every mode."""
from collections.abc import Iterable

from ember.nn import functional as F
from ember.nn.modules.module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _ntuple(padding, n):
    # torch's _ntuple: an iterable is taken as given (F.pad reports a bad length), a number repeated
    if isinstance(padding, Iterable) and not isinstance(padding, str):
        return tuple(padding)
    return (padding,) * n


class _ConstantPadNd(Module):
    n = 2

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _ntuple(padding, self.n)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    n = 2


class ConstantPad2d(_ConstantPadNd):
    n = 4


class ConstantPad3d(_ConstantPadNd):
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


class _BorderPadNd(Module):
    mode = "reflect"
    n = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, self.n)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_BorderPadNd):
    mode, n = "reflect", 2


class ReflectionPad2d(_BorderPadNd):
    mode, n = "reflect", 4


class ReflectionPad3d(_BorderPadNd):
    mode, n = "reflect", 6


class ReplicationPad1d(_BorderPadNd):
    mode, n = "replicate", 2


class ReplicationPad2d(_BorderPadNd):
    mode, n = "replicate", 4


class ReplicationPad3d(_BorderPadNd):
    mode, n = "replicate", 6


class _CircularPadNd(_BorderPadNd):
    mode = "circular"

    def forward(self, input):
        lo = self.n // 2 + 1  # accepted input dims: lo (unbatched) or lo + 1
        if input.dim() not in (lo, lo + 1):
            raise ValueError(f"expected {lo}D or {lo + 1}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    n = 2


class CircularPad2d(_CircularPadNd):
    n = 4


class CircularPad3d(_CircularPadNd):
    n = 6
