"""ember.vision.utils.make_grid / save_image vs torchvision's algorithm (re-implemented in torch
here: torchvision is not installed) and PNG round trips (own chunk parser and Pillow)."""
import builtins
import io
import math
import struct
import sys
import zlib

import numpy as np
import pytest

import ember
from ember.vision.utils import make_grid, save_image
from conftest import require_torch


def torch_make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    torch = require_torch()  # torchvision.utils.make_grid, as in its source
    if isinstance(tensor, list):
        tensor = torch.stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    if normalize is True:
        tensor = tensor.clone()

        def norm_ip(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(t, vr):
            if vr is not None:
                norm_ip(t, vr[0], vr[1])
            else:
                norm_ip(t, float(t.min()), float(t.max()))
        if scale_each is True:
            for t in tensor:
                norm_range(t, value_range)
        else:
            norm_range(tensor, value_range)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(2, x * width + padding,
                                                                          width - padding).copy_(tensor[k])
            k += 1
    return grid


@pytest.mark.parametrize("shape,kw", [
    ((10, 3, 5, 7), {}), ((10, 3, 5, 7), {"nrow": 3, "padding": 1, "pad_value": 0.5}),
    ((5, 1, 4, 4), {"nrow": 2}), ((3, 4, 4), {}), ((1, 4, 4), {}), ((4, 6), {}), ((1, 3, 4, 4), {}),
    ((6, 3, 4, 4), {"normalize": True}), ((6, 3, 4, 4), {"normalize": True, "scale_each": True}),
    ((6, 3, 4, 4), {"normalize": True, "value_range": (-1.0, 1.0)}),
    ((6, 3, 4, 4), {"normalize": True, "value_range": (-1.0, 1.0), "scale_each": True, "padding": 0}),
    ((7, 2, 3, 3), {"nrow": 4, "padding": 3})])
def test_make_grid_matches_torchvision(shape, kw):
    torch = require_torch()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 2
    want = torch_make_grid(torch.from_numpy(x), **kw).numpy()
    got = make_grid(ember.from_numpy(x), **kw)
    assert got.dtype == ember.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


def test_make_grid_list_and_layout():
    imgs = [ember.full((3, 2, 2), float(i)) for i in range(3)]
    g = make_grid(imgs, nrow=2, padding=1, pad_value=-1).numpy()
    assert g.shape == (3, 2 * 3 + 1, 2 * 3 + 1)
    assert (g[:, 1:3, 1:3] == 0).all() and (g[:, 1:3, 4:6] == 1).all() and (g[:, 4:6, 1:3] == 2).all()
    assert (g[:, 4:6, 4:6] == -1).all() and (g[:, 0, :] == -1).all()
    with pytest.raises(TypeError, match="value_range"):
        make_grid(ember.zeros(2, 3, 2, 2), normalize=True, value_range=[0, 1])
    u8 = make_grid(ember.zeros(2, 3, 2, 2, dtype=ember.uint8))
    assert u8.dtype == ember.uint8


def parse_png(data):
    """The minimal PNG decoder for what save_image writes (8-bit, filter 0)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF
        if tag == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color = ihdr[:4]
    c = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert depth == 8 and (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, c)


def expected_pixels(x, **kw):
    g = torch_make_grid(require_torch().from_numpy(x), **kw).numpy()
    return np.clip(g * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)


@pytest.fixture
def no_pil(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    for mod in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, mod)


def test_save_image_without_pillow(no_pil, tmp_path):
    x = np.random.default_rng(1).random((5, 3, 6, 4)).astype(np.float32)
    path = tmp_path / "grid.png"
    save_image(ember.from_numpy(x), path, nrow=3)
    np.testing.assert_array_equal(parse_png(path.read_bytes()), expected_pixels(x, nrow=3))
    buf = io.BytesIO()
    save_image(ember.from_numpy(x[0]), buf, format="PNG")
    np.testing.assert_array_equal(parse_png(buf.getvalue()), expected_pixels(x[:1]))
    with pytest.raises(ValueError, match="PNG only"):
        save_image(ember.from_numpy(x), tmp_path / "grid.jpg")


def test_save_image_with_pillow(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    x = np.random.default_rng(2).random((3, 3, 5, 5)).astype(np.float32) * 1.2 - 0.1  # clamped by save_image
    path = tmp_path / "grid.png"
    save_image(ember.from_numpy(x), path, padding=1)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), expected_pixels(x, padding=1))
    # the encoder used without Pillow writes PNGs that Pillow decodes to the same pixels (gray, RGB, RGBA)
    from ember.vision.utils import _png_bytes
    arr = expected_pixels(x, padding=1)
    for a in (arr, arr[:, :, :1], np.concatenate([arr, arr[:, :, :1]], 2)):
        decoded = np.asarray(Image.open(io.BytesIO(_png_bytes(np.ascontiguousarray(a)))))
        np.testing.assert_array_equal(decoded.reshape(a.shape), a)
