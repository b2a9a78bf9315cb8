"""Winograd F(2x2, 3x3) convolution (csrc/kernels/cpu/isa/conv_winograd.cpp) against float64 PyTorch.

Each check runs in a subprocess with EMBER_CONV_WINOGRAD=1 (Winograd for every 3x3, stride-1,
dilation-1 float32 convolution with one group, whatever the selector would pick) and
EMBER_CPU_ISA set, so every ISA copy is covered; EMBER_CONV_WINOGRAD=0 gives the direct/GEMM
paths for the comparison that shows the Winograd path really ran.
"""
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from conftest import require_torch

# Worst relative errors measured over CASES (max |ember - float64| / max(max |float64|, 1)):
# Winograd (every ISA) 7.6e-7 forward, 7.2e-7 grad_input, 7.1e-7 grad_weight; the direct/GEMM paths
# (EMBER_CONV_WINOGRAD=0) 2.2e-6, 1.4e-6, 5.1e-7. A wrong transform gives errors of order 1.
TOL = 2e-5

# (n, cin, cout, h, w, pad)
CASES = [(n, cin, cout, h, w, pad)
         for (n, cin, cout), (h, w), pad in itertools.product(
             [(1, 1, 1), (5, 3, 17), (1, 17, 3), (5, 32, 64), (1, 64, 32), (2, 130, 17), (1, 17, 130)],
             [(1, 1), (2, 2), (3, 3), (5, 7), (7, 5), (16, 16), (17, 17), (2, 17), (16, 3)],
             [0, 1, 2])
         if h + 2 * pad >= 3 and w + 2 * pad >= 3]
# padding above 2: the input gradient's forward convolution then has negative padding (2 - pad)
CASES += [(2, 17, 33, 5, 6, 3), (3, 20, 32, 9, 2, 4), (1, 32, 40, 1, 1, 3)]


def _rel(e, r):
    # max |e - r| over max |r|, the scale floored at 1 (the inputs are O(1)): a sum that cancels to
    # near zero (grad_bias of a tiny image) must not turn float32 rounding into a large ratio
    e = np.asarray(e, dtype=np.float64)
    return float(np.abs(e - r).max() / max(np.abs(r).max(), 1.0))


def _run_case(torch, case, seed, layout="contiguous", threads=None):
    """ember float32 (Winograd when forced) and torch float64: forward and all three gradients."""
    n, cin, cout, h, w, pad = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cin, h, w)).astype(np.float32)
    wt = (rng.standard_normal((cout, cin, 3, 3)) * 0.3).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    oh, ow = h + 2 * pad - 2, w + 2 * pad - 2
    gy = rng.standard_normal((n, cout, oh, ow)).astype(np.float32)
    if threads is not None:
        ember.set_num_threads(threads)
    if layout == "channels_last":  # a non-contiguous input: NHWC storage viewed as NCHW
        ex = ember.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    elif layout == "strided":  # every other column of a wider image
        wide = np.zeros((n, cin, h, 2 * w), np.float32)
        wide[..., ::2] = x
        ex = ember.from_numpy(wide)[..., ::2]
    else:
        ex = ember.from_numpy(x.copy())
    assert layout == "contiguous" or not ex.is_contiguous()
    ex = ex.detach().requires_grad_()
    ew, eb = ember.from_numpy(wt.copy()).requires_grad_(), ember.from_numpy(b.copy()).requires_grad_()
    ey = ember.nn.functional.conv2d(ex, ew, eb, padding=pad)
    ey.backward(ember.from_numpy(gy.copy()))
    tx, tw, tb = (torch.from_numpy(a.astype(np.float64)).requires_grad_() for a in (x, wt, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=pad)
    ty.backward(torch.from_numpy(gy.astype(np.float64)))
    got = [ey.detach().numpy(), ex.grad.numpy(), ew.grad.numpy(), eb.grad.numpy()]
    ref = [ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()]
    return got, ref


def _worker(mode):
    import torch
    names = ("forward", "grad_input", "grad_weight", "grad_bias")
    assert os.environ.get("EMBER_CONV_WINOGRAD") in ("0", "1")
    print("ember", os.path.abspath(ember.__file__))
    if mode == "dump":  # outputs of a few large shapes, for the comparison with the direct paths
        out = {}
        for i, case in enumerate([(4, 32, 64, 16, 16, 1), (2, 64, 64, 13, 13, 1), (2, 128, 128, 8, 8, 1)]):
            got, _ = _run_case(torch, case, seed=i)
            for name, g in zip(names, got):
                out[f"{i}_{name}"] = g
        np.savez(sys.argv[2], **out)
        print("OK")
        return
    worst = dict.fromkeys(names, 0.0)
    failures = 0
    for i, case in enumerate(CASES):
        got, ref = _run_case(torch, case, seed=i)
        for name, g, r in zip(names, got, ref):
            err = _rel(g, r)
            worst[name] = max(worst[name], err)
            if not err <= TOL:
                failures += 1
                print("FAIL", mode, case, name, err)
    # non-contiguous inputs
    for layout in ("channels_last", "strided"):
        for i, case in enumerate([(2, 17, 32, 9, 7, 1), (3, 32, 20, 16, 16, 0)]):
            got, ref = _run_case(torch, case, seed=100 + i, layout=layout)
            for name, g, r in zip(names, got, ref):
                if not _rel(g, r) <= TOL:
                    failures += 1
                    print("FAIL", mode, layout, case, name, _rel(g, r))
    # bitwise identical for 1 and 2 threads (and 3: an uneven split)
    for i, case in enumerate([(5, 32, 64, 16, 16, 1), (3, 130, 17, 17, 9, 2), (2, 64, 128, 8, 8, 1)]):
        base, _ = _run_case(torch, case, seed=200 + i, threads=1)
        for threads in (2, 3):
            other, _ = _run_case(torch, case, seed=200 + i, threads=threads)
            for name, a, b in zip(names, base, other):
                if not np.array_equal(a, b):
                    failures += 1
                    print("FAIL", mode, "threads", threads, case, name)
    ember.set_num_threads(2)
    # float64, stride 2, dilation 2 and two groups never take Winograd, even forced (it would be wrong)
    rng = np.random.default_rng(5)
    for dtype, kw, wshape in [(np.float64, dict(padding=1), (8, 4, 3, 3)),
                              (np.float32, dict(padding=1, stride=2), (8, 4, 3, 3)),
                              (np.float32, dict(padding=2, dilation=2), (8, 4, 3, 3)),
                              (np.float32, dict(padding=1, groups=2), (8, 2, 3, 3))]:
        x = rng.standard_normal((2, 4, 9, 9)).astype(dtype)
        w = rng.standard_normal(wshape).astype(dtype)
        e = ember.nn.functional.conv2d(ember.from_numpy(x), ember.from_numpy(w), **kw).numpy()
        t = torch.nn.functional.conv2d(torch.from_numpy(x.astype(np.float64)), torch.from_numpy(w.astype(np.float64)),
                                       **kw).numpy()
        if not _rel(e, t) <= TOL:
            failures += 1
            print("FAIL", mode, dtype.__name__, kw, _rel(e, t))
    print("worst", {k: f"{v:.2e}" for k, v in worst.items()})
    print("OK" if not failures else f"{failures} failures")


def _spawn(mode, winograd, isa=None, extra=()):
    env = dict(os.environ, EMBER_CONV_WINOGRAD=winograd)
    # the child must import this ember (a relative PYTHONPATH=src would not resolve from tests/)
    root = os.path.dirname(os.path.dirname(os.path.abspath(ember.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    if isa:
        env["EMBER_CPU_ISA"] = isa
    r = subprocess.run([sys.executable, __file__, mode, *extra], env=env, capture_output=True, text=True,
                       timeout=900, cwd=os.path.dirname(os.path.abspath(__file__)))
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:]
    assert f"ember {os.path.abspath(ember.__file__)}" in r.stdout, r.stdout[:500]
    return r.stdout


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_winograd_matches_float64_every_isa(isa):
    from test_gemm import isa_supported
    require_torch()
    if not isa_supported(isa):
        pytest.skip(f"this CPU has no {isa}")
    _spawn("check", "1", isa)


def test_winograd_path_runs_and_differs_from_direct(tmp_path):
    # Forced on, the results must differ bitwise from the direct/GEMM paths (proof that the Winograd
    # kernels ran) while both stay within TOL of each other.
    require_torch()
    on, off = tmp_path / "on.npz", tmp_path / "off.npz"
    _spawn("dump", "1", extra=(str(on),))
    _spawn("dump", "0", extra=(str(off),))
    a, b = np.load(on), np.load(off)
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        if k.endswith("grad_bias"):  # a plain sum of grad_output either way
            np.testing.assert_array_equal(a[k], b[k])
            continue
        assert not np.array_equal(a[k], b[k]), k
        assert _rel(a[k], b[k].astype(np.float64)) <= TOL, k


if __name__ == "__main__":
    _worker(sys.argv[1])
