"""Recurrent networks: nn.LSTM and nn.GRU (input 28, hidden 128, 2 layers, batch 64, sequence 28,
float32), forward (no grad) and forward+backward, ember vs PyTorch in one process with the same
weights and inputs, medians; 1 and 2 threads.

    python benchmarks/bench_rnn.py [--repeats 7]
"""
import argparse
import time

import numpy as np
import torch

import ember
from harness import machine, median_time, set_threads, table

I, H, L, B, T = 28, 128, 2, 64, 28


def cpu_median(fn, repeats, calls=10):
    """Median process CPU seconds per call: less sensitive than wall time to other jobs on a
    shared machine (it still counts this process's threads, and cache effects remain)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            fn()
        times.append((time.process_time() - start) / calls)
    return float(np.median(times))


def pair(cls):
    em = getattr(ember.nn, cls)(I, H, num_layers=L)
    tm = getattr(torch.nn, cls)(I, H, num_layers=L)
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in em.state_dict().items()})
    return em, tm


def cases(cls, threads, repeats):
    em, tm = pair(cls)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    ex, tx = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    exg, txg = ember.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()

    def fwd(m, x, lib):
        def run():
            with lib.no_grad():
                m(x)
        return run

    def fwd_bwd(m, x):
        def run():
            out, _ = m(x)
            out.sum().backward()
        return run

    rows = []
    for name, fe, ft in (("forward", fwd(em, ex, ember), fwd(tm, tx, torch)),
                         ("forward+backward", fwd_bwd(em, exg), fwd_bwd(tm, txg))):
        te = median_time(fe, repeats=repeats, min_time=0.3)
        tt = median_time(ft, repeats=repeats, min_time=0.3)
        ce = cpu_median(fe, repeats)
        ct = cpu_median(ft, repeats)
        rows.append((cls, name, threads, f"{te * 1e3:.2f}", f"{tt * 1e3:.2f}", f"{tt / te:.2f}",
                     f"{ce * 1e3:.2f}", f"{ct * 1e3:.2f}", f"{ct / ce:.2f}"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {machine()}; torch {torch.__version__}; ember {ember.__version__}")
    print(f"input {I}, hidden {H}, {L} layers, batch {B}, sequence {T}, float32\n")
    rows = []
    for threads in (1, 2):
        set_threads(ember, torch, threads)
        for cls in ("LSTM", "GRU"):
            rows += cases(cls, threads, args.repeats)
    print("(ms per call, medians of wall time and of process CPU time; ratio = torch / ember, > 1 means "
          "ember is faster)\n")
    print(table(rows, ["module", "pass", "threads", "ember ms", "torch ms", "ratio", "ember cpu ms", "torch cpu ms",
                       "cpu ratio"]))


if __name__ == "__main__":
    main()
