"""ember.special: the torch.special names that ember implements (aliases of the flat ops)."""
import ember as _ember

__all__ = ["expit", "erf", "erfc", "erfinv", "log1p", "expm1", "exp2", "logsumexp", "softmax", "log_softmax", "xlogy",
           "ndtr"]

erf = _ember.erf
erfc = _ember.erfc
erfinv = _ember.erfinv
log1p = _ember.log1p
expm1 = _ember.expm1
exp2 = _ember.exp2
logsumexp = _ember.logsumexp
xlogy = _ember.xlogy


def expit(input):
    return _ember.sigmoid(input)


def ndtr(input):
    """The standard normal CDF, 0.5 * erfc(-x / sqrt(2))."""
    return _ember.erfc(input * -0.7071067811865476) * 0.5


def softmax(input, dim, *, dtype=None):
    return _ember.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _ember.log_softmax(input, dim, dtype=dtype)
