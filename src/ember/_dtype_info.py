"""ember.finfo / ember.iinfo: the numeric limits of a dtype, with torch's attribute names."""
import numpy as np

import ember

# bfloat16 has float32's exponent range and an 8-bit significand; NumPy has no bfloat16.
_BF16 = dict(bits=16, eps=2.0 ** -7, max=float.fromhex("0x1.fep127"), tiny=2.0 ** -126, resolution=0.01)


def _name(dtype):
    return str(dtype).split(".")[-1]


class finfo:
    """Limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal), resolution."""

    def __init__(self, type=None):
        dtype = ember.get_default_dtype() if type is None else type
        if not isinstance(dtype, ember.dtype) or not dtype.is_floating_point:
            raise TypeError(f"finfo(): expected a floating point dtype, got {dtype}")
        self.dtype = _name(dtype)
        if self.dtype == "bfloat16":
            info = _BF16
        else:
            f = np.finfo(getattr(np, self.dtype))
            info = dict(bits=f.bits, eps=float(f.eps), max=float(f.max), tiny=float(f.smallest_normal),
                        resolution=10.0 ** -f.precision)
        self.bits, self.eps, self.max = info["bits"], info["eps"], info["max"]
        self.min = -self.max
        self.tiny = self.smallest_normal = info["tiny"]
        self.resolution = info["resolution"]

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer (or bool) dtype: bits, min, max."""

    def __init__(self, type):
        if not isinstance(type, ember.dtype) or type.is_floating_point or type.is_complex:
            raise TypeError(f"iinfo(): expected an integer dtype, got {type}")
        self.dtype = _name(type)
        if self.dtype == "bool":
            self.bits, self.min, self.max = 8, 0, 1
        else:
            i = np.iinfo(getattr(np, self.dtype))
            self.bits, self.min, self.max = i.bits, int(i.min), int(i.max)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
