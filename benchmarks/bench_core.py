"""Per-op overhead on tiny tensors and throughput of large elementwise ops and reductions:
ember vs PyTorch, one process, same inputs, medians; 1 and 2 threads.

    python benchmarks/bench_core.py
"""
import numpy as np
import torch

import ember
from harness import machine, median_time, set_threads, table


def tiny_overhead(threads):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4)).astype(np.float32)
    b = rng.standard_normal((4, 4)).astype(np.float32)
    ea, eb, ta, tb = ember.from_numpy(a.copy()), ember.from_numpy(b.copy()), torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
    ew, tw = ember.from_numpy(b.copy()).requires_grad_(), torch.from_numpy(b.copy()).requires_grad_()
    ec, tc = ember.from_numpy(b.copy()), torch.from_numpy(b.copy())
    eg, tg = ew * 2, tw * 2

    def fb(lib_x, lib_w):
        def step():
            y = (lib_x @ lib_w).relu().sum()
            y.backward()
        return step

    cases = [("a + b (4x4)", lambda: ea + eb, lambda: ta + tb),
             ("relu (4x4)", lambda: ea.relu(), lambda: ta.relu()),
             ("matmul 4x4", lambda: ea @ eb, lambda: ta @ tb),
             ("sum (4x4)", lambda: ea.sum(), lambda: ta.sum()),
             ("a + 1.0", lambda: ea + 1.0, lambda: ta + 1.0),
             ("view", lambda: ea.view(16), lambda: ta.view(16)),
             ("a.add_(b) (4x4)", lambda: ea.add_(eb), lambda: ta.add_(tb)),
             ("p.zero_() (4x4)", lambda: ec.zero_(), lambda: tc.zero_()),
             ("a.to(float32) (no-op)", lambda: ea.to(ember.float32), lambda: ta.to(torch.float32)),
             ("grad_fn", lambda: eg.grad_fn, lambda: tg.grad_fn),
             ("tiny fwd+bwd (mm,relu,sum)", fb(ea, ew), fb(ta, tw))]
    rows = []
    for name, fe, ft in cases:
        te, tt = median_time(fe), median_time(ft)
        rows.append((name, threads, f"{te * 1e6:.2f}", f"{tt * 1e6:.2f}", f"{tt / te:.2f}"))
    return rows


def large_elementwise(threads, n=1 << 24):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    ea, eb, ta, tb = ember.from_numpy(a), ember.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    eo, to = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    es, ts = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())  # sin_/erf_ keep values in [-1, 1]
    eabs, tabs = ember.from_numpy(np.abs(a)), torch.from_numpy(np.abs(a))
    eF, tF = ember.nn.functional, torch.nn.functional
    cases = [("add", 3, lambda: ea + eb, lambda: ta + tb),
             ("mul", 3, lambda: ea * eb, lambda: ta * tb),
             ("add_ (in place)", 3, lambda: eo.add_(ea), lambda: to.add_(ta)),
             ("relu", 2, lambda: ea.relu(), lambda: ta.relu()),
             ("exp", 2, lambda: ea.exp(), lambda: ta.exp()),
             ("sigmoid", 2, lambda: ea.sigmoid(), lambda: ta.sigmoid()),
             ("tanh", 2, lambda: ea.tanh(), lambda: ta.tanh()),
             ("sin", 2, lambda: ea.sin(), lambda: ta.sin()),
             ("cos", 2, lambda: ea.cos(), lambda: ta.cos()),
             ("tan", 2, lambda: ea.tan(), lambda: ta.tan()),
             ("erf", 2, lambda: ea.erf(), lambda: ta.erf()),
             ("gelu", 2, lambda: eF.gelu(ea), lambda: tF.gelu(ta)),
             ("gelu (tanh)", 2, lambda: eF.gelu(ea, approximate="tanh"), lambda: tF.gelu(ta, approximate="tanh")),
             ("log (of |x|)", 2, lambda: eabs.log(), lambda: tabs.log()),
             ("log1p (of |x|)", 2, lambda: eabs.log1p(), lambda: tabs.log1p()),
             ("expm1", 2, lambda: ea.expm1(), lambda: ta.expm1()),
             ("atan", 2, lambda: ea.atan(), lambda: ta.atan()),
             ("sqrt (of |x|)", 2, lambda: eabs.sqrt(), lambda: tabs.sqrt()),
             ("remainder 1.5", 2, lambda: ea % 1.5, lambda: ta % 1.5),
             ("sin_ (in place)", 2, lambda: es.sin_(), lambda: ts.sin_()),
             ("erf_ (in place)", 2, lambda: es.erf_(), lambda: ts.erf_()),
             ("sum (full)", 1, lambda: ea.sum(), lambda: ta.sum()),
             ("sum dim=1 of 4096x4096", 1, lambda: ea.view(4096, 4096).sum(1), lambda: ta.view(4096, 4096).sum(1)),
             ("sum dim=0 of 4096x4096", 1, lambda: ea.view(4096, 4096).sum(0), lambda: ta.view(4096, 4096).sum(0))]
    rows = []
    for name, arrays, fe, ft in cases:
        te, tt = median_time(fe, repeats=5), median_time(ft, repeats=5)
        gb = arrays * n * 4 / 1e9
        rows.append((name, threads, f"{gb / te:.1f}", f"{gb / tt:.1f}", f"{tt / te:.2f}"))
    return rows


def main():
    print(f"machine: {machine()}; torch {torch.__version__}; ember {ember.__version__}")
    over, big = [], []
    for threads in (1, 2):
        set_threads(ember, torch, threads)
        over += tiny_overhead(threads)
        big += large_elementwise(threads)
    print("\nPer-op overhead (microseconds per call; ratio = torch / ember, > 1 means ember is faster)\n")
    print(table(over, ["op", "threads", "ember us", "torch us", "ratio"]))
    print("\nLarge elementwise and reductions, 2^24 float32 (GB/s moved; ratio = ember / torch throughput)\n")
    print(table(big, ["op", "threads", "ember GB/s", "torch GB/s", "ratio"]))


if __name__ == "__main__":
    main()
