"""Fused training ops: cross_entropy, embedding, dropout (forward + backward) and Adam steps,
ember vs PyTorch in one process, same inputs, medians; 1 and 2 threads.

    python benchmarks/bench_fused.py
"""
import numpy as np
import torch

import ember
from harness import machine, median_time, set_threads, table


def fwd_bwd(lib, loss_fn, *leaves):
    def step():
        for t in leaves:
            t.grad = None
        loss_fn().backward()
    return step


def cases():
    rng = np.random.default_rng(0)
    out = []
    for n, c in ((64, 10), (512, 1000)):
        x = rng.standard_normal((n, c)).astype(np.float32)
        t = rng.integers(0, c, size=n)
        ex, tx = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
        et, tt = ember.from_numpy(t), torch.from_numpy(t)
        out.append((f"cross_entropy fwd+bwd {n}x{c}",
                    fwd_bwd(ember, lambda ex=ex, et=et: ember.nn.functional.cross_entropy(ex, et), ex),
                    fwd_bwd(torch, lambda tx=tx, tt=tt: torch.nn.functional.cross_entropy(tx, tt), tx)))
    w = rng.standard_normal((10000, 128)).astype(np.float32)
    idx = rng.integers(0, 10000, size=(64, 32))
    ew, tw = ember.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(w.copy()).requires_grad_()
    ei, ti = ember.from_numpy(idx), torch.from_numpy(idx)
    out.append(("embedding fwd+bwd V=10000 D=128, 64x32",
                fwd_bwd(ember, lambda: ember.nn.functional.embedding(ei, ew).sum(), ew),
                fwd_bwd(torch, lambda: torch.nn.functional.embedding(ti, tw).sum(), tw)))
    d = rng.standard_normal(1 << 22).astype(np.float32)
    ed, td = ember.from_numpy(d.copy()).requires_grad_(), torch.from_numpy(d.copy()).requires_grad_()
    eg, tg = ember.ones(1 << 22), torch.ones(1 << 22)

    def drop(lib, x, g):
        def step():
            x.grad = None
            lib.nn.functional.dropout(x, 0.5).backward(g)
        return step
    out.append(("dropout fwd+bwd 2^22 floats", drop(ember, ed, eg), drop(torch, td, tg)))
    for name, shapes in (("Adam step, MLP 784-128-64-10", [(128, 784), (128,), (64, 128), (64,), (10, 64), (10,)]),
                         ("Adam step, 11M floats (ResNet-18 sized, 62 tensors)",
                          [(11_000_000 // 62,)] * 62)):
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        grads = [rng.standard_normal(s).astype(np.float32) * 1e-2 for s in shapes]

        def make(lib):
            ps = [lib.nn.Parameter(lib.from_numpy(a.copy())) for a in arrays]
            for p, g in zip(ps, grads):
                p.grad = lib.from_numpy(g.copy())
            opt = lib.optim.Adam(ps, lr=1e-3)
            return opt.step
        out.append((name, make(ember), make(torch)))
    return out


def main():
    print(f"machine: {machine()}; torch {torch.__version__}; ember {ember.__version__}")
    rows = []
    for threads in (1, 2):
        set_threads(ember, torch, threads)
        for name, fe, ft in cases():
            te, tt = median_time(fe), median_time(ft)
            rows.append((name, threads, f"{te * 1e6:.1f}", f"{tt * 1e6:.1f}", f"{tt / te:.2f}"))
    print("\nFused training ops (microseconds per call; ratio = torch / ember, > 1 means ember is faster)\n")
    print(table(rows, ["case", "threads", "ember us", "torch us", "ratio"]))


if __name__ == "__main__":
    main()
