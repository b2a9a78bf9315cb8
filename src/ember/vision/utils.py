"""torchvision.utils.make_grid and save_image. save_image writes through Pillow when it is installed
and otherwise encodes the PNG itself (zlib + the four chunks an 8-bit image needs), so it works with
only NumPy present."""
import math
import os
import struct
import zlib

import numpy as np

import ember

__all__ = ["make_grid", "save_image"]


def _to_numpy(t):
    t = t.detach().cpu()
    if t.dtype in (ember.float16, ember.bfloat16):
        t = t.float()
    return t.numpy()


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a (B x C x H x W) tensor or a list of (C x H x W) images into one C x H' x W' image,
    `nrow` images per row, separated by `padding` pixels of `pad_value` (torchvision's layout).
    One-channel images become three-channel; normalize=True rescales to [0, 1] by `value_range`
    (default: the min and max of the batch, or of each image with scale_each=True)."""
    if isinstance(tensor, (list, tuple)):
        for t in tensor:
            if not isinstance(t, ember.Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        tensor = ember.stack(list(tensor), 0)
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    dtype, device = tensor.dtype, tensor.device
    arr = _to_numpy(tensor)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate((arr, arr, arr), 0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects a 2-D, 3-D or 4-D tensor, got {arr.ndim}-D")
    if arr.shape[1] == 1:
        arr = np.concatenate((arr, arr, arr), 1)
    if normalize is True:
        arr = arr.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_range(img):
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            np.clip(img, low, high, out=img)
            img -= np.asarray(low, dtype=img.dtype)
            img /= np.asarray(max(high - low, 1e-5), dtype=img.dtype)

        if scale_each is True:
            for img in arr:
                norm_range(img)
        else:
            norm_range(arr)
    if arr.shape[0] == 1:
        out = arr[0]
    else:
        nmaps, num_channels = arr.shape[0], arr.shape[1]
        xmaps = min(nrow, nmaps)
        ymaps = int(math.ceil(float(nmaps) / xmaps))
        height, width = int(arr.shape[2] + padding), int(arr.shape[3] + padding)
        out = np.full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
        k = 0
        for y in range(ymaps):
            for x in range(xmaps):
                if k >= nmaps:
                    break
                top, left = y * height + padding, x * width + padding
                out[:, top:top + height - padding, left:left + width - padding] = arr[k]
                k += 1
    res = ember.from_numpy(np.ascontiguousarray(out))
    if res.dtype != dtype:
        res = res.to(dtype)
    return res.to(device) if device.type != "cpu" else res


def _png_bytes(arr):
    """Encode an H x W x C uint8 array (C in 1..4: gray, gray+alpha, RGB, RGBA) as PNG."""
    h, w, c = arr.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = np.concatenate([np.zeros((h, 1), np.uint8), arr.reshape(h, w * c)], axis=1)  # filter type 0 per row
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + chunk(b"IEND", b""))


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or list of tensors; tiled with make_grid(**kwargs)) as an image file. Values are
    taken as [0, 1] and mapped to uint8 as torchvision does: clamp(x * 255 + 0.5, 0, 255)."""
    grid = make_grid(tensor, **kwargs)
    arr = _to_numpy(grid).astype(np.float32)
    ndarr = np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        Image.fromarray(ndarr[:, :, 0] if ndarr.shape[2] == 1 else ndarr).save(fp, format=format)
        return
    if format is None and isinstance(fp, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(fp))[1].lower()
        format = "png" if ext == ".png" else ext.lstrip(".") or None
    if format is not None and format.lower() != "png":
        raise ValueError(f"save_image without Pillow writes PNG only, got format {format!r}; pip install pillow")
    if ndarr.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"save_image: cannot write an image with {ndarr.shape[2]} channels")
    data = _png_bytes(np.ascontiguousarray(ndarr))
    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "wb") as f:
            f.write(data)
    else:
        fp.write(data)
