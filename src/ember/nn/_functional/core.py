"""The in-place activation functions torch.nn.functional has (`elu_`, `leaky_relu_`, ...): each is the
out-of-place function with inplace=True, so it returns its input object."""
from ember.nn import functional as _F

__all__ = ["celu_", "elu_", "hardtanh_", "leaky_relu_", "rrelu_", "selu_", "threshold_"]


def celu_(input, alpha=1.0):
    return _F.celu(input, alpha, inplace=True)


def elu_(input, alpha=1.0):
    return _F.elu(input, alpha, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _F.hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    return _F.leaky_relu(input, negative_slope, inplace=True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _F.rrelu(input, lower, upper, training, inplace=True)


def selu_(input):
    return _F.selu(input, inplace=True)


def threshold_(input, threshold, value):
    return _F.threshold(input, threshold, value, inplace=True)
