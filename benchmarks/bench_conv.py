"""Convolution, pooling and batch_norm: ember vs PyTorch in one process, same inputs, medians,
1 and 2 threads. ratio = torch time / ember time (> 1: ember is faster).

    PYTHONPATH=src python benchmarks/bench_conv.py [--threads 1,2] [--only conv|pool] [--filter TEXT]
                                                   [--clock wall|cpu]

--clock cpu times with the process's CPU time instead of the wall clock: on a shared, loaded
machine this is the robust measure for ONE thread (with 2 threads it would add both threads' time
and count spin-waiting, so use it with --threads 1).
"""
import argparse
import os
import time

import numpy as np
import torch

import ember
from harness import machine, set_threads, table

CLOCK = time.perf_counter  # or time.process_time (--clock cpu)


def median_time(fn, repeats=7, min_time=0.05):
    """harness.median_time on CLOCK: median seconds per call, each repeat lasting ~min_time."""
    fn()
    n = 1
    while True:
        start = CLOCK()
        for _ in range(n):
            fn()
        t = CLOCK() - start
        if t >= min_time / 4 or n >= 1 << 20:
            break
        n *= 4
    n = max(1, int(n * (min_time / max(t, 1e-9))))
    times = []
    for _ in range(repeats):
        start = CLOCK()
        for _ in range(n):
            fn()
        times.append((CLOCK() - start) / n)
    return float(np.median(times))


# name, input (N, C, H, W), weight (C_out, C_in/groups, kh, kw), kwargs
CONVS = [
    ("b64 3->32 3x3 p1 32x32", (64, 3, 32, 32), (32, 3, 3, 3), dict(padding=1)),
    ("b64 32->64 3x3 p1 16x16", (64, 32, 16, 16), (64, 32, 3, 3), dict(padding=1)),
    ("LeNet b64 3->6 5x5 32x32", (64, 3, 32, 32), (6, 3, 5, 5), dict()),
    ("LeNet b64 6->16 5x5 14x14", (64, 6, 14, 14), (16, 6, 5, 5), dict()),
    ("ResNet b8 64->64 3x3 p1 56x56", (8, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
    ("1x1 b8 64->256 56x56", (8, 64, 56, 56), (256, 64, 1, 1), dict()),
    ("1x1 s2 b8 256->512 56x56", (8, 256, 56, 56), (512, 256, 1, 1), dict(stride=2)),
    ("depthwise b8 64 3x3 p1 56x56", (8, 64, 56, 56), (64, 1, 3, 3), dict(padding=1, groups=64)),
    ("depthwise s2 b8 128 3x3 p1 56x56", (8, 128, 56, 56), (128, 1, 3, 3), dict(padding=1, stride=2, groups=128)),
]

# ResNet-18's convolutions at the training benchmark's size (3x64x64 images, batch 16): --set resnet18
CONVS_RESNET18 = [
    (f"R18 {ci}->{co} {k}x{k} s{st} {hw}x{hw}", (16, ci, hw, hw), (co, ci, k, k), dict(stride=st, padding=k // 2))
    for ci, co, k, st, hw in [(3, 64, 7, 2, 64), (64, 64, 3, 1, 16), (64, 128, 3, 2, 16), (64, 128, 1, 2, 16),
                              (128, 128, 3, 1, 8), (128, 256, 3, 2, 8), (128, 256, 1, 2, 8), (256, 256, 3, 1, 4),
                              (256, 512, 3, 2, 4), (256, 512, 1, 2, 4), (512, 512, 3, 1, 2)]
]


def conv_flops(x_shape, w_shape, out_shape):
    return 2.0 * out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3] * w_shape[1] * w_shape[2] * w_shape[3]


def conv_cases(threads, name_filter, convs=CONVS):
    rows = []
    for name, xs, ws, kw in convs:
        if name_filter and name_filter not in name:
            continue
        rng = np.random.default_rng(0)
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) * 0.1).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        ex, ew, eb = (ember.from_numpy(a.copy()) for a in (x, w, b))
        tx, tw, tb = (torch.from_numpy(a.copy()) for a in (x, w, b))
        out_shape = tuple(torch.nn.functional.conv2d(tx, tw, tb, **kw).shape)
        gy = rng.standard_normal(out_shape).astype(np.float32)
        egy, tgy = ember.from_numpy(gy.copy()), torch.from_numpy(gy.copy())
        exg, ewg, ebg = (t.detach().requires_grad_() for t in (ex, ew, eb))
        txg, twg, tbg = (t.detach().requires_grad_() for t in (tx, tw, tb))

        def fwd(lib, x_, w_, b_):
            def run():
                with lib.no_grad():
                    lib.nn.functional.conv2d(x_, w_, b_, **kw)
            return run

        def fwd_bwd(lib, x_, w_, b_, g_):
            def run():
                for t in (x_, w_, b_):
                    t.grad = None
                lib.nn.functional.conv2d(x_, w_, b_, **kw).backward(g_)
            return run

        flops = conv_flops(xs, ws, out_shape)
        for kind, fe, ft, mult in (("fwd", fwd(ember, ex, ew, eb), fwd(torch, tx, tw, tb), 1),
                                   ("fwd+bwd", fwd_bwd(ember, exg, ewg, ebg, egy),
                                    fwd_bwd(torch, txg, twg, tbg, tgy), 3)):
            te, tt = median_time(fe, repeats=5, min_time=0.1), median_time(ft, repeats=5, min_time=0.1)
            rows.append((name, kind, threads, f"{te * 1e3:.3f}", f"{tt * 1e3:.3f}",
                         f"{mult * flops / te / 1e9:.0f}", f"{mult * flops / tt / 1e9:.0f}", f"{tt / te:.2f}"))
    return rows


POOL_SHAPE = (64, 32, 32, 32)


def pool_norm_cases(threads, name_filter):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(POOL_SHAPE).astype(np.float32)
    c = POOL_SHAPE[1]
    wb = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    ex, tx = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    exg, txg = ex.detach().requires_grad_(), tx.detach().requires_grad_()
    ew, eb = (ember.from_numpy(a.copy()).requires_grad_() for a in wb)
    tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in wb)
    erm, erv = ember.zeros(c), ember.ones(c)
    trm, trv = torch.zeros(c), torch.ones(c)
    outs = {"max_pool2d 2x2": (16, 16), "avg_pool2d 2x2": (16, 16), "max_pool2d 3x3 s2 p1": (16, 16),
            "batch_norm train": (32, 32)}
    grads = {k: rng.standard_normal(POOL_SHAPE[:2] + v).astype(np.float32) for k, v in outs.items()}

    def ops(lib):
        F = lib.nn.functional
        return {"max_pool2d 2x2": lambda t: F.max_pool2d(t, 2),
                "avg_pool2d 2x2": lambda t: F.avg_pool2d(t, 2),
                "max_pool2d 3x3 s2 p1": lambda t: F.max_pool2d(t, 3, 2, 1),
                "batch_norm train": (lambda t: F.batch_norm(t, erm, erv, ew, eb, training=True)) if lib is ember else
                (lambda t: F.batch_norm(t, trm, trv, tw, tb, training=True))}

    e_ops, t_ops = ops(ember), ops(torch)
    rows = []
    for name in outs:
        if name_filter and name_filter not in name:
            continue
        eg, tg = ember.from_numpy(grads[name].copy()), torch.from_numpy(grads[name].copy())

        def fwd(lib, f, t):
            def run():
                with lib.no_grad():
                    f(t)
            return run

        def fwd_bwd(f, t, g, params):
            def run():
                for p in params:
                    p.grad = None
                f(t).backward(g)
            return run

        bn = name.startswith("batch_norm")
        cases = [("fwd+bwd", fwd_bwd(e_ops[name], exg, eg, (exg, ew, eb) if bn else (exg,)),
                  fwd_bwd(t_ops[name], txg, tg, (txg, tw, tb) if bn else (txg,)))]
        if not bn:
            cases.insert(0, ("fwd", fwd(ember, e_ops[name], ex), fwd(torch, t_ops[name], tx)))
        else:
            cases.insert(0, ("fwd", fwd(ember, e_ops[name], exg), fwd(torch, t_ops[name], txg)))
        for kind, fe, ft in cases:
            te, tt = median_time(fe, repeats=5, min_time=0.1), median_time(ft, repeats=5, min_time=0.1)
            rows.append((f"{name} {POOL_SHAPE}", kind, threads, f"{te * 1e3:.3f}", f"{tt * 1e3:.3f}", f"{tt / te:.2f}"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", choices=["conv", "pool"], default=None)
    ap.add_argument("--filter", default="")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    ap.add_argument("--set", choices=["listed", "resnet18"], default="listed",
                    help="listed: the issue's shapes and a few more; resnet18: every ResNet-18 convolution")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"machine: {machine()}; torch {torch.__version__}; ember {ember.__version__}; "
          f"load average {os.getloadavg()[0]:.1f}; clock {args.clock}")
    conv_rows, pool_rows = [], []
    for threads in (int(t) for t in args.threads.split(",")):
        set_threads(ember, torch, threads)
        if args.only != "pool":
            conv_rows += conv_cases(threads, args.filter, CONVS_RESNET18 if args.set == "resnet18" else CONVS)
        if args.only != "conv":
            pool_rows += pool_norm_cases(threads, args.filter)
    if conv_rows:
        print("\nconv2d float32 NCHW (ms per call, median; GFLOP/s counts fwd as 1x, fwd+bwd as 3x the forward "
              "FLOPs; ratio = torch / ember)\n")
        print(table(conv_rows, ["shape", "pass", "thr", "ember ms", "torch ms", "ember GF/s", "torch GF/s", "ratio"]))
    if pool_rows:
        print("\npooling and batch_norm float32 (ms per call, median; ratio = torch / ember)\n")
        print(table(pool_rows, ["op", "pass", "thr", "ember ms", "torch ms", "ratio"]))


if __name__ == "__main__":
    main()
