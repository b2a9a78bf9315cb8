"""Elementwise throughput on one thread, float32:
    OMP_NUM_THREADS=1 python benchmarks/bench_elementwise.py ember
    python benchmarks/bench_elementwise.py torch
Run each library in its own process: with both imported, their two OpenMP runtimes fight and
every ember call pays several milliseconds."""
import sys
import time

import numpy as np


def main():
    lib_name = sys.argv[1] if len(sys.argv) > 1 else "ember"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 22
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
        F = lib.nn.functional
    else:
        import ember as lib
        F = lib
    x = lib.from_numpy(np.random.default_rng(0).uniform(-3, 3, n).astype(np.float32))
    cases = [("exp", lib.exp), ("sigmoid", lib.sigmoid), ("silu", F.silu), ("gelu", F.gelu), ("tanh", lib.tanh),
             ("sin", lib.sin), ("abs", lib.abs), ("floor", lib.floor), ("clamp", lambda v: lib.clamp(v, -1, 1)),
             ("gt", lambda v: v > 0.5), ("pow2", lambda v: v ** 2), ("remainder", lambda v: v % 1.5),
             ("cos", lib.cos), ("tan", lib.tan), ("erf", lib.erf), ("gelu_tanh", lambda v: F.gelu(v, approximate="tanh")),
             ("log", lib.log), ("log1p", lib.log1p), ("expm1", lib.expm1), ("atan", lib.atan), ("sinh", lib.sinh),
             ("xlogy", lambda v: lib.xlogy(v, 1.5))]
    print(f"{lib_name}: n={n} float32, GB/s = (read + write) / time")
    for name, f in cases:
        f(x)
        t = time.perf_counter()
        for _ in range(20):
            f(x)
        dt = (time.perf_counter() - t) / 20
        print(f"{name:10s} {dt * 1e3:8.3f} ms {n * 8 / dt / 1e9:7.1f} GB/s")


if __name__ == "__main__":
    main()
