"""Attention: scaled_dot_product_attention forward and forward+backward (batch 32, heads 8,
seq 128, head dim 64) and a TransformerEncoderLayer(d_model 256, nhead 8) forward+backward:
ember vs PyTorch, one process, same inputs and weights, medians; 1 and 2 threads.

    python benchmarks/bench_attention.py
"""
import numpy as np
import torch

import ember
from harness import machine, median_time, set_threads, table


def sdpa_cases():
    rng = np.random.default_rng(0)
    shape = (32, 8, 128, 64)
    arrs = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    eq, ek, ev = (ember.from_numpy(a.copy()).requires_grad_() for a in arrs)
    tq, tk, tv = (torch.from_numpy(a.copy()).requires_grad_() for a in arrs)
    ef, tf = ember.nn.functional.scaled_dot_product_attention, torch.nn.functional.scaled_dot_product_attention

    def fwd(f, q, k, v, **kw):
        def run():
            with (ember.no_grad() if f is ef else torch.no_grad()):
                f(q, k, v, **kw)
        return run

    def fwd_bwd(f, q, k, v, **kw):
        def run():
            q.grad = k.grad = v.grad = None
            f(q, k, v, **kw).sum().backward()
        return run

    return [("sdpa fwd [32,8,128,64]", fwd(ef, eq, ek, ev), fwd(tf, tq, tk, tv)),
            ("sdpa fwd+bwd [32,8,128,64]", fwd_bwd(ef, eq, ek, ev), fwd_bwd(tf, tq, tk, tv)),
            ("sdpa causal fwd+bwd", fwd_bwd(ef, eq, ek, ev, is_causal=True), fwd_bwd(tf, tq, tk, tv, is_causal=True))]


def encoder_cases():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(256, 8, dim_feedforward=1024, dropout=0.0, batch_first=True)
    el = ember.nn.TransformerEncoderLayer(256, 8, dim_feedforward=1024, dropout=0.0, batch_first=True)
    el.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tl.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((32, 128, 256)).astype(np.float32)
    ex, tx = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()

    def step(layer, inp):
        def run():
            layer.zero_grad()
            inp.grad = None
            layer(inp).sum().backward()
        return run

    def fwd(layer, inp, lib):
        def run():
            with lib.no_grad():
                layer(inp)
        return run

    el.eval()
    tl.eval()
    cases = [("encoder layer fwd (eval) [32,128,256]", fwd(el, ex, ember), fwd(tl, tx, torch))]
    el2, tl2 = el, tl
    return cases, (el2, tl2, step(el2, ex), step(tl2, tx))


def main():
    print(f"CPU: {machine()}; torch {torch.__version__}")
    rows = []
    for threads in (1, 2):
        set_threads(ember, torch, threads)
        cases = sdpa_cases()
        enc, (el, tl, estep, tstep) = encoder_cases()
        for name, fe, ft in cases + enc:
            te, tt = median_time(fe, repeats=5), median_time(ft, repeats=5)
            rows.append((name, threads, f"{te * 1e3:.2f}", f"{tt * 1e3:.2f}", f"{tt / te:.2f}"))
        el.train()
        tl.train()
        te, tt = median_time(estep, repeats=5), median_time(tstep, repeats=5)
        rows.append(("encoder layer fwd+bwd (train, p=0) [32,128,256]", threads, f"{te * 1e3:.2f}",
                     f"{tt * 1e3:.2f}", f"{tt / te:.2f}"))
    print(table(rows, ["case", "threads", "ember ms", "torch ms", "ratio (torch/ember)"]))


if __name__ == "__main__":
    main()
