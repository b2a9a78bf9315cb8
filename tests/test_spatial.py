"""Spatial resampling against PyTorch: interpolate (every mode, sizes and scale factors, align_corners),
grid_sample / affine_grid, unfold / fold, channel_shuffle, the padding modules; values and gradients
on contiguous and channels-last (non-contiguous) inputs, float64 gradcheck, error types, reprs."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from conftest import require_torch


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _inputs(torch, shape, dtype, seed, channels_last=False, low=-2.0, high=2.0):
    """The same values as an ember and a torch leaf; channels_last gives a non-contiguous NHWC-strided view."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, size=shape).astype(dtype)
    if channels_last and len(shape) >= 3:
        perm = (0,) + tuple(range(2, len(shape))) + (1,)
        inv = (0, len(shape) - 1) + tuple(range(1, len(shape) - 1))
        base = np.ascontiguousarray(a.transpose(perm))
        e = ember.from_numpy(base.copy()).permute(*inv)
        t = torch.from_numpy(base.copy()).permute(*inv)
        assert not e.is_contiguous() or shape[1] == 1
        return e.detach().requires_grad_(), t.detach().requires_grad_()
    return ember.from_numpy(a.copy()).requires_grad_(), torch.from_numpy(a.copy()).requires_grad_()


def _tol(dtype):
    return (1e-5, 1e-5) if dtype == "float32" else (1e-10, 1e-10)


def _compare(e_out, t_out, e_ins, t_ins, dtype, grad_tol=None):
    rtol, atol = _tol(dtype)
    assert tuple(e_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(_np(e_out), _np(t_out), rtol=rtol, atol=atol)
    g = np.random.default_rng(7).standard_normal(tuple(t_out.shape)).astype(dtype)
    import torch
    e_out.backward(ember.from_numpy(g.copy()))
    t_out.backward(torch.from_numpy(g.copy()))
    rtol, atol = grad_tol or (rtol * 10, atol * 10)
    for e, t in zip(e_ins, t_ins):
        if t.grad is None:
            assert e.grad is None or not np.any(_np(e.grad))
            continue
        np.testing.assert_allclose(_np(e.grad), _np(t.grad), rtol=rtol, atol=atol)


# ---- interpolate
INTERP = [  # input shape, kwargs
    ((2, 3, 7), dict(size=12, mode="nearest")),
    ((2, 3, 7), dict(scale_factor=2.3, mode="nearest")),
    ((2, 3, 9), dict(size=4, mode="nearest")),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5, 7), dict(scale_factor=2.1, mode="nearest")),  # out == 2*in takes the shift path
    ((2, 3, 5, 7), dict(scale_factor=(1.7, 0.6), mode="nearest")),
    ((2, 3, 5, 7), dict(size=(11, 3), mode="nearest")),
    ((1, 2, 3, 4, 5), dict(scale_factor=(1.5, 2, 0.7), mode="nearest")),
    ((2, 3, 7), dict(size=12, mode="nearest-exact")),
    ((2, 3, 5, 7), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 9, 8), dict(size=(4, 3), mode="nearest-exact")),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode="nearest-exact")),
    ((2, 3, 7), dict(size=12, mode="linear")),
    ((2, 3, 7), dict(scale_factor=1.7, mode="linear", align_corners=True)),
    ((2, 3, 9), dict(scale_factor=0.45, mode="linear")),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=(2.3, 1.6), mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 11, 9), dict(size=(4, 5), mode="bilinear")),
    ((2, 3, 11, 9), dict(scale_factor=0.37, mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(size=(5, 7), mode="bilinear")),  # same size: a copy
    ((2, 3, 1, 7), dict(size=(3, 9), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 5, 7), dict(scale_factor=(1.7, 2.4), mode="bicubic", align_corners=True)),
    ((2, 3, 11, 9), dict(size=(4, 5), mode="bicubic")),
    ((2, 3, 6, 6), dict(size=(6, 6), mode="bicubic")),
    ((2, 3, 11, 9), dict(scale_factor=0.6, mode="bicubic", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(scale_factor=(1.5, 2, 0.7), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 6), mode="trilinear", align_corners=True)),
    ((2, 3, 8, 6), dict(size=(4, 3), mode="area")),
    ((2, 3, 9), dict(scale_factor=0.5, mode="area")),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("case", range(len(INTERP)))
def test_interpolate_matches_torch(case, channels_last, dtype):
    torch = require_torch()
    shape, kw = INTERP[case]
    e, t = _inputs(torch, shape, dtype, case, channels_last)
    _compare(F.interpolate(e, **kw), torch.nn.functional.interpolate(t, **kw), [e], [t], dtype)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_interpolate_gradcheck_float64(mode):
    x = ember.randn(1, 2, 4, 5, dtype=ember.float64, requires_grad=True)
    kw = dict(scale_factor=(1.6, 0.8), mode=mode)
    if mode in ("bilinear", "bicubic"):
        kw["align_corners"] = False
    assert ember.autograd.gradcheck(lambda a: F.interpolate(a, **kw), (x,))
    assert ember.autograd.gradgradcheck(lambda a: F.interpolate(a, **kw), (x,))


def test_interpolate_double_backward_matches_torch():
    torch = require_torch()
    e, t = _inputs(torch, (1, 2, 4, 5), "float64", 3)
    outs = []
    for lib, x in ((ember, e), (torch, t)):
        y = lib.nn.functional.interpolate(x, scale_factor=1.5, mode="bilinear")
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        outs.append((g, gg))
    for a, b in zip(outs[0], outs[1]):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-10)


def test_interpolate_half_and_integer_nearest():
    torch = require_torch()
    a = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    for dt in ("uint8",):
        e = F.interpolate(ember.from_numpy(a.astype(dt)), scale_factor=1.5)
        t = torch.nn.functional.interpolate(torch.from_numpy(a.astype(dt)), scale_factor=1.5)
        assert str(e.dtype).split(".")[-1] == dt
        np.testing.assert_array_equal(_np(e), _np(t))
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 5)).astype(np.float32)
    e = F.interpolate(ember.from_numpy(x).to(ember.bfloat16), scale_factor=2, mode="bilinear")
    t = torch.nn.functional.interpolate(torch.from_numpy(x).to(torch.bfloat16), scale_factor=2, mode="bilinear")
    assert e.dtype == ember.bfloat16
    np.testing.assert_allclose(_np(e.float()), _np(t.float()), rtol=1e-2, atol=1e-2)


def test_node_names_match_torch():
    torch = require_torch()
    cases = [(lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2), (1, 1, 3, 3)),
             (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="nearest-exact"), (1, 1, 3)),
             (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="linear"), (1, 1, 3)),
             (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"), (1, 1, 3, 3)),
             (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bicubic"), (1, 1, 3, 3)),
             (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="trilinear"), (1, 1, 2, 3, 3)),
             (lambda lib, x: lib.nn.functional.unfold(x, 2), (1, 1, 3, 3)),
             (lambda lib, x: lib.nn.functional.fold(x, (3, 3), 2), (1, 4, 4)),
             (lambda lib, x: lib.nn.functional.grid_sample(x, lib.zeros(1, 2, 2, 2), align_corners=False),
              (1, 1, 3, 3))]
    for fn, shape in cases:
        e = fn(ember, ember.zeros(shape, requires_grad=True)).grad_fn.name()
        t = fn(torch, torch.zeros(shape, requires_grad=True)).grad_fn.name()
        assert e == t


INTERP_ERRORS = [  # input shape, kwargs: ember must raise what torch raises
    ((1, 1, 4, 4), dict(scale_factor=2, mode="nearest", align_corners=True)),
    ((1, 1, 4, 4), dict(scale_factor=2, mode="area", align_corners=False)),
    ((1, 1, 4, 4), dict(size=4, scale_factor=2)),
    ((1, 1, 4, 4), dict()),
    ((1, 1, 4, 4), dict(size=(4, 4, 4))),
    ((1, 1, 4, 4), dict(scale_factor=(2, 2, 2))),
    ((1, 1, 4, 4), dict(size=(4.5, 4))),
    ((1, 1, 4, 4), dict(size=5, recompute_scale_factor=True)),
    ((1, 1, 4, 4), dict(scale_factor=2, mode="linear")),
    ((1, 1, 4, 4), dict(scale_factor=2, mode="trilinear")),
    ((1, 1, 4), dict(scale_factor=2, mode="bilinear")),
    ((1, 1, 4), dict(scale_factor=2, mode="bicubic")),
    ((1, 1, 4, 4, 4), dict(scale_factor=2, mode="bilinear")),
    ((1, 1, 4, 4), dict(scale_factor=2, mode="bogus")),
    ((4, 4), dict(size=2)),
    ((1, 1, 4, 4), dict(scale_factor=0.1)),
    ((1, 1, 4, 4), dict(scale_factor=2, mode="nearest", antialias=True)),
    ((1, 1, 4), dict(scale_factor=2, mode="linear", antialias=True)),
]


@pytest.mark.parametrize("case", range(len(INTERP_ERRORS)))
def test_interpolate_errors_match_torch(case):
    torch = require_torch()
    shape, kw = INTERP_ERRORS[case]
    with pytest.raises(Exception) as te:
        torch.nn.functional.interpolate(torch.zeros(shape), **kw)
    with pytest.raises(Exception) as ee:
        F.interpolate(ember.zeros(shape), **kw)
    assert ee.type is te.type, (ee.value, te.value)


def test_interpolate_antialias_not_implemented():
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(ember.zeros(1, 1, 4, 4), scale_factor=0.5, mode="bilinear", antialias=True)


@pytest.mark.parametrize("mode,dtype,ndim", [("bilinear", "int64", 4), ("nearest", "int64", 4), ("nearest", "int32", 3),
                                             ("linear", "uint8", 3), ("bicubic", "int64", 4)])
def test_interpolate_integer_dtypes_raise_like_torch(mode, dtype, ndim):
    torch = require_torch()
    shape = (1, 1, 3, 3)[:ndim]
    with pytest.raises(Exception) as te:
        torch.nn.functional.interpolate(torch.zeros(shape, dtype=getattr(torch, dtype)), scale_factor=2, mode=mode)
    with pytest.raises(Exception) as ee:
        F.interpolate(ember.zeros(shape, dtype=getattr(ember, dtype)), scale_factor=2, mode=mode)
    assert ee.type is te.type, (ee.value, te.value)


def test_unfold_grid_sample_integer_raise_like_torch():
    torch = require_torch()
    for fn in (lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 3, 3, dtype=lib.int64), 2),
               lambda lib: lib.nn.functional.fold(lib.zeros(1, 4, 4, dtype=lib.int64), (3, 3), 2),
               lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 3, 3, dtype=lib.int64),
                                                         lib.zeros(1, 2, 2, 2, dtype=lib.int64), align_corners=False)):
        with pytest.raises(Exception) as te:
            fn(torch)
        with pytest.raises(Exception) as ee:
            fn(ember)
        assert ee.type is te.type, (ee.value, te.value)


def test_upsample_modules_match_torch():
    torch = require_torch()
    pairs = [(nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
             (nn.Upsample(size=(5, 3), mode="bilinear"), torch.nn.Upsample(size=(5, 3), mode="bilinear")),
             (nn.Upsample(scale_factor=(1.5, 2), mode="bicubic", align_corners=True),
              torch.nn.Upsample(scale_factor=(1.5, 2), mode="bicubic", align_corners=True)),
             (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
             (nn.UpsamplingBilinear2d(size=(7, 6)), torch.nn.UpsamplingBilinear2d(size=(7, 6)))]
    for em, tm in pairs:
        assert repr(em) == repr(tm)
        e, t = _inputs(torch, (2, 3, 4, 5), "float32", 1)
        np.testing.assert_allclose(_np(em(e)), _np(tm(t)), rtol=1e-5, atol=1e-5)


# ---- grid_sample / affine_grid
GRID = [(m, p, a) for m in ("bilinear", "nearest") for p in ("zeros", "border", "reflection") for a in (False, True)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", range(len(GRID)))
def test_grid_sample_matches_torch(case, dtype):
    torch = require_torch()
    mode, padding, align = GRID[case]
    e, t = _inputs(torch, (2, 3, 5, 7), dtype, case, channels_last=case % 2 == 1)
    eg, tg = _inputs(torch, (2, 4, 6, 2), dtype, case + 100, low=-1.4, high=1.4)
    kw = dict(mode=mode, padding_mode=padding, align_corners=align)
    _compare(F.grid_sample(e, eg, **kw), torch.nn.functional.grid_sample(t, tg, **kw), [e, eg], [t, tg], dtype,
             grad_tol=(1e-4, 1e-4) if dtype == "float32" else None)


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_gradcheck_float64(padding):
    rng = np.random.default_rng(5)
    x = ember.from_numpy(rng.standard_normal((1, 2, 4, 5))).requires_grad_()
    g = ember.from_numpy(rng.uniform(-1.3, 1.3, (1, 3, 2, 2))).requires_grad_()
    assert ember.autograd.gradcheck(
        lambda a, b: F.grid_sample(a, b, padding_mode=padding, align_corners=False), (x, g))


def test_grid_sample_input_only_grad_and_warning():
    torch = require_torch()
    e, t = _inputs(torch, (1, 2, 4, 4), "float32", 2)
    g = np.random.default_rng(0).uniform(-1, 1, (1, 3, 3, 2)).astype(np.float32)
    with pytest.warns(UserWarning):
        out = F.grid_sample(e, ember.from_numpy(g))
    ref = torch.nn.functional.grid_sample(t, torch.from_numpy(g), align_corners=False)
    _compare(out, ref, [e], [t], "float32")


GRID_ERRORS = [
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 3, 3), lib.zeros(1, 2, 2, 2), mode="bogus",
                                              align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 3, 3), lib.zeros(1, 2, 2, 2), padding_mode="bogus",
                                              align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(2, 1, 3, 3), lib.zeros(1, 2, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 3, 3), lib.zeros(1, 2, 2, 3), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 3, 3), lib.zeros(1, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 0, 3), lib.zeros(1, 2, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 3, 3), lib.zeros(1, 2, 2, 2, dtype=lib.float64),
                                              align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 4), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3, dtype=lib.int64), (1, 1, 4, 4), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 0, 4), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 4, 4, 4), align_corners=False),
]


@pytest.mark.parametrize("case", range(len(GRID_ERRORS)))
def test_grid_errors_match_torch(case):
    torch = require_torch()
    with pytest.raises(Exception) as te:
        GRID_ERRORS[case](torch)
    with pytest.raises(Exception) as ee:
        GRID_ERRORS[case](ember)
    assert ee.type is te.type, (ee.value, te.value)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 5, 4), (1, 1, 1, 6), (2, 1, 3, 4, 5)])
def test_affine_grid_matches_torch(size, align):
    torch = require_torch()
    k = len(size) - 2
    e, t = _inputs(torch, (size[0], k, k + 1), "float64", len(size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eo = F.affine_grid(e, size, align_corners=align)
        to = torch.nn.functional.affine_grid(t, size, align_corners=align)
    _compare(eo, to, [e], [t], "float64")


def test_affine_grid_then_grid_sample_identity():
    x = ember.randn(2, 3, 6, 5)
    theta = ember.tensor([[[1.0, 0, 0], [0, 1, 0]]] * 2)
    for align in (False, True):
        grid = F.affine_grid(theta, (2, 3, 6, 5), align_corners=align)
        y = F.grid_sample(x, grid, align_corners=align)
        np.testing.assert_allclose(_np(y), _np(x), rtol=1e-5, atol=1e-5)


# ---- unfold / fold
FOLD = [  # image shape, kwargs
    ((2, 3, 6, 7), dict(kernel_size=3)),
    ((2, 3, 6, 7), dict(kernel_size=(2, 3), stride=2, padding=1)),
    ((1, 2, 9, 8), dict(kernel_size=(3, 2), dilation=(2, 1), padding=(2, 0), stride=(1, 3))),
    ((3, 5, 5), dict(kernel_size=2, stride=1)),  # unbatched
    ((2, 1, 4, 4), dict(kernel_size=4)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("case", range(len(FOLD)))
def test_unfold_fold_match_torch(case, channels_last, dtype):
    torch = require_torch()
    shape, kw = FOLD[case]
    e, t = _inputs(torch, shape, dtype, case, channels_last)
    eu, tu = F.unfold(e, **kw), torch.nn.functional.unfold(t, **kw)
    _compare(eu, tu, [e], [t], dtype)
    ec, tc = _inputs(torch, tuple(tu.shape), dtype, case + 50)
    ef = F.fold(ec, shape[-2:], **kw)
    tf = torch.nn.functional.fold(tc, shape[-2:], **kw)
    _compare(ef, tf, [ec], [tc], dtype)


def test_fold_is_unfold_adjoint_and_gradcheck():
    rng = np.random.default_rng(3)
    x = ember.from_numpy(rng.standard_normal((2, 3, 6, 5))).requires_grad_()
    kw = dict(kernel_size=(2, 3), padding=1, stride=(2, 1), dilation=(1, 2))
    u = F.unfold(x, **kw)
    c = ember.from_numpy(rng.standard_normal(tuple(u.shape))).requires_grad_()
    lhs = float((u * c).sum())
    rhs = float((x * F.fold(c, (6, 5), **kw)).sum())
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))
    assert ember.autograd.gradcheck(lambda a: F.unfold(a, **kw), (x,))
    assert ember.autograd.gradcheck(lambda a: F.fold(a, (6, 5), **kw), (c,))
    assert ember.autograd.gradgradcheck(lambda a: F.unfold(a, **kw), (x,))


FOLD_ERRORS = [
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 3, 3), kernel_size=0),
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 3, 3), kernel_size=2, stride=0),
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 3, 3), kernel_size=2, dilation=0),
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 3, 3), kernel_size=2, padding=-1),
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 3, 3), kernel_size=4),
    lambda lib: lib.nn.functional.unfold(lib.zeros(3, 3), kernel_size=2),
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 0, 3, 3), kernel_size=2),
    lambda lib: lib.nn.functional.fold(lib.zeros(1, 5, 4), (3, 3), kernel_size=2),
    lambda lib: lib.nn.functional.fold(lib.zeros(1, 4, 5), (3, 3), kernel_size=2),
    lambda lib: lib.nn.functional.fold(lib.zeros(4), (3, 3), kernel_size=2),
    lambda lib: lib.nn.functional.fold(lib.zeros(1, 4, 4), (3, 3), kernel_size=2, stride=0),
]


@pytest.mark.parametrize("case", range(len(FOLD_ERRORS)))
def test_fold_errors_match_torch(case):
    torch = require_torch()
    with pytest.raises(Exception) as te:
        FOLD_ERRORS[case](torch)
    with pytest.raises(Exception) as ee:
        FOLD_ERRORS[case](ember)
    assert ee.type is te.type, (ee.value, te.value)


def test_fold_modules_match_torch():
    torch = require_torch()
    pairs = [(nn.Unfold(kernel_size=(2, 3), padding=1), torch.nn.Unfold(kernel_size=(2, 3), padding=1)),
             (nn.Fold(output_size=(4, 5), kernel_size=2), torch.nn.Fold(output_size=(4, 5), kernel_size=2)),
             (nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2))]
    for em, tm in pairs:
        assert repr(em) == repr(tm)
    e, t = _inputs(torch, (2, 4, 4, 5), "float32", 0)
    np.testing.assert_allclose(_np(pairs[0][0](e)), _np(pairs[0][1](t)))
    np.testing.assert_allclose(_np(pairs[2][0](e)), _np(pairs[2][1](t)))
    c, tc = _inputs(torch, (2, 12, 12), "float32", 1)
    np.testing.assert_allclose(_np(pairs[1][0](c)), _np(pairs[1][1](tc)), rtol=1e-6, atol=1e-6)


# ---- channel_shuffle
@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 4), 3), ((1, 4, 5), 2), ((2, 6, 2, 2, 2), 2)])
def test_channel_shuffle_matches_torch(shape, groups):
    torch = require_torch()
    e, t = _inputs(torch, shape, "float32", 0)
    _compare(F.channel_shuffle(e, groups), torch.nn.functional.channel_shuffle(t, groups), [e], [t], "float32")


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 4), ((2, 6, 3), 0), ((2, 6), 2)])
def test_channel_shuffle_errors_match_torch(shape, groups):
    torch = require_torch()
    with pytest.raises(Exception) as te:
        torch.nn.functional.channel_shuffle(torch.zeros(shape), groups)
    with pytest.raises(Exception) as ee:
        F.channel_shuffle(ember.zeros(shape), groups)
    assert ee.type is te.type, (ee.value, te.value)


# ---- padding modules
PADS = [("ReflectionPad1d", 2, (2, 5)), ("ReflectionPad1d", (1, 3), (2, 3, 5)), ("ReflectionPad2d", (1, 0, 2, 1), (2, 3, 4)),
        ("ReflectionPad3d", 1, (1, 2, 3, 3, 3)), ("ReplicationPad1d", (3, 1), (2, 3, 4)), ("ReplicationPad2d", 2, (1, 2, 3, 3)),
        ("ReplicationPad3d", (1, 2, 0, 1, 2, 0), (2, 2, 3, 3)), ("CircularPad1d", (2, 1), (2, 3, 4)),
        ("CircularPad2d", 1, (2, 3, 4)), ("CircularPad3d", (1, 0, 2, 1, 0, 1), (1, 2, 3, 3, 3)),
        ("ReflectionPad2d", (-1, 2, 1, -1), (1, 2, 4, 5)), ("ZeroPad2d", (1, 2, 0, 1), (1, 2, 3, 3)),
        ("ConstantPad3d", 1, (1, 2, 2, 2))]


@pytest.mark.parametrize("case", range(len(PADS)))
def test_padding_modules_match_torch(case):
    torch = require_torch()
    name, padding, shape = PADS[case]
    args = (padding, 1.5) if name.startswith("Constant") else (padding,)
    em, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(em) == repr(tm)
    e, t = _inputs(torch, shape, "float64", case, channels_last=len(shape) >= 4)
    _compare(em(e), tm(t), [e], [t], "float64")


PAD_ERRORS = [("ReflectionPad1d", 3, (1, 3)), ("ReflectionPad2d", 1, (2, 3)), ("CircularPad1d", 1, (4,)),
              ("CircularPad2d", 1, (2, 3, 4, 5, 6)), ("CircularPad1d", 5, (1, 2, 3)), ("ReplicationPad1d", 1, (1, 0, 0)),
              ("ReflectionPad1d", (1, 2, 3), (1, 2, 5)), ("ReplicationPad3d", 1, (2, 3))]


@pytest.mark.parametrize("case", range(len(PAD_ERRORS)))
def test_padding_errors_match_torch(case):
    torch = require_torch()
    name, padding, shape = PAD_ERRORS[case]
    with pytest.raises(Exception) as te:
        getattr(torch.nn, name)(padding)(torch.zeros(shape))
    with pytest.raises(Exception) as ee:
        getattr(nn, name)(padding)(ember.zeros(shape))
    assert ee.type is te.type, (ee.value, te.value)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_border_modes_gradcheck(mode):
    x = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: F.pad(a, (1, 2, 2, 1), mode=mode), (x,))


F_PAD_ERRORS = [((2, 3), (1, 2, 3), "constant"), ((2, 3), (1,) * 8, "constant"), ((2, 3), (1, 1), "bogus"),
                ((1, 3), (3, 0), "reflect"), ((1, 0, 4), (1, 1), "reflect"), ((1, 0, 4), (1, 1), "replicate"),
                ((1, 2, 3), (4, 0), "circular"), ((5,), (1, 1), "reflect"), ((2, 3), (1, 1), "reflect", 2.0),
                ((2, 3, 4), (-3, -2), "constant")]


@pytest.mark.parametrize("case", range(len(F_PAD_ERRORS)))
def test_f_pad_errors_match_torch(case):
    torch = require_torch()
    shape, pad, mode, *value = F_PAD_ERRORS[case]
    kw = dict(mode=mode, value=value[0]) if value else dict(mode=mode)
    with pytest.raises(Exception) as te:
        torch.nn.functional.pad(torch.zeros(shape), pad, **kw)
    with pytest.raises(Exception) as ee:
        F.pad(ember.zeros(shape), pad, **kw)
    assert ee.type is te.type, (ee.value, te.value)
