"""CUDA backend figures (issue 5): device-to-device bandwidth, a large elementwise op and a
reduction as fractions of it, and matmul TFLOP/s (float32, TF32, bfloat16) — ember and, when a CUDA
build of torch is installed, torch on the same GPU in the same process.

    PYTHONPATH=src python benchmarks/bench_cuda.py            # needs a GPU and ember built with CUDA
"""
import time

import numpy as np

import ember
from harness import table

try:
    import torch
    HAVE_TORCH_CUDA = torch.cuda.is_available()
except ImportError:  # pragma: no cover
    torch, HAVE_TORCH_CUDA = None, False


def gpu_time(fn, sync, repeats=5, min_time=0.2):
    """Median seconds per call, synchronising around each repeat."""
    fn()
    sync()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        t = time.perf_counter() - start
        if t >= min_time / 4 or n >= 1 << 14:
            break
        n *= 2
    n = max(1, int(n * min_time / max(t, 1e-9)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        times.append((time.perf_counter() - start) / n)
    return float(np.median(times))


def bandwidth_rows(n=1 << 26):
    rows = []
    e_sync = ember.cuda.synchronize
    a = ember.ones(n, device="cuda")
    b = ember.ones(n, device="cuda")
    out = ember.empty(n, device="cuda")
    t_copy = gpu_time(lambda: out.copy_(a), e_sync)
    bw = 2 * 4 * n / t_copy
    rows.append(["copy_ (D2D memcpy)", n, f"{bw / 1e9:.0f} GB/s", "1.00", ""])
    t_add = gpu_time(lambda: a + b, e_sync)
    rows.append(["a + b (float32)", n, f"{3 * 4 * n / t_add / 1e9:.0f} GB/s", f"{3 * 4 * n / t_add / bw:.2f}", ""])
    t_sum = gpu_time(lambda: a.sum(), e_sync)
    rows.append(["a.sum() (float32)", n, f"{4 * n / t_sum / 1e9:.0f} GB/s", f"{4 * n / t_sum / bw:.2f}", ""])
    if HAVE_TORCH_CUDA:
        ta, tb = torch.ones(n, device="cuda"), torch.ones(n, device="cuda")
        t_sync = torch.cuda.synchronize
        for row, fn, nbytes in ((rows[1], lambda: ta + tb, 12 * n), (rows[2], lambda: ta.sum(), 4 * n)):
            row[4] = f"torch {nbytes / gpu_time(fn, t_sync) / 1e9:.0f} GB/s"
    return rows


def matmul_rows(sizes=(1024, 2048, 4096, 8192)):
    rows = []
    for n in sizes:
        for label, dtype, tf32 in (("float32", "float32", False), ("tf32", "float32", True),
                                   ("bfloat16", "bfloat16", False)):
            ember.backends.cuda.matmul.allow_tf32 = tf32
            x = ember.ones(n, n, dtype=getattr(ember, dtype), device="cuda")
            t = gpu_time(lambda: x @ x, ember.cuda.synchronize, repeats=3)
            e_tflops = 2 * n ** 3 / t / 1e12
            ratio = ""
            if HAVE_TORCH_CUDA:
                torch.backends.cuda.matmul.allow_tf32 = tf32
                tx = torch.ones(n, n, dtype=getattr(torch, dtype), device="cuda")
                tt = gpu_time(lambda: tx @ tx, torch.cuda.synchronize, repeats=3)
                ratio = f"{tt / t:.2f}"
            rows.append([label, n, f"{e_tflops:.1f}", ratio])
            del x
    ember.backends.cuda.matmul.allow_tf32 = False
    return rows


def main():
    assert ember.cuda.is_available(), "needs a GPU and ember built with EMBER_WITH_CUDA=ON"
    print(f"GPU: {ember.cuda.get_device_name()}, torch CUDA: {HAVE_TORCH_CUDA}")
    print(table(bandwidth_rows(), ["op", "n", "ember", "fraction of copy_ bandwidth", "torch"]))
    print()
    print(table(matmul_rows(), ["matmul", "n", "ember TFLOP/s", "torch time / ember time"]))


if __name__ == "__main__":
    main()
