"""Elementwise throughput, ember vs torch (CPU): python benchmarks/bench_elementwise.py [n]"""
import sys
import time

import numpy as np


def bench(fn, reps=20):
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def main():
    import ember
    import torch
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 22
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    if hasattr(ember, "set_num_threads"):
        ember.set_num_threads(threads)
    a = np.random.default_rng(0).uniform(-3, 3, n).astype(np.float32)
    b = np.random.default_rng(1).uniform(0.5, 3, n).astype(np.float32)
    e, eb, t, tb = ember.from_numpy(a), ember.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    cases = [
        ("exp", lambda L, x, y: L.exp(x)), ("sigmoid", lambda L, x, y: L.sigmoid(x)),
        ("tanh", lambda L, x, y: L.tanh(x)), ("sin", lambda L, x, y: L.sin(x)), ("abs", lambda L, x, y: L.abs(x)),
        ("floor", lambda L, x, y: L.floor(x)), ("clamp", lambda L, x, y: L.clamp(x, -1, 1)),
        ("maximum", lambda L, x, y: L.maximum(x, y)), ("pow2", lambda L, x, y: x ** 2),
        ("remainder", lambda L, x, y: x % y), ("gt", lambda L, x, y: x > y),
    ]
    print(f"n={n} float32, {threads} thread(s); GB/s counts bytes read + written")
    for name, f in cases:
        te = bench(lambda: f(ember, e, eb))
        try:
            silu = {"silu": None}
            tt = bench(lambda: f(torch, t, tb))
        except Exception:  # noqa: BLE001
            tt = float("nan")
        nbytes = n * 4 * (3 if name in ("maximum", "remainder") else 2)
        print(f"{name:10s} ember {te * 1e3:8.3f} ms ({nbytes / te / 1e9:6.1f} GB/s)   torch {tt * 1e3:8.3f} ms   "
              f"ratio {te / tt:5.2f}")


if __name__ == "__main__":
    main()
