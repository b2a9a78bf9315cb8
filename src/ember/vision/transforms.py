"""torchvision.transforms for ember: images are PIL images (when Pillow is installed), HxW[xC]
uint8 NumPy arrays, or ember tensors shaped [..., C, H, W]. Geometry works on all three by going
through NumPy; random choices draw from ember's generator (so ember.manual_seed fixes them)."""
import math
import numbers

import numpy as np

import ember


def _uniform(low=0.0, high=1.0):
    if hasattr(ember, "rand"):
        return low + (high - low) * float(ember.rand(1).item())
    return float(np.random.uniform(low, high))


def _randint(low, high):  # [low, high]
    if hasattr(ember, "randint"):
        return int(ember.randint(low, high + 1, (1,)).item())
    return int(np.random.randint(low, high + 1))


def _is_pil(img):
    try:
        from PIL import Image
        return isinstance(img, Image.Image)
    except ImportError:
        return False


def _to_array(img):
    """-> (HWC array, kind) where kind lets _from_array restore the input's type."""
    if isinstance(img, ember.Tensor):
        arr = img.detach().cpu().numpy()
        return np.moveaxis(arr, -3, -1), "tensor"
    if _is_pil(img):
        arr = np.asarray(img)
        return (arr[:, :, None] if arr.ndim == 2 else arr), ("pil", img.mode)
    arr = np.asarray(img)
    return (arr[:, :, None] if arr.ndim == 2 else arr), ("array", arr.ndim)


def _from_array(arr, kind):
    if kind == "tensor":
        return ember.from_numpy(np.ascontiguousarray(np.moveaxis(arr, -1, -3)))
    if kind[0] == "pil":
        from PIL import Image
        return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr, mode=kind[1] if kind[1] != "1" else None)
    return arr[:, :, 0] if kind[1] == 2 else arr


def _size_hw(img):
    arr, _ = _to_array(img)
    return arr.shape[-3], arr.shape[-2]


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToTensor:
    """PIL image or HxWxC uint8 array -> float tensor CxHxW in [0, 1]."""

    def __call__(self, pic):
        if isinstance(pic, ember.Tensor):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        arr, _ = _to_array(pic)
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        t = ember.from_numpy(chw)
        if chw.dtype == np.uint8:
            return t.to(ember.get_default_dtype()).div(255)
        return t

    def __repr__(self):
        return f"{type(self).__name__}()"


class PILToTensor:
    def __call__(self, pic):
        arr, _ = _to_array(pic)
        return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToPILImage:
    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        from PIL import Image
        arr = pic.detach().cpu().numpy() if isinstance(pic, ember.Tensor) else np.asarray(pic)
        if isinstance(pic, ember.Tensor):
            arr = np.moveaxis(arr, 0, -1) if arr.ndim == 3 else arr
            if arr.dtype != np.uint8:
                arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        return Image.fromarray(arr, mode=self.mode)


class ConvertImageDtype:
    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        if image.is_floating_point() and self.dtype.is_floating_point:
            return image.to(self.dtype)
        if not image.is_floating_point() and self.dtype.is_floating_point:
            return image.to(self.dtype).div(255 if image.dtype == ember.uint8 else float(np.iinfo(str(image.dtype).split(".")[-1]).max))
        if image.is_floating_point():
            return image.mul(255).to(self.dtype)
        return image.to(self.dtype)


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def __call__(self, tensor):
        if not isinstance(tensor, ember.Tensor):
            raise TypeError(f"Input tensor should be a ember tensor. Got {type(tensor)}.")
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
        shape = (-1, 1, 1)
        mean = ember.tensor(self.mean, dtype=tensor.dtype).view(*shape)
        std = ember.tensor(self.std, dtype=tensor.dtype).view(*shape)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _resize_array(arr, h, w, interpolation="bilinear"):
    H, W = arr.shape[-3], arr.shape[-2]
    if (H, W) == (h, w):
        return arr
    src = arr.astype(np.float64)
    if interpolation == "nearest":
        ys = np.minimum((np.arange(h) * H / h).astype(int), H - 1)
        xs = np.minimum((np.arange(w) * W / w).astype(int), W - 1)
        out = src[..., ys[:, None], xs[None, :], :]
    else:  # bilinear, half-pixel centres (align_corners=False)
        y = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
        x = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
        y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
        y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
        wy, wx = (y - y0)[:, None, None], (x - x0)[None, :, None]
        top = src[..., y0[:, None], x0[None, :], :] * (1 - wx) + src[..., y0[:, None], x1[None, :], :] * wx
        bot = src[..., y1[:, None], x0[None, :], :] * (1 - wx) + src[..., y1[:, None], x1[None, :], :] * wx
        out = top * (1 - wy) + bot * wy
    if np.issubdtype(arr.dtype, np.integer):
        out = np.clip(np.round(out), np.iinfo(arr.dtype).min, np.iinfo(arr.dtype).max)
    return out.astype(arr.dtype)


def _target_size(size, h, w):
    if isinstance(size, numbers.Number) or (isinstance(size, (list, tuple)) and len(size) == 1):
        s = int(size if isinstance(size, numbers.Number) else size[0])
        if h <= w:
            return s, int(s * w / h)
        return int(s * h / w), s
    return int(size[0]), int(size[1])


class Resize:
    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        self.size, self.interpolation = size, getattr(interpolation, "value", interpolation)

    def __call__(self, img):
        arr, kind = _to_array(img)
        h, w = _target_size(self.size, arr.shape[-3], arr.shape[-2])
        return _from_array(_resize_array(arr, h, w, str(self.interpolation).lower()), kind)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation})"


def _crop(img, top, left, height, width):
    arr, kind = _to_array(img)
    H, W = arr.shape[-3], arr.shape[-2]
    if top < 0 or left < 0 or top + height > H or left + width > W:  # pad with zeros like torchvision
        pad = [(0, 0)] * arr.ndim
        pad[-3] = (max(0, -top), max(0, top + height - H))
        pad[-2] = (max(0, -left), max(0, left + width - W))
        arr = np.pad(arr, pad)
        top, left = max(top, 0), max(left, 0)
    return _from_array(arr[..., top:top + height, left:left + width, :], kind)


class CenterCrop:
    def __init__(self, size):
        self.size = (size, size) if isinstance(size, numbers.Number) else tuple(size)

    def __call__(self, img):
        h, w = _size_hw(img)
        th, tw = self.size
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        p = self.padding
        if isinstance(p, numbers.Number):
            left = top = right = bottom = p
        elif len(p) == 2:
            left, top = right, bottom = p[0], p[1]
            left, right, top, bottom = p[0], p[0], p[1], p[1]
        else:
            left, top, right, bottom = p
        arr, kind = _to_array(img)
        pad = [(0, 0)] * arr.ndim
        pad[-3], pad[-2] = (top, bottom), (left, right)
        mode = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[self.padding_mode]
        kw = {"constant_values": self.fill} if mode == "constant" else {}
        return _from_array(np.pad(arr, pad, mode=mode, **kw), kind)


class RandomCrop:
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = (size, size) if isinstance(size, numbers.Number) else tuple(size)
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    def __call__(self, img):
        if self.padding is not None:
            img = Pad(self.padding, self.fill, self.padding_mode)(img)
        h, w = _size_hw(img)
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            img = Pad((max(0, tw - w), max(0, th - h)), self.fill, self.padding_mode)(img)
            h, w = _size_hw(img)
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        return _crop(img, _randint(0, h - th), _randint(0, w - tw), th, tw)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if _uniform() < self.p:
            arr, kind = _to_array(img)
            return _from_array(np.ascontiguousarray(arr[..., ::-1, :]), kind)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    def __call__(self, img):
        if _uniform() < self.p:
            arr, kind = _to_array(img)
            return _from_array(np.ascontiguousarray(arr[..., ::-1, :, :]), kind)
        return img


class RandomResizedCrop:
    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear", antialias=True):
        self.size = (size, size) if isinstance(size, numbers.Number) else tuple(size)
        self.scale, self.ratio, self.interpolation = scale, ratio, interpolation

    def get_params(self, h, w):
        area = h * w
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(self.scale[0], self.scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            cw, ch = int(round(math.sqrt(target_area * aspect))), int(round(math.sqrt(target_area / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return _randint(0, h - ch), _randint(0, w - cw), ch, cw
        in_ratio = w / h
        if in_ratio < min(self.ratio):
            cw, ch = w, int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            ch, cw = h, int(round(h * max(self.ratio)))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def __call__(self, img):
        h, w = _size_hw(img)
        top, left, ch, cw = self.get_params(h, w)
        cropped = _crop(img, top, left, ch, cw)
        return Resize(self.size, self.interpolation)(cropped)


class RandomRotation:
    """Rotate by a random angle in `degrees` (nearest-neighbour, about the centre, zero fill)."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        self.degrees = (-degrees, degrees) if isinstance(degrees, numbers.Number) else tuple(degrees)
        self.fill = fill

    def __call__(self, img):
        angle = math.radians(_uniform(*self.degrees))
        arr, kind = _to_array(img)
        H, W = arr.shape[-3], arr.shape[-2]
        cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
        yy, xx = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
        # inverse mapping: output pixel -> source pixel (counter-clockwise rotation, as torchvision)
        sx = np.cos(angle) * (xx - cx) - np.sin(angle) * (yy - cy) + cx
        sy = np.sin(angle) * (xx - cx) + np.cos(angle) * (yy - cy) + cy
        sxi, syi = np.round(sx).astype(int), np.round(sy).astype(int)
        valid = (sxi >= 0) & (sxi < W) & (syi >= 0) & (syi < H)
        out = np.full_like(arr, self.fill)
        out[..., valid, :] = arr[..., syi[valid], sxi[valid], :]
        return _from_array(out, kind)


def _blend(a, b, ratio, dtype):
    out = ratio * a + (1.0 - ratio) * b
    bound = 255.0 if np.issubdtype(dtype, np.integer) else 1.0
    return np.clip(out, 0, bound).astype(dtype)


def _gray(arr):
    if arr.shape[-1] == 1:
        return arr.astype(np.float64)
    return (0.299 * arr[..., 0] + 0.587 * arr[..., 1] + 0.114 * arr[..., 2])[..., None].astype(np.float64)


class ColorJitter:
    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        def rng(v, center=1.0):
            if isinstance(v, numbers.Number):
                return (max(0.0, center - v), center + v) if v else None
            return tuple(v)
        self.brightness, self.contrast, self.saturation = rng(brightness), rng(contrast), rng(saturation)
        self.hue = None if not hue else ((-hue, hue) if isinstance(hue, numbers.Number) else tuple(hue))

    def __call__(self, img):
        arr, kind = _to_array(img)
        dtype = arr.dtype
        x = arr.astype(np.float64)
        order = list(range(4))
        for i in range(3, 0, -1):  # Fisher-Yates with ember's RNG
            j = _randint(0, i)
            order[i], order[j] = order[j], order[i]
        for op in order:
            if op == 0 and self.brightness:
                x = _blend(x, np.zeros_like(x), _uniform(*self.brightness), np.float64)
            elif op == 1 and self.contrast:
                x = _blend(x, np.full_like(x, _gray(x).mean()), _uniform(*self.contrast), np.float64)
            elif op == 2 and self.saturation:
                x = _blend(x, np.broadcast_to(_gray(x), x.shape), _uniform(*self.saturation), np.float64)
        if np.issubdtype(dtype, np.integer):
            x = np.round(x)
        return _from_array(x.astype(dtype), kind)


class Grayscale:
    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        arr, kind = _to_array(img)
        g = _gray(arr)
        if np.issubdtype(arr.dtype, np.integer):
            g = np.round(g)
        g = g.astype(arr.dtype)
        if self.num_output_channels == 3:
            g = np.repeat(g, 3, axis=-1)
        if isinstance(kind, tuple) and kind[0] == "pil":
            kind = ("pil", "L" if self.num_output_channels == 1 else "RGB")
        return _from_array(g, kind)
