"""Convolution and pooling against PyTorch: values and gradients over strides, paddings, dilations,
groups, and the error messages."""
import numpy as np
import pytest

import ember
from conftest import require_torch

NN = ember._C._nn

CONV2D = [  # (N, C_in, H, W), (C_out, C_in/g, kh, kw), kwargs
    ((2, 3, 8, 8), (4, 3, 3, 3), dict()),
    ((2, 3, 9, 7), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((1, 4, 10, 10), (6, 2, 3, 3), dict(groups=2, padding=(1, 2))),
    ((2, 4, 11, 9), (4, 1, 3, 3), dict(groups=4, dilation=2, padding=2)),   # depthwise, dilated
    ((3, 5, 6, 6), (7, 5, 1, 1), dict()),                                   # pointwise
    ((2, 3, 8, 8), (4, 3, 2, 2), dict(padding="same")),                      # asymmetric 'same'
    ((2, 3, 8, 8), (4, 3, 3, 5), dict(padding="valid", stride=(1, 2))),
    ((3, 8, 8), (4, 3, 3, 3), dict(padding=1)),  # unbatched
    # strided input gradients on small planes batch images into one GEMM, in chunks of ceil(512 / L)
    # images: 70 images of 3x3 outputs (L = 9) run as chunks of 57 and 13
    ((70, 6, 5, 5), (4, 3, 3, 3), dict(stride=2, padding=1, groups=2)),
    ((5, 8, 4, 4), (6, 8, 1, 1), dict(stride=2)),
]


def _pair(torch, x_shape, w_shape, dtype, seed, bias=True, bias_size=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(bias_size or w_shape[0]).astype(dtype) if bias else None
    ex, ew = ember.from_numpy(x).requires_grad_(), ember.from_numpy(w).requires_grad_()
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    eb = ember.from_numpy(b).requires_grad_() if bias else None
    tb = torch.from_numpy(b).requires_grad_() if bias else None
    return (ex, ew, eb), (tx, tw, tb)


def _check_grads(e_out, t_out, e_in, t_in, rtol, atol):
    g = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
    e_out.backward(ember.from_numpy(g.copy()))
    t_out.backward(__import__("torch").from_numpy(g.copy()))
    for e, t in zip(e_in, t_in):
        if t is None:
            continue
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", range(len(CONV2D)))
def test_conv2d_matches_torch(case, dtype):
    torch = require_torch()
    xs, ws, kw = CONV2D[case]
    (ex, ew, eb), (tx, tw, tb) = _pair(torch, xs, ws, dtype, case)
    e = NN.conv2d(ex, ew, eb, **kw)
    t = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)
    assert e.grad_fn.name() == t.grad_fn.name()
    _check_grads(e, t, (ex, ew, eb), (tx, tw, tb), **tol)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(stride=2, padding=1, output_padding=1),
                                dict(groups=2, dilation=2), dict(stride=3, padding=2, output_padding=2)])
def test_conv_transpose2d_matches_torch(kw):
    torch = require_torch()
    groups = kw.get("groups", 1)
    (ex, ew, eb), (tx, tw, tb) = _pair(torch, (2, 4, 5, 6), (4, 3, 3, 3), "float64", 3, bias_size=3 * groups)
    e = NN.conv_transpose2d(ex, ew, eb, **kw)
    t = torch.nn.functional.conv_transpose2d(tx, tw, tb, **kw)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-10)
    _check_grads(e, t, (ex, ew, eb), (tx, tw, tb), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("transpose", [False, True])
def test_conv1d_matches_torch(transpose):
    torch = require_torch()
    (ex, ew, eb), (tx, tw, tb) = _pair(torch, (3, 4, 17), (4, 2, 5), "float64", 5, bias_size=2 if transpose else 4)
    if transpose:
        e = NN.conv_transpose1d(ex, ew, eb, stride=2, padding=1)
        t = torch.nn.functional.conv_transpose1d(tx, tw, tb, stride=2, padding=1)
    else:
        e = NN.conv1d(ex, ew, eb, stride=2, padding=1, groups=2)
        t = torch.nn.functional.conv1d(tx, tw, tb, stride=2, padding=1, groups=2)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-10)
    _check_grads(e, t, (ex, ew, eb), (tx, tw, tb), rtol=1e-10, atol=1e-10)


def test_conv2d_weight_grad_is_thread_count_independent():
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal((16, 8, 12, 12)).astype(np.float32))
    w = ember.from_numpy(rng.standard_normal((8, 8, 3, 3)).astype(np.float32))
    grads = []
    for threads in (1, 2):
        ember.set_num_threads(threads)
        wr = w.detach().requires_grad_()
        NN.conv2d(x, wr, padding=1).sum().backward()
        grads.append(wr.grad.numpy().copy())
    ember.set_num_threads(2)
    assert np.array_equal(grads[0], grads[1])


def test_conv2d_errors():
    x = ember.zeros(2, 3, 8, 8)
    with pytest.raises(RuntimeError, match="expected input.*to have 4 channels, but got 3"):
        NN.conv2d(x, ember.zeros(5, 4, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        NN.conv2d(x, ember.zeros(5, 3, 9, 9))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
        NN.conv2d(ember.zeros(8, 8), ember.zeros(5, 3, 3, 3))
    with pytest.raises(RuntimeError, match="should be the same"):
        NN.conv2d(x, ember.zeros(5, 3, 3, 3, dtype=ember.float64))
    with pytest.raises(ValueError, match="Invalid padding string"):
        NN.conv2d(x, ember.zeros(5, 3, 3, 3), padding="full")


POOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))]


@pytest.mark.parametrize("kw", POOL)
@pytest.mark.parametrize("kind", ["max", "avg", "avg_nopad"])
def test_pool2d_matches_torch(kind, kw):
    torch = require_torch()
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 10))
    ex, tx = ember.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    if kind == "max":
        kwd = dict(kw, dilation=2) if kw.get("kernel_size") == 2 else kw
        e, ei = NN.max_pool2d_with_indices(ex, **kwd)
        t, ti = torch.nn.functional.max_pool2d(tx, return_indices=True, **kwd)
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    else:
        extra = dict(count_include_pad=kind == "avg")
        e = NN.avg_pool2d(ex, **kw, **extra)
        t = torch.nn.functional.avg_pool2d(tx, **kw, **extra)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    _check_grads(e, t, (ex,), (tx,), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2),
                                dict(kernel_size=(2, 3), dilation=(2, 1)), dict(kernel_size=3, stride=1)])
def test_max_pool2d_ties_and_nan_indices(kw, dtype):
    # interior windows take the no-bounds-test path: ties keep the first maximum, a NaN wins
    torch = require_torch()
    x = np.random.default_rng(4).integers(-2, 3, (2, 3, 9, 11)).astype(dtype)
    x[0, 0, 4, 5] = np.nan
    x[1, 2, 0, 0] = np.nan
    x[1, 1, 6, 7:9] = np.nan
    e, ei = NN.max_pool2d_with_indices(ember.from_numpy(x.copy()), **kw)
    t, ti = torch.nn.functional.max_pool2d(torch.from_numpy(x.copy()), return_indices=True, **kw)
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("size", [1, (2, 3), (3, 4), 5])
def test_adaptive_avg_pool2d_matches_torch(size):
    torch = require_torch()
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 8))
    ex, tx = ember.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    e = NN.adaptive_avg_pool2d(ex, size)
    t = torch.nn.functional.adaptive_avg_pool2d(tx, size)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    _check_grads(e, t, (ex,), (tx,), rtol=1e-12, atol=1e-12)


# ---- implicit-im2col GEMM and direct depthwise paths (csrc/kernels/cpu/conv.cpp)

# Shapes chosen to cross the packing edges: several images per GEMM strip (small outputs), output
# rows shorter and longer than a strip, strided/dilated windows, padding on every side, groups,
# depthwise with stride and dilation, 1x1, and 'same' with an even kernel (asymmetric padding).
PATHS = [
    ((5, 3, 7, 9), (4, 3, 3, 3), dict(padding=1)),
    ((3, 6, 14, 14), (16, 6, 5, 5), dict()),
    ((2, 5, 13, 11), (7, 5, 3, 2), dict(stride=(2, 3), padding=(1, 2), dilation=(2, 1))),
    ((2, 8, 9, 9), (8, 2, 3, 3), dict(groups=4, padding=1)),
    ((3, 6, 12, 10), (6, 1, 3, 3), dict(groups=6, padding=1)),
    ((2, 6, 11, 12), (6, 1, 3, 3), dict(groups=6, padding=1, stride=2)),
    ((2, 4, 10, 10), (4, 1, 5, 3), dict(groups=4, padding=(2, 3), dilation=(1, 2))),
    ((2, 4, 10, 10), (8, 1, 3, 3), dict(groups=4, padding=1)),  # depth multiplier 2: GEMM path
    ((2, 16, 9, 7), (40, 16, 1, 1), dict()),
    ((2, 16, 9, 7), (24, 16, 1, 1), dict(stride=2)),
    ((2, 3, 8, 8), (4, 3, 4, 2), dict(padding="same")),
    ((1, 40, 30, 30), (36, 40, 3, 3), dict(padding=1)),  # depth > one K block, many strips
    # direct stride-1 kernels (isa/conv_direct.cpp): channel blocks that do not divide C_out, output
    # rows shorter than a vector, dilation, kw without a weight tile, padding beyond d*(k-1)
    ((3, 3, 20, 20), (6, 3, 5, 5), dict()),
    ((2, 5, 9, 17), (13, 5, 3, 3), dict(padding=1)),
    ((1, 32, 16, 16), (64, 32, 3, 3), dict(padding=1)),
    ((2, 4, 12, 11), (9, 4, 3, 5), dict(dilation=(2, 1), padding=(2, 1))),
    ((2, 3, 5, 3), (4, 3, 3, 3), dict()),
    ((2, 4, 7, 6), (5, 4, 3, 1), dict(padding=(1, 0))),
    ((2, 3, 6, 6), (4, 3, 3, 3), dict(padding=3)),
    ((2, 6, 10, 10), (10, 3, 5, 5), dict(groups=2, padding=2)),
    ((1, 17, 5, 40), (3, 17, 3, 3), dict(padding=(0, 1))),
    ((2, 64, 4, 4), (64, 64, 3, 3), dict(padding=1)),  # small plane, many channels: the GEMM paths
    ((1, 2, 4, 300), (3, 2, 3, 3), dict(dilation=(1, 130), padding=(1, 2))),  # wide dilation: GEMM weight grad
    ((3, 65, 2, 3), (70, 65, 3, 3), dict(padding=1)),  # tiny plane: explicit columns + one plain GEMM
]


def _conv_case(torch, case, dtype, threads=None):
    xs, ws, kw = PATHS[case]
    (ex, ew, eb), (tx, tw, tb) = _pair(torch, xs, ws, dtype, 100 + case)
    e = NN.conv2d(ex, ew, eb, **kw)
    t = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    return (ex, ew, eb), (tx, tw, tb), e, t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", range(len(PATHS)))
def test_conv2d_paths_match_torch(case, dtype):
    torch = require_torch()
    (ex, ew, eb), (tx, tw, tb), e, t = _conv_case(torch, case, dtype)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)
    _check_grads(e, t, (ex, ew, eb), (tx, tw, tb), **tol)


@pytest.mark.parametrize("case", range(len(PATHS)))
def test_conv2d_all_passes_thread_count_independent(case):
    xs, ws, kw = PATHS[case]
    rng = np.random.default_rng(case)
    x = rng.standard_normal((8,) + xs[1:]).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    results = []
    for threads in (1, 2):
        ember.set_num_threads(threads)
        ex, ew = ember.from_numpy(x.copy()).requires_grad_(), ember.from_numpy(w.copy()).requires_grad_()
        y = NN.conv2d(ex, ew, None, **kw)
        (y * y).sum().backward()
        results.append((y.detach().numpy().copy(), ex.grad.numpy().copy(), ew.grad.numpy().copy()))
    ember.set_num_threads(2)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_conv2d_large_batch_weight_grad_spans_images():
    # the weight gradient's GEMM depth runs over all images: check against float64 torch
    torch = require_torch()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((37, 3, 11, 13))
    w = rng.standard_normal((5, 3, 3, 3))
    g = rng.standard_normal((37, 5, 11, 13))
    ex, ew = ember.from_numpy(x).requires_grad_(), ember.from_numpy(w).requires_grad_()
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    NN.conv2d(ex, ew, None, padding=1).backward(ember.from_numpy(g))
    torch.nn.functional.conv2d(tx, tw, None, padding=1).backward(torch.from_numpy(g))
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv2d_direct_noncontiguous_input_and_nonfinite():
    # a permuted (channels-last) input through the direct stride-1 path, and an inf in the input
    # must reach only the outputs whose window covers it
    torch = require_torch()
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 9, 12, 5)).astype(np.float32)
    w = rng.standard_normal((7, 5, 3, 3)).astype(np.float32)
    ex0, tx0 = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    ew, tw = ember.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(w.copy()).requires_grad_()
    e = NN.conv2d(ex0.permute(0, 3, 1, 2), ew, None, padding=1)
    t = torch.nn.functional.conv2d(tx0.permute(0, 3, 1, 2), tw, None, padding=1)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=2e-4, atol=2e-4)
    _check_grads(e, t, (ex0, ew), (tx0, tw), rtol=2e-4, atol=2e-4)
    xi = rng.standard_normal((1, 2, 6, 7)).astype(np.float32)
    xi[0, 1, 2, 3] = np.inf
    wi = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    e = NN.conv2d(ember.from_numpy(xi.copy()), ember.from_numpy(wi.copy()), None, padding=1).numpy()
    t = torch.nn.functional.conv2d(torch.from_numpy(xi.copy()), torch.from_numpy(wi.copy()), None, padding=1).numpy()
    np.testing.assert_array_equal(np.isfinite(e), np.isfinite(t))


def _isa_worker(isa):
    import torch
    failures = 0
    for dtype in ("float32", "float64"):
        for case in range(len(PATHS)):
            (ex, ew, eb), (tx, tw, tb), e, t = _conv_case(torch, case, dtype)
            tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
            try:
                np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)
                _check_grads(e, t, (ex, ew, eb), (tx, tw, tb), **tol)
            except AssertionError as err:
                failures += 1
                print("FAIL", isa, dtype, PATHS[case], str(err)[:500])
    # batch_norm's channel loops are compiled per ISA too
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 7, 9)).astype(np.float32) * 2 + 1
    ex, tx = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    e = NN.batch_norm(ex, None, None, None, None, True, 0.1, 1e-5)
    t = torch.nn.functional.batch_norm(tx, None, None, None, None, True, 0.1, 1e-5)
    g = rng.standard_normal(x.shape).astype(np.float32)
    e.backward(ember.from_numpy(g.copy()))
    t.backward(torch.from_numpy(g.copy()))
    try:
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    except AssertionError as err:
        failures += 1
        print("FAIL", isa, "batch_norm", str(err)[:500])
    print("OK" if not failures else f"{failures} failures")


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_conv_every_isa(isa):
    import os
    import subprocess
    import sys
    from test_gemm import isa_supported
    require_torch()
    if not isa_supported(isa):
        pytest.skip(f"this CPU has no {isa}")
    env = dict(os.environ, EMBER_CPU_ISA=isa)
    r = subprocess.run([sys.executable, __file__, isa], env=env, capture_output=True, text=True, timeout=600,
                       cwd=os.path.dirname(__file__))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:]


def test_conv_gemm_paths_with_direct_kernels_off():
    # EMBER_CONV_DIRECT=0 sends every stride-1 case back to the implicit-im2col GEMM paths
    import os
    import subprocess
    import sys
    require_torch()
    env = dict(os.environ, EMBER_CONV_DIRECT="0")
    r = subprocess.run([sys.executable, __file__, "direct-off"], env=env, capture_output=True, text=True, timeout=600,
                       cwd=os.path.dirname(__file__))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:]


if __name__ == "__main__":
    import sys
    _isa_worker(sys.argv[1])
