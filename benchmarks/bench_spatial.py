"""Spatial resampling: bilinear upsample x2 and bilinear grid_sample of a 16x64x56x56 float32 batch,
forward and forward+backward, ember vs PyTorch in one process (same inputs, medians); 1 and 2 threads.

    python benchmarks/bench_spatial.py
"""
import numpy as np
import torch

import ember
from harness import machine, median_time, set_threads, table


def cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 64, 56, 56)).astype(np.float32)
    grid = rng.uniform(-1.1, 1.1, (16, 56, 56, 2)).astype(np.float32)
    ex, tx = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    exg, txg = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
    eg, tg = ember.from_numpy(grid.copy()), torch.from_numpy(grid.copy())
    egg, tgg = ember.from_numpy(grid.copy()).requires_grad_(), torch.from_numpy(grid.copy()).requires_grad_()
    up_go = rng.standard_normal((16, 64, 112, 112)).astype(np.float32)
    gs_go = rng.standard_normal((16, 64, 56, 56)).astype(np.float32)
    e_up_go, t_up_go = ember.from_numpy(up_go), torch.from_numpy(up_go)
    e_gs_go, t_gs_go = ember.from_numpy(gs_go), torch.from_numpy(gs_go)

    def up(lib, a):
        return lib.nn.functional.interpolate(a, scale_factor=2, mode="bilinear", align_corners=False)

    def gs(lib, a, g):
        return lib.nn.functional.grid_sample(a, g, mode="bilinear", padding_mode="zeros", align_corners=False)

    def fwd_bwd(out_fn, go, leaves):
        def step():
            for leaf in leaves:
                leaf.grad = None
            out_fn().backward(go)
        return step

    return [
        ("upsample bilinear x2 fwd", lambda: up(ember, ex), lambda: up(torch, tx)),
        ("upsample bilinear x2 fwd+bwd", fwd_bwd(lambda: up(ember, exg), e_up_go, [exg]),
         fwd_bwd(lambda: up(torch, txg), t_up_go, [txg])),
        ("grid_sample bilinear fwd", lambda: gs(ember, ex, eg), lambda: gs(torch, tx, tg)),
        ("grid_sample bilinear fwd+bwd (input, grid)", fwd_bwd(lambda: gs(ember, exg, egg), e_gs_go, [exg, egg]),
         fwd_bwd(lambda: gs(torch, txg, tgg), t_gs_go, [txg, tgg])),
    ]


def main():
    print(f"machine: {machine()}; torch {torch.__version__}")
    rows = []
    for threads in (1, 2):
        set_threads(ember, torch, threads)
        for name, fe, ft in cases():
            te, tt = median_time(fe, repeats=5, min_time=0.2), median_time(ft, repeats=5, min_time=0.2)
            rows.append((name, threads, f"{te * 1e3:.2f}", f"{tt * 1e3:.2f}", f"{tt / te:.2f}"))
    print(table(rows, ["case (16x64x56x56 float32)", "threads", "ember ms", "torch ms", "torch/ember"]))


if __name__ == "__main__":
    main()
