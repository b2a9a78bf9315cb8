"""Reductions, softmax and sort: ember vs torch in one process on the same inputs.

Median wall time of several runs, at 1 and 2 threads; GB/s counts the input bytes read once.
    PYTHONPATH=src python benchmarks/bench_reduce.py [--quick]
"""
import argparse
import statistics
import time

import numpy as np

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def timeit(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def cases(rng):
    big = rng.standard_normal(16_000_000).astype(np.float32)
    mat = rng.standard_normal((4096, 4096)).astype(np.float32)
    rows = rng.standard_normal((65536, 256)).astype(np.float32)
    return [
        ("sum full 16M f32", big, lambda lib, x: lib.sum(x)),
        ("mean full 16M f32", big, lambda lib, x: lib.mean(x)),
        ("var full 16M f32", big, lambda lib, x: lib.var(x)),
        ("norm full 16M f32", big, lambda lib, x: lib.norm(x)),
        ("amax full 16M f32", big, lambda lib, x: lib.amax(x)),
        ("sum(1) 4096x4096", mat, lambda lib, x: lib.sum(x, 1)),
        ("sum(0) 4096x4096", mat, lambda lib, x: lib.sum(x, 0)),
        ("sum(1) transposed", mat, lambda lib, x: lib.sum(x.t(), 1)),
        ("max(1) 4096x4096", mat, lambda lib, x: lib.max(x, 1)),
        ("argmax(0) 4096x4096", mat, lambda lib, x: lib.argmax(x, 0)),
        ("softmax(-1) 65536x256", rows, lambda lib, x: lib.softmax(x, -1)),
        ("log_softmax(-1) 65536x256", rows, lambda lib, x: lib.log_softmax(x, -1)),
        ("softmax(0) 4096x4096", mat, lambda lib, x: lib.softmax(x, 0)),
        ("cumsum(1) 4096x4096", mat, lambda lib, x: lib.cumsum(x, 1)),
        ("sort(-1) 4096x4096", mat, lambda lib, x: lib.sort(x, -1)),
        ("topk(8) 4096x4096", mat, lambda lib, x: lib.topk(x, 8)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    reps = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    print(f"{'case':28s} {'thr':>3s} {'ember ms':>9s} {'torch ms':>9s} {'ember GB/s':>10s} {'torch GB/s':>10s} {'ratio':>6s}")
    for name, arr, fn in cases(rng):
        e_in = ember.from_numpy(arr)
        t_in = torch.from_numpy(arr) if torch is not None else None
        for nt in [int(s) for s in args.threads.split(",")]:
            ember.set_num_threads(nt)
            te = timeit(lambda: fn(ember, e_in), reps)
            tt = float("nan")
            if torch is not None:
                torch.set_num_threads(nt)
                tt = timeit(lambda: fn(torch, t_in), reps)
            gb = arr.nbytes / 1e9
            print(f"{name:28s} {nt:3d} {te * 1e3:9.2f} {tt * 1e3:9.2f} {gb / te:10.2f} {gb / tt:10.2f} {tt / te:6.2f}")


if __name__ == "__main__":
    main()
