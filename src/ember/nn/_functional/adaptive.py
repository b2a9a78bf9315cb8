"""adaptive_max_pool2d for any input/output sizes.

The C++ kernel covers output sizes that divide the input; other sizes use torch's windows
[floor(i*L/out), ceil((i+1)*L/out)) gathered into one [..., oh, ow, kh*kw] tensor (short windows
repeat their last element, which leaves the max unchanged) and one max over the last dim, so values,
indices (flat h*W+w, the first maximum as torch) and the gradient match torch.
"""
import numpy as np

import ember
from ember import _C

__all__ = []


def _windows(length, out):
    i = np.arange(out)
    starts = (i * length) // out
    ends = -((-(i + 1) * length) // out)
    k = int((ends - starts).max())
    return np.minimum(starts[:, None] + np.arange(k)[None, :], ends[:, None] - 1)


def adaptive_max_pool2d_any(input, output_size):
    """(out, indices) of adaptive max pooling over the last two dims."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    h, w = input.shape[-2], input.shape[-1]
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise RuntimeError("adaptive_max_pool2d: internal error: output_size.size() must be 2")
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if oh <= 0 or ow <= 0 or h == 0 or w == 0 or (h % oh == 0 and w % ow == 0):
        return _C._nn.adaptive_max_pool2d(input, (oh, ow))
    ih, iw = _windows(h, oh), _windows(w, ow)
    kh, kw = ih.shape[1], iw.shape[1]
    table = (ih[:, None, :, None] * w + iw[None, :, None, :]).reshape(oh, ow, kh * kw)
    dev = input.device
    picked = input.flatten(-2).index_select(-1, ember.tensor(table.reshape(-1), device=dev))
    picked = picked.reshape(*input.shape[:-2], oh, ow, kh * kw)
    out, arg = picked.max(-1)
    tab = ember.tensor(table, device=dev).expand(*picked.shape)
    return out, ember.gather(tab, -1, arg.unsqueeze(-1)).squeeze(-1)


def _pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def check_pool2d_output(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's 'Output size is too small' RuntimeError for max/avg pooling over the last two dims."""
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)
    if input.dim() < 3:
        return
    k = pair(kernel_size)
    s = pair(stride) if stride else k
    p, d = pair(padding), pair(dilation)
    if len(k) != 2 or len(s) != 2 or len(p) != 2 or len(d) != 2 or min(s) <= 0 or min(k) <= 0:
        return  # the kernel reports malformed arguments
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = (_pool_out(h, k[0], s[0], p[0], d[0], ceil_mode), _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode))
    if oh <= 0 or ow <= 0:
        c = input.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). "
                           "Output size is too small")
