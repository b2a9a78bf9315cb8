"""ember.vision.transforms vs torchvision's tensor code, re-implemented in torch here (torchvision is
not installed): Normalize, Pad, CenterCrop, flips, ConvertImageDtype, Resize (interpolate with
antialias=True, torchvision v2's default, and antialias=False), Grayscale, the colour adjustments,
rotate (affine grid + grid_sample); PIL inputs go through Pillow as torchvision's PIL path does."""
import math

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from conftest import require_torch


def img_f32(shape=(3, 11, 14), seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def img_u8(shape=(3, 11, 14), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def E(a):
    return ember.from_numpy(np.ascontiguousarray(a))


def tt(a):
    return require_torch().from_numpy(np.ascontiguousarray(a))


def test_normalize():
    x = img_f32((2, 3, 5, 6))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    torch = require_torch()
    want = ((tt(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)).numpy()
    np.testing.assert_allclose(T.Normalize(mean, std)(E(x)).numpy(), want, rtol=1e-6)
    y = E(x[0])
    out = T.Normalize(mean, std, inplace=True)(y)
    np.testing.assert_allclose(y.numpy(), want[0], rtol=1e-6)
    assert out.data_ptr() == y.data_ptr()
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize(mean, std)(E(img_u8()))
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize(mean, (1.0, 0.0, 1.0))(E(x))
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        T.Normalize(mean, std)(E(x[0, 0]))


@pytest.mark.parametrize("padding", [2, (1, 3), (1, 2, 3, 4), [0, 1, 0, 5]])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad(padding, mode):
    torch = require_torch()
    x = img_f32((3, 6, 7))
    l, t, r, b = F._parse_padding(padding)
    if mode == "symmetric":
        want = np.pad(x, [(0, 0), (t, b), (l, r)], mode="symmetric")
    else:
        tmode = {"constant": "constant", "edge": "replicate", "reflect": "reflect"}[mode]
        want = torch.nn.functional.pad(tt(x)[None], (l, r, t, b), mode=tmode)[0].numpy()
    np.testing.assert_array_equal(T.Pad(padding, padding_mode=mode)(E(x)).numpy(), want)


def test_pad_fill_and_errors():
    x = img_u8((3, 2, 2))
    out = T.Pad(1, fill=(10, 20, 30))(E(x)).numpy()
    assert out.shape == (3, 4, 4) and out[:, 0, 0].tolist() == [10, 20, 30]
    np.testing.assert_array_equal(out[:, 1:3, 1:3], x)
    assert (T.Pad(1, fill=7)(E(x)).numpy()[:, -1, :] == 7).all()
    with pytest.raises(ValueError, match="Padding mode"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="1, 2, or 4 element"):
        T.Pad((1, 2, 3))
    arr = img_u8((5, 4, 3))  # H x W x C array in, array out
    assert T.Pad(1)(arr).shape == (7, 6, 3)


@pytest.mark.parametrize("size", [4, (5, 3), (11, 14), (13, 15), (12, 9), [6]])
def test_center_crop(size):
    x = img_f32()
    th, tw = (size, size) if isinstance(size, int) else (size[0], size[-1])
    h, w = x.shape[1:]
    # torchvision: pad (zeros) when the crop is larger, then crop at round((h - th) / 2)
    pl, pt = ((tw - w) // 2 if tw > w else 0), ((th - h) // 2 if th > h else 0)
    pr, pb = ((tw - w + 1) // 2 if tw > w else 0), ((th - h + 1) // 2 if th > h else 0)
    xp = np.pad(x, [(0, 0), (pt, pb), (pl, pr)])
    H, W = xp.shape[1:]
    top, left = int(round((H - th) / 2.0)), int(round((W - tw) / 2.0))
    want = xp[:, top:top + th, left:left + tw]
    np.testing.assert_array_equal(T.CenterCrop(size)(E(x)).numpy(), want)


def test_flips():
    torch = require_torch()
    x = img_f32((2, 3, 4, 5))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(E(x)).numpy(), torch.flip(tt(x), [-1]).numpy())
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(E(x)).numpy(), torch.flip(tt(x), [-2]).numpy())
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(E(x)).numpy(), x)
    ember.manual_seed(0)
    flips = [T.RandomHorizontalFlip()(E(x)).numpy()[0, 0, 0, 0] == x[0, 0, 0, -1] for _ in range(200)]
    assert 60 < sum(flips) < 140


def torch_convert_image_dtype(image, dtype):
    torch = require_torch()  # torchvision.transforms.functional.convert_image_dtype
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if torch.tensor(0, dtype=dtype).is_floating_point():
            return image.to(dtype)
        return image.mul(float(torch.iinfo(dtype).max) + 1.0 - 1e-3).to(dtype)
    input_max = float(torch.iinfo(image.dtype).max)
    if torch.tensor(0, dtype=dtype).is_floating_point():
        return image.to(dtype) / input_max
    output_max = float(torch.iinfo(dtype).max)
    if input_max > output_max:
        return torch.div(image, int((input_max + 1) // (output_max + 1)), rounding_mode="floor").to(dtype)
    return image.to(dtype) * int((output_max + 1) // (input_max + 1))


@pytest.mark.parametrize("src,dst", [("uint8", "float32"), ("float32", "uint8"), ("float64", "uint8"),
                                     ("uint8", "int32"), ("int32", "uint8"), ("int16", "float64"),
                                     ("float32", "int16"), ("uint8", "uint8"), ("float32", "float64")])
def test_convert_image_dtype(src, dst):
    torch = require_torch()
    rng = np.random.default_rng(0)
    if src.startswith("float"):
        x = np.concatenate([rng.random(50), [0.0, 1.0, 0.5, 0.999]]).astype(src)
    else:
        info = np.iinfo(src)
        x = np.concatenate([rng.integers(0, info.max, 50), [0, info.max]]).astype(src)
    want = torch_convert_image_dtype(tt(x), getattr(torch, dst)).numpy()
    got = T.ConvertImageDtype(getattr(ember, dst))(E(x))
    assert str(got.dtype) == f"ember.{dst}"
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(E(np.zeros(2, np.float32)), ember.int64)


@pytest.mark.parametrize("size", [(5, 6), (20, 31), (7, 30), 8, (11, 14)])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor_matches_interpolate(size, antialias):
    torch = require_torch()
    x = img_f32((2, 3, 11, 14))
    out_hw = size if isinstance(size, tuple) else (8, int(8 * 14 / 11))
    want = torch.nn.functional.interpolate(tt(x), size=out_hw, mode="bilinear", align_corners=False,
                                           antialias=antialias).numpy()
    got = T.Resize(size, antialias=antialias)(E(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # uint8: computed in float32, rounded (torchvision's tensor path)
    u = img_u8((3, 11, 14))
    want = torch.nn.functional.interpolate(tt(u)[None].float(), size=out_hw, mode="bilinear", align_corners=False,
                                           antialias=antialias)[0].round().clamp(0, 255).to(torch.uint8).numpy()
    got = T.Resize(size, antialias=antialias)(E(u)).numpy()
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1 and (got == want).mean() > 0.99


@pytest.mark.parametrize("mode,tmode", [("nearest", "nearest"), ("nearest-exact", "nearest-exact")])
def test_resize_nearest(mode, tmode):
    torch = require_torch()
    x = img_f32((3, 11, 14))
    for hw in [(5, 6), (23, 29)]:
        want = torch.nn.functional.interpolate(tt(x)[None], size=hw, mode=tmode)[0].numpy()
        np.testing.assert_array_equal(T.Resize(hw, interpolation=mode)(E(x)).numpy(), want)


def test_resize_sizes_and_pil():
    x = E(img_f32((3, 10, 20)))
    assert tuple(T.Resize(5)(x).shape) == (3, 5, 10)
    assert tuple(T.Resize(5, max_size=8)(x).shape) == (3, 4, 8)
    assert tuple(T.Resize([4])(E(img_f32((3, 20, 10)))).shape) == (3, 8, 4)
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((5, 5), max_size=8)(x)
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(img_u8((9, 12, 3)))
    out = T.Resize((4, 5))(pil)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(pil.resize((5, 4), Image.BILINEAR)))


def torch_gray(x):
    return (0.2989 * x[..., 0, :, :] + 0.587 * x[..., 1, :, :] + 0.114 * x[..., 2, :, :]).to(x.dtype).unsqueeze(-3)


def torch_blend(a, b, ratio):
    bound = 1.0 if a.is_floating_point() else 255.0
    return (ratio * a + (1.0 - ratio) * b).clamp(0, bound).to(a.dtype)


def torch_hue(img, hue_factor):
    torch = require_torch()  # torchvision's _rgb2hsv / _hsv2rgb
    orig = img.dtype
    if orig == torch.uint8:
        img = img.to(torch.float32) / 255.0
    r, g, b = img.unbind(-3)
    maxc, minc = torch.max(img, -3).values, torch.min(img, -3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    crd = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    h = (h + hue_factor) % 1.0
    v = maxc
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    p = torch.clamp(v * (1.0 - s), 0.0, 1.0)
    q = torch.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = torch.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    mask = i.unsqueeze(-3) == torch.arange(6, dtype=torch.int32).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), -3)
    a2 = torch.stack((t, v, v, q, p, p), -3)
    a3 = torch.stack((p, p, t, v, v, q), -3)
    a4 = torch.stack((a1, a2, a3), -4)
    out = torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(img.dtype), a4)
    return (out * 255.0).to(orig) if orig == torch.uint8 else out


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_color_adjustments(dtype):
    torch = require_torch()
    x = img_f32() if dtype == "float32" else img_u8()
    t, e = tt(x), E(x)

    def close(got, want):
        if dtype == "uint8":  # float64 here vs float32 in torch: a truncation may land one step apart
            d = np.abs(got.numpy().astype(int) - want.numpy().astype(int))
            assert d.max() <= 1 and (d == 0).mean() > 0.97
        else:
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    close(F.adjust_brightness(e, 1.3), torch_blend(t, torch.zeros_like(t), 1.3))
    ft = t.float() if dtype == "uint8" else t
    mean = torch.mean(torch_gray(t).to(ft.dtype), dim=(-3, -2, -1), keepdim=True)
    close(F.adjust_contrast(e, 0.6), torch_blend(t, mean, 0.6))
    close(F.adjust_saturation(e, 1.7), torch_blend(t, torch_gray(t), 1.7))
    close(T.Grayscale()(e), torch_gray(t))
    close(T.Grayscale(3)(e), torch_gray(t).expand(3, -1, -1))
    for hf in (0.2, -0.35):
        close(F.adjust_hue(e, hf), torch_hue(t, hf))


def test_color_jitter():
    u = img_u8()
    assert np.array_equal(T.ColorJitter()(E(u)).numpy(), u)  # zero ranges: identity
    ember.manual_seed(0)
    out = T.ColorJitter(0.1, 0.1, 0.1)(E(u)).numpy()
    assert out.dtype == np.uint8 and np.abs(out.astype(int) - u).mean() < 40 and out.max() > 100
    cj = T.ColorJitter(brightness=(0.5, 1.5), hue=0.2)
    assert cj.brightness == (0.5, 1.5) and cj.hue == (-0.2, 0.2) and cj.contrast is None
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    Image = pytest.importorskip("PIL.Image")
    ImageEnhance = pytest.importorskip("PIL.ImageEnhance")
    pil = Image.fromarray(u.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(F.adjust_contrast(pil, 0.5)),
                                  np.asarray(ImageEnhance.Contrast(pil).enhance(0.5)))
    assert F.adjust_hue(pil, 0.1).size == pil.size


def torch_rotate(img, angle, mode, expand=False, fill=None):
    torch = require_torch()  # torchvision: inverse affine matrix, _gen_affine_grid, grid_sample
    h, w = img.shape[-2:]
    rot = math.radians(-angle)
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    ow, oh = w, h
    if expand:
        pts = torch.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                            [0.5 * w, -0.5 * h, 1.0]])
        new = pts @ torch.tensor(m, dtype=torch.float).view(2, 3).T
        tol = 1e-4
        size = torch.ceil((new.max(0).values / tol).trunc_() * tol) - torch.floor((new.min(0).values / tol).trunc_() * tol)
        ow, oh = int(size[0]), int(size[1])
    theta = torch.tensor(m, dtype=torch.float64).view(1, 2, 3)
    base = torch.empty(1, oh, ow, 3, dtype=torch.float64)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow, dtype=torch.float64))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh, dtype=torch.float64).unsqueeze(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, oh * ow, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h],
                                                                             dtype=torch.float64)).view(1, oh, ow, 2)
    x = img[None].to(torch.float64)
    if fill is not None:
        x = torch.cat((x, torch.ones_like(x[:, :1])), 1)
    out = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = out[:, -1:]
        out = out[:, :-1]
        if mode == "nearest":
            mask = (mask >= 0.5).to(out.dtype)
        out = out * mask + (1.0 - mask) * torch.tensor(fill, dtype=out.dtype).view(1, -1, 1, 1)
    return out[0]


@pytest.mark.parametrize("angle", [30.0, -75.0, 90.0, 12.5])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("expand", [False, True])
def test_rotate_matches_grid_sample(angle, mode, expand):
    x = img_f32((3, 9, 12)).astype(np.float64)
    fill = [0.1, 0.2, 0.3] if expand else None
    want = torch_rotate(tt(x), angle, mode, expand, fill).numpy()
    got = F.rotate(E(x), angle, mode, expand=expand, fill=fill).numpy()
    assert got.shape == want.shape
    if mode == "nearest":  # a sample exactly between two pixels may round either way
        assert (np.isclose(got, want, atol=1e-9)).mean() > 0.999
    else:
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_random_rotation_and_pil():
    ember.manual_seed(0)
    x = E(img_f32((3, 8, 8)))
    assert tuple(T.RandomRotation(45, expand=True)(x).shape)[0] == 3
    assert T.RandomRotation(0)(x).numpy().tolist() == x.numpy().tolist()
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(img_u8((9, 12, 3)))
    np.testing.assert_array_equal(np.asarray(F.rotate(pil, 30, expand=True)), np.asarray(pil.rotate(30, 0, True)))


def test_random_crop():
    x = img_f32((3, 6, 7))
    ember.manual_seed(1)
    outs = [T.RandomCrop(4)(E(x)).numpy() for _ in range(30)]
    for o in outs:  # every crop is a window of the input
        assert any(np.array_equal(o, x[:, i:i + 4, j:j + 4]) for i in range(3) for j in range(4))
    assert len({o.tobytes() for o in outs}) > 3
    out = T.RandomCrop((8, 9), pad_if_needed=True, fill=5)(E(x)).numpy()
    assert out.shape == (3, 8, 9)
    out = T.RandomCrop(10, padding=2, padding_mode="reflect")(E(x))
    assert tuple(out.shape) == (3, 10, 10)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(8)(E(x))
    ember.manual_seed(5)
    a = T.RandomCrop(4)(E(x)).numpy()
    ember.manual_seed(5)
    assert np.array_equal(a, T.RandomCrop(4)(E(x)).numpy())


def test_random_resized_crop():
    ember.manual_seed(0)
    img = E(img_f32((3, 20, 30)))
    for _ in range(20):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and 0 <= j and i + h <= 20 and j + w <= 30 and h > 0 and w > 0
        assert 0.08 * 600 * 0.9 <= h * w <= 600
    assert T.RandomResizedCrop.get_params(img, (1.0, 1.0), (10.0, 11.0)) == (8, 0, 3, 30)  # fallback: centre
    assert tuple(T.RandomResizedCrop(7)(img).shape) == (3, 7, 7)


def test_to_tensor_pil_to_tensor_to_pil():
    u = img_u8((5, 4, 3))
    t = T.ToTensor()(u)
    assert t.dtype == ember.float32 and tuple(t.shape) == (3, 5, 4)
    np.testing.assert_allclose(t.numpy(), u.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    f = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    assert np.array_equal(T.ToTensor()(f).numpy(), f[None])  # non-uint8 arrays are not rescaled
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(E(f))
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(u)
    assert np.array_equal(T.PILToTensor()(pil).numpy(), u.transpose(2, 0, 1))
    np.testing.assert_allclose(T.ToTensor()(pil).numpy(), u.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    back = T.ToPILImage()(T.PILToTensor()(pil))
    assert back.mode == "RGB" and np.array_equal(np.asarray(back), u)
    gray = T.ToPILImage()(E(np.full((1, 2, 2), 0.5, np.float32)))
    assert gray.mode == "L" and np.asarray(gray)[0, 0] == 127
    assert T.ToPILImage(mode="RGB")(E(u[:, :, :1].transpose(2, 0, 1).copy())).mode == "RGB"


def test_pil_geometry_matches_tensor_path():
    Image = pytest.importorskip("PIL.Image")
    u = img_u8((7, 9, 3))
    pil = Image.fromarray(u)
    chw = u.transpose(2, 0, 1)
    for t in (T.Pad((1, 2), padding_mode="reflect"), T.Pad(2, fill=(1, 2, 3)), T.CenterCrop((4, 5)),
              T.CenterCrop(10), T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)):
        out = t(pil)
        assert isinstance(out, Image.Image)
        np.testing.assert_array_equal(np.asarray(out).transpose(2, 0, 1), t(E(chw)).numpy())


def test_compose_lambda_random_apply():
    tf = T.Compose([T.Lambda(lambda x: x * 2), T.Normalize((1.0,), (2.0,))])
    x = E(np.ones((1, 2, 2), np.float32))
    assert tf(x).numpy().tolist() == [[[0.5, 0.5], [0.5, 0.5]]]
    assert "Normalize" in repr(tf)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=0.0)(x).numpy().tolist() == x.numpy().tolist()
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=1.0)(x).numpy()[0, 0, 0] == 2
    assert T.RandomGrayscale(p=1.0)(E(img_f32())).shape[0] == 3
    assert T.RandomChoice([T.Lambda(lambda x: 1), T.Lambda(lambda x: 1)])(x) == 1
    assert T.RandomOrder([T.Lambda(lambda x: x + 1)])(x).numpy()[0, 0, 0] == 2
