"""The image operations behind ember.vision.transforms (torchvision.transforms.functional).

Images are ember tensors [..., C, H, W], NumPy arrays H x W [x C] (uint8 like a decoded image), or
PIL images. Tensors and arrays are processed as NumPy [..., H, W, C] arrays following torchvision's
tensor code (same formulas, same rounding: uint8 results are truncated where torchvision casts with
.to(uint8) and rounded where it calls round_()); PIL images go through Pillow's own operations, as
torchvision's PIL path does.
"""
import math
import numbers

import numpy as np

import ember


class InterpolationMode:
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _mode(interpolation):
    return str(getattr(interpolation, "value", interpolation)).lower()


def is_pil(img):
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


def to_array(img):
    """-> ([..., H, W, C] array, kind); kind lets from_array restore the input's type."""
    if isinstance(img, ember.Tensor):
        t = img.detach().cpu()
        if t.dim() < 2:
            raise ValueError(f"Expected a tensor image of size (..., C, H, W), got {tuple(t.shape)}")
        kind = ("tensor", t.dtype, t.dim())
        if t.dtype == ember.bfloat16 or t.dtype == ember.float16:
            t = t.float()
        arr = t.numpy()
        if arr.ndim == 2:
            arr = arr[None]
        return np.moveaxis(arr, -3, -1), kind
    if is_pil(img):
        arr = np.asarray(img)
        return (arr[:, :, None] if arr.ndim == 2 else arr), ("pil", img.mode)
    arr = np.asarray(img)
    return (arr[:, :, None] if arr.ndim == 2 else arr), ("array", arr.ndim)


def from_array(arr, kind):
    if kind[0] == "tensor":
        out = np.ascontiguousarray(np.moveaxis(arr, -1, -3))
        if kind[2] == 2:
            out = out[0]
        t = ember.from_numpy(out)
        return t.to(kind[1]) if t.dtype != kind[1] else t
    if kind[0] == "pil":
        from PIL import Image
        img = Image.fromarray(np.ascontiguousarray(arr[:, :, 0] if arr.shape[2] == 1 else arr))
        return img.convert(kind[1]) if kind[1] in ("1", "LA", "RGBA", "RGB", "L") and img.mode != kind[1] else img
    return arr[:, :, 0] if kind[1] == 2 else arr


def get_image_size(img):
    """[width, height], as torchvision.transforms.functional.get_image_size."""
    if is_pil(img):
        return list(img.size)
    if isinstance(img, ember.Tensor):
        return [int(img.shape[-1]), int(img.shape[-2])]
    a = np.asarray(img)
    return [a.shape[1], a.shape[0]]


def _bound(dtype):
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def _cast(x, dtype, rounding=False):
    """float result -> dtype; integers saturate, and are truncated (torch's .to) unless rounding."""
    if np.issubdtype(dtype, np.integer):
        if rounding:
            x = np.round(x)
        info = np.iinfo(dtype)
        return np.clip(x, info.min, info.max).astype(dtype)
    return x.astype(dtype)


# ---- resize
def _weights(n_in, n_out, mode, antialias):
    """The (n_out, n_in) interpolation matrix of one axis (align_corners=False), as torch computes it."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in), np.float64)
    i = np.arange(n_out)
    if mode == "nearest":
        w[i, np.minimum(np.floor(i * scale).astype(int), n_in - 1)] = 1
        return w
    if mode == "nearest-exact":
        w[i, np.minimum(np.floor((i + 0.5) * scale).astype(int), n_in - 1)] = 1
        return w
    if mode != "bilinear":
        raise NotImplementedError(f"resize of tensors/arrays supports nearest, nearest-exact and bilinear, got {mode}"
                                  " (PIL images support every mode)")
    if antialias and scale > 1.0:  # torch's _upsample_bilinear2d_aa (Pillow's triangle filter, widened)
        support, inv = scale, 1.0 / scale
        for o in range(n_out):
            center = scale * (o + 0.5)
            lo = max(int(center - support + 0.5), 0)
            hi = min(int(center + support + 0.5), n_in)
            taps = np.clip(1.0 - np.abs((np.arange(lo, hi) - center + 0.5) * inv), 0, None)
            w[o, lo:hi] = taps / taps.sum()
        return w
    src = np.maximum(scale * (i + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    np.add.at(w, (i, i0), 1 - lam)
    np.add.at(w, (i, i1), lam)
    return w


def _resize_array(arr, h, w, mode, antialias):
    H, W = arr.shape[-3], arr.shape[-2]
    if (H, W) == (h, w):
        return arr
    x = arr.astype(np.float64 if arr.dtype == np.float64 else np.float32)
    wy, wx = _weights(H, h, mode, antialias), _weights(W, w, mode, antialias)
    if mode.startswith("nearest"):
        return arr[..., wy.argmax(1)[:, None], wx.argmax(1)[None, :], :]
    out = np.einsum("...hwc,vw->...hvc", x, wx.astype(x.dtype))
    out = np.einsum("...hvc,uh->...uvc", out, wy.astype(x.dtype))
    return _cast(out, arr.dtype, rounding=True)


def _output_size(size, h, w, max_size=None):
    if isinstance(size, numbers.Number) or (isinstance(size, (list, tuple)) and len(size) == 1):
        s = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. size "
                         "should be an int or a sequence of length 1 in torchscript mode.")
    return int(size[0]), int(size[1])


_PIL_FILTERS = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5, "lanczos": 1}


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` ((h, w), or the smaller edge when an int). Tensors/arrays: torch's interpolate
    (align_corners=False; bilinear with antialias=True by default, as torchvision's v2), integer images
    rounded; PIL images: Image.resize (which always antialiases)."""
    mode = _mode(interpolation)
    w0, h0 = get_image_size(img)
    h, w = _output_size(size, h0, w0, max_size)
    if is_pil(img):
        return img if (w, h) == (w0, h0) else img.resize((w, h), _PIL_FILTERS[mode])
    arr, kind = to_array(img)
    return from_array(_resize_array(arr, h, w, mode, bool(antialias)), kind)


# ---- crop, pad, flip
def crop(img, top, left, height, width):
    """Crop; parts outside the image are zero-padded, as torchvision does."""
    arr, kind = to_array(img)
    H, W = arr.shape[-3], arr.shape[-2]
    if top < 0 or left < 0 or top + height > H or left + width > W:
        pad = [(0, 0)] * arr.ndim
        pad[-3] = (max(0, -top), max(0, top + height - H))
        pad[-2] = (max(0, -left), max(0, left + width - W))
        arr = np.pad(arr, pad)
        top, left = max(top, 0), max(left, 0)
    return from_array(np.ascontiguousarray(arr[..., top:top + height, left:left + width, :]), kind)


def center_crop(img, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    w, h = get_image_size(img)
    th, tw = output_size
    if tw > w or th > h:  # torchvision pads first ((d // 2) before, (d + 1) // 2 after), then crops
        padding = [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                   (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0]
        img = pad(img, padding, fill=0)
        w, h = get_image_size(img)
        if w == tw and h == th:
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def _parse_padding(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad (left, top, right, bottom); modes constant (fill: a number or one value per channel), edge,
    reflect (no edge repeat) and symmetric (edge repeated)."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    arr, kind = to_array(img)
    if min(left, top, right, bottom) < 0:  # negative padding crops, as torch.nn.functional.pad
        H, W = arr.shape[-3], arr.shape[-2]
        arr = arr[..., max(-top, 0):H - max(-bottom, 0), max(-left, 0):W - max(-right, 0), :]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    widths = [(0, 0)] * arr.ndim
    widths[-3], widths[-2] = (top, bottom), (left, right)
    if padding_mode != "constant":
        return from_array(np.pad(arr, widths, mode=padding_mode), kind)
    out = np.pad(arr, widths)
    fills = [fill] if isinstance(fill, numbers.Number) else list(fill)
    if any(f != 0 for f in fills):
        mask = np.ones(arr.shape[:-1] + (1,), bool)
        mask = ~np.pad(mask, widths)[..., 0]
        out[mask] = np.asarray(fills if len(fills) > 1 else fills * out.shape[-1], dtype=out.dtype)
    return from_array(out, kind)


def hflip(img):
    arr, kind = to_array(img)
    return from_array(np.ascontiguousarray(arr[..., ::-1, :]), kind)


def vflip(img):
    arr, kind = to_array(img)
    return from_array(np.ascontiguousarray(arr[..., ::-1, :, :]), kind)


# ---- rotation (torchvision's affine grid + grid_sample, align_corners=False)
def _inverse_rotation(angle, center):
    """torchvision's _get_inverse_affine_matrix(center, -angle, [0, 0], 1, [0, 0])."""
    rot = math.radians(-angle)
    cx, cy = center
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    return m


def _expanded_size(m, w, h):
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], np.float32)
    new = pts @ np.array(m, np.float32).reshape(2, 3).T
    tol = 1e-4
    cmax = np.ceil(np.trunc(new.max(0) / tol) * tol)
    cmin = np.floor(np.trunc(new.min(0) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate counter-clockwise by `angle` degrees about `center` ((x, y) in pixels; default the
    image centre); expand=True grows the output to hold the whole rotated image; `fill` for the
    area outside (a number or one value per channel)."""
    mode = _mode(interpolation)
    if is_pil(img):
        f = tuple(fill) if isinstance(fill, (list, tuple)) else fill
        return img.rotate(angle, _PIL_FILTERS[mode], expand, center, fillcolor=f)
    if mode not in ("nearest", "bilinear"):
        raise NotImplementedError(f"rotate supports nearest and bilinear on tensors, got {mode}")
    arr, kind = to_array(img)
    H, W = arr.shape[-3], arr.shape[-2]
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (W, H))]
    m = _inverse_rotation(angle, center_f)
    ow, oh = _expanded_size(m, W, H) if expand else (W, H)
    # output pixel centres relative to the output's centre -> source pixel coordinates
    xs = np.arange(ow, dtype=np.float64) - ow * 0.5 + 0.5
    ys = np.arange(oh, dtype=np.float64) - oh * 0.5 + 0.5
    X, Y = np.meshgrid(xs, ys)
    # the same steps as torchvision + grid_sample (normalised grid, then unnormalised), so that
    # samples landing exactly between two pixels round the same way
    gx = X * (m[0] / (0.5 * W)) + Y * (m[1] / (0.5 * W)) + m[2] / (0.5 * W)
    gy = X * (m[3] / (0.5 * H)) + Y * (m[4] / (0.5 * H)) + m[5] / (0.5 * H)
    sx = ((gx + 1) * W - 1) / 2
    sy = ((gy + 1) * H - 1) / 2
    x = arr.astype(np.float64)
    if mode == "nearest":
        xi, yi = np.rint(sx).astype(int), np.rint(sy).astype(int)
        valid = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
        out = np.zeros(arr.shape[:-3] + (oh, ow, arr.shape[-1]), np.float64)
        out[..., valid, :] = x[..., yi[valid], xi[valid], :]
        inside = valid.astype(np.float64)
    else:
        x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
        out = np.zeros(arr.shape[:-3] + (oh, ow, arr.shape[-1]), np.float64)
        inside = np.zeros((oh, ow))
        for dy in (0, 1):
            for dx in (0, 1):
                xi, yi = x0 + dx, y0 + dy
                wgt = (1 - np.abs(sx - xi)) * (1 - np.abs(sy - yi))
                ok = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
                out[..., ok, :] += wgt[ok][:, None] * x[..., yi[ok], xi[ok], :]
                inside[ok] += wgt[ok]
    if fill is not None:  # torchvision: blend with the fill by the sampled validity mask
        fills = np.asarray([fill] if isinstance(fill, numbers.Number) else list(fill), np.float64)
        mk = inside[..., None]
        if mode == "nearest":
            mk = (mk >= 0.5).astype(np.float64)
        out = out * mk + (1.0 - mk) * fills
    return from_array(_cast(out, arr.dtype, rounding=True), kind)


# ---- colour (torchvision's tensor formulas)
def _gray(x, dtype):
    """rgb_to_grayscale: 0.2989 R + 0.587 G + 0.114 B, cast back to the image dtype (truncating)."""
    if x.shape[-1] == 1:
        return x.astype(np.float64)
    g = 0.2989 * x[..., 0:1] + 0.587 * x[..., 1:2] + 0.114 * x[..., 2:3]
    return _cast(g, dtype).astype(np.float64)


def _blend(a, b, ratio, dtype):
    return _cast(np.clip(ratio * a + (1.0 - ratio) * b, 0, _bound(dtype)), dtype).astype(np.float64)


def _rgb2hsv(img):
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    maxc, minc = img.max(-1), img.min(-1)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), -1)


def _hsv2rgb(img):
    h, s, v = img[..., 0], img[..., 1], img[..., 2]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(img.shape, img.dtype)
    for k, (r, g, b) in enumerate(choices):
        m = i == k
        out[..., 0] = np.where(m, r, out[..., 0])
        out[..., 1] = np.where(m, g, out[..., 1])
        out[..., 2] = np.where(m, b, out[..., 2])
    return out


def _color_op(img, fn, pil_fn):
    if is_pil(img):
        return pil_fn(img)
    arr, kind = to_array(img)
    return from_array(_cast(fn(arr.astype(np.float64), arr.dtype), arr.dtype), kind)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    from_pil = lambda im: __import__("PIL.ImageEnhance", fromlist=["x"]).Brightness(im).enhance(brightness_factor)
    return _color_op(img, lambda x, dt: _blend(x, np.zeros_like(x), brightness_factor, dt), from_pil)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")

    def fn(x, dt):
        g = _gray(x, dt)
        mean = g.astype(dt if not np.issubdtype(dt, np.integer) else np.float32).mean(axis=(-3, -2, -1),
                                                                                        keepdims=True)
        return _blend(x, mean, contrast_factor, dt)
    from_pil = lambda im: __import__("PIL.ImageEnhance", fromlist=["x"]).Contrast(im).enhance(contrast_factor)
    return _color_op(img, fn, from_pil)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    from_pil = lambda im: __import__("PIL.ImageEnhance", fromlist=["x"]).Color(im).enhance(saturation_factor)
    return _color_op(img, lambda x, dt: x if x.shape[-1] == 1 else _blend(x, _gray(x, dt), saturation_factor, dt),
                     from_pil)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")

    def pil_fn(im):
        from PIL import Image
        if im.mode in ("L", "1", "I", "F"):
            return im
        h, s, v = im.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.array(hue_factor * 255).astype(np.int32).astype(np.uint8)  # wraps mod 256
        return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(im.mode)

    def fn(x, dt):
        if x.shape[-1] == 1:
            return x
        integer = np.issubdtype(dt, np.integer)
        y = (x.astype(np.float32) / 255.0) if integer else x
        hsv = _rgb2hsv(y)
        hsv[..., 0] = np.fmod(hsv[..., 0] + hue_factor, 1.0)
        hsv[..., 0] = np.where(hsv[..., 0] < 0, hsv[..., 0] + 1.0, hsv[..., 0])  # torch's % is a floor mod
        out = _hsv2rgb(hsv)
        return out * 255.0 if integer else out
    return _color_op(img, fn, pil_fn)


def rgb_to_grayscale(img, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if is_pil(img):
        g = img.convert("L")
        return g if num_output_channels == 1 else __import__("PIL.Image", fromlist=["x"]).merge("RGB", [g, g, g])
    arr, kind = to_array(img)
    if arr.shape[-1] not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {arr.shape[-1]}")
    g = _cast(_gray(arr.astype(np.float64), arr.dtype), arr.dtype)
    if num_output_channels == 3:
        g = np.repeat(g, 3, axis=-1)
    return from_array(g, kind)


def normalize(tensor, mean, std, inplace=False):
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(tensor.shape)}")
    mean = ember.as_tensor(mean, dtype=tensor.dtype) if not isinstance(mean, ember.Tensor) else mean.to(tensor.dtype)
    std = ember.as_tensor(std, dtype=tensor.dtype) if not isinstance(std, ember.Tensor) else std.to(tensor.dtype)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean.dim() == 1:
        mean = mean.view(-1, 1, 1)
    if std.dim() == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


# ---- conversions
_INT_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "int32": 2 ** 31 - 1, "int64": 2 ** 63 - 1}


def _name(dtype):
    return str(dtype).split(".")[-1]


def convert_image_dtype(image, dtype=ember.float32):
    """torchvision's convert_image_dtype: floats in [0, 1] <-> integers in [0, max], rescaling."""
    if not isinstance(image, ember.Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    out_float = dtype.is_floating_point
    if image.is_floating_point():
        if out_float:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or \
                (image.dtype == ember.float64 and dtype == ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        return image.mul(float(_INT_MAX[_name(dtype)]) + 1.0 - eps).to(dtype)
    input_max = float(_INT_MAX[_name(image.dtype)])
    if out_float:
        return image.to(dtype) / input_max
    output_max = float(_INT_MAX[_name(dtype)])
    arr = image.numpy()
    np_out = np.dtype(_name(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return ember.from_numpy(np.ascontiguousarray((arr // factor).astype(np_out)))
    factor = int((output_max + 1) // (input_max + 1))
    return ember.from_numpy(np.ascontiguousarray(arr.astype(np_out) * np_out.type(factor)))


def pil_to_tensor(pic):
    arr, _ = to_array(pic)
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_tensor(pic):
    """PIL image or H x W [x C] array -> C x H x W tensor; uint8 becomes float in [0, 1], other
    dtypes are kept (torchvision's to_tensor)."""
    if isinstance(pic, ember.Tensor) or not (is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray) and pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if is_pil(pic) and pic.mode == "1":
        arr = np.asarray(pic, dtype=np.uint8)[:, :, None] * 255
    else:
        arr, _ = to_array(pic)
    t = ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if arr.dtype == np.uint8:
        return t.to(ember.get_default_dtype()).div(255)
    return t


def to_pil_image(pic, mode=None):
    """Tensor C x H x W or array H x W x C -> PIL image; float tensors are scaled by 255 (values
    clipped to [0, 1] first, where torchvision would wrap them)."""
    from PIL import Image
    if isinstance(pic, ember.Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        t = pic.detach().cpu()
        if t.dtype in (ember.float16, ember.bfloat16):
            t = t.float()
        arr = t.numpy()
        arr = np.moveaxis(arr, 0, -1) if arr.ndim == 3 else arr
        if np.issubdtype(arr.dtype, np.floating) and mode != "F":
            arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[2]} channels.")
    if arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    img = Image.fromarray(np.ascontiguousarray(arr))
    return img.convert(mode) if mode is not None and img.mode != mode else img
