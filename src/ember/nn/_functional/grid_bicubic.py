"""grid_sample(mode='bicubic') for 4-D input, composed of ember ops (so input and grid gradients come
from autograd). It follows torch's CPU kernel: unnormalised coordinates without clipping, the 4x4
taps around floor(ix), floor(iy), each tap's coordinate passed through the padding rule (border:
clip; reflection: reflect then clip; zeros: taps outside read 0), and Keys' cubic convolution with
A = -0.75 along x then y."""
import ember

__all__ = []

_A = -0.75


def _coeffs(t):
    """The four cubic-convolution weights for fractional offset t."""
    def conv1(x):
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def conv2(x):
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A
    u = 1.0 - t
    return [conv2(t + 1.0), conv1(t), conv1(u), conv2(u + 1.0)]


def _reflect(coord, twice_low, twice_high):
    if twice_low == twice_high:
        return ember.zeros_like(coord)
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    c = (coord - lo).abs()
    flips = ember.floor(c / span)
    extra = c - flips * span
    even = ember.remainder(flips, 2) == 0
    return ember.where(even, extra + lo, span - extra + lo)


def _tap(coord, size, padding_mode, align_corners):
    """(integer index clamped into range, in-bounds mask) of tap coordinates (float, no grad)."""
    if padding_mode == "border":
        coord = coord.clamp(0, size - 1)
    elif padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        coord = coord.clamp(0, size - 1)
    idx = coord.trunc()
    valid = (idx >= 0) & (idx <= size - 1)
    return idx.clamp(0, size - 1).to(ember.int64), valid


def grid_sample_bicubic(input, grid, padding_mode, align_corners):
    if input.dim() != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    x, y = grid[..., 0], grid[..., 1]
    if align_corners:
        ix, iy = (x + 1) / 2 * (w - 1), (y + 1) / 2 * (h - 1)
    else:
        ix, iy = ((x + 1) * w - 1) / 2, ((y + 1) * h - 1) / 2
    with ember.no_grad():
        x0, y0 = ember.floor(ix), ember.floor(iy)
    cx, cy = _coeffs(ix - x0), _coeffs(iy - y0)
    flat = input.reshape(n, c, h * w)
    with ember.no_grad():
        xs = [_tap(x0 + (k - 1), w, padding_mode, align_corners) for k in range(4)]
        ys = [_tap(y0 + (k - 1), h, padding_mode, align_corners) for k in range(4)]
    out = None
    for j in range(4):
        yi, yv = ys[j]
        row = None
        for i in range(4):
            xi, xv = xs[i]
            idx = (yi * w + xi).reshape(n, 1, ho * wo).expand(n, c, ho * wo)
            val = ember.gather(flat, 2, idx).reshape(n, c, ho, wo)
            if padding_mode == "zeros":
                val = val * (xv & yv).unsqueeze(1).to(input.dtype)
            term = val * cx[i].unsqueeze(1)
            row = term if row is None else row + term
        term = row * cy[j].unsqueeze(1)
        out = term if out is None else out + term
    return out
