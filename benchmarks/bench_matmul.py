"""sgemm: ember vs torch (MKL/oneDNN) in one process on the same inputs, 1 and 2 threads.

    PYTHONPATH=src python benchmarks/bench_matmul.py [--repeats N] [--no-peak]

Prints GFLOP/s (best and median of the repeats; ember and torch run in alternating blocks so
both see the same machine load), the ember/torch ratio, and % of this machine's peak FP32 FLOP/s, measured
with a tight AVX-512 FMA loop (benchmarks/peak_fma.cpp, compiled here with the system C++
compiler)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

SHAPES = [  # (m, k, n): C[m, n] = A[m, k] @ B[k, n]
    (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
    (64, 784, 128), (64, 128, 64),
]


def measure_peak(max_threads):
    """{threads: peak GFLOP/s} from peak_fma.cpp, or {} when it cannot be built."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peak_fma.cpp")
    exe = os.path.join(tempfile.gettempdir(), f"ember_peak_fma_{os.getpid()}")
    cxx = os.environ.get("CXX", "c++")
    try:
        subprocess.run([cxx, "-O3", "-mavx512f", "-mfma", "-fopenmp", src, "-o", exe], check=True,
                       capture_output=True)
        out = subprocess.run([exe, str(max_threads)], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"# peak FLOP/s not measured: {e}", file=sys.stderr)
        return {}
    finally:
        if os.path.exists(exe):
            os.remove(exe)
    peak = {}
    for row in out.strip().splitlines():
        t, g = row.split()
        peak[int(t)] = float(g)
    return peak


def time_block(f, repeats):
    """Seconds per call, `repeats` calls in a row (after a warm-up call)."""
    f()
    ts, cs = [], []
    for _ in range(repeats):
        c0, t0 = time.thread_time(), time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
        cs.append(time.thread_time() - c0)
    time.sleep(0.02)  # let this library's OpenMP workers stop spinning before the other one runs
    return ts, cs


def time_pair(f_ember, f_torch, repeats):
    """ember and torch in alternating blocks (each runtime's idle workers spin for a while after
    a parallel region, so a block per library keeps them out of each other's way)."""
    te, tt, ce, ct = [], [], [], []
    for _ in range(3):
        t, c = time_block(f_ember, max(1, repeats // 3))
        te += t
        ce += c
        if f_torch is not None:
            t, c = time_block(f_torch, max(1, repeats // 3))
            tt += t
            ct += c
    return np.array(te), np.array(tt), np.array(ce), np.array(ct)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=0, help="repeats per shape (default: by size)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-peak", action="store_true")
    ap.add_argument("--shapes", default="", help="m x k x n list instead of the defaults, e.g. 64x128x512,64x512x128")
    args = ap.parse_args()
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")] if args.shapes else SHAPES
    threads = [int(t) for t in args.threads.split(",")]
    peak = {} if args.no_peak else measure_peak(max(threads))
    print(f"# load average {os.getloadavg()[0]:.1f}; peak FP32 GFLOP/s (FMA loop): "
          + (", ".join(f"{t} thread(s) {g:.0f}" for t, g in sorted(peak.items())) or "n/a"))
    print(f"{'threads':>7} {'shape (m x k x n)':>20} {'ember best':>10} {'med':>6} {'torch best':>10} {'med':>6}"
          f" {'ratio best':>10} {'med':>5} {'% peak':>7}  [1 thread, CPU time: ember, torch GF/s, ratio]")
    rng = np.random.default_rng(0)
    for nt in threads:
        ember.set_num_threads(nt)
        if torch is not None:
            torch.set_num_threads(nt)
        for (m, k, n) in shapes:
            a = rng.standard_normal((m, k), dtype=np.float32)
            b = rng.standard_normal((k, n), dtype=np.float32)
            ea, eb = ember.from_numpy(a), ember.from_numpy(b)
            f_torch = None
            if torch is not None:
                ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                f_torch = lambda: torch.mm(ta, tb)  # noqa: E731
            flops = 2.0 * m * n * k
            reps = args.repeats or max(5, min(200, int(2e10 / flops)))
            te, tt, ce, ct = time_pair(lambda: ember.mm(ea, eb), f_torch, reps)
            ge_best, ge_med = flops / te.min() / 1e9, flops / np.median(te) / 1e9
            if len(tt):
                gt_best, gt_med = flops / tt.min() / 1e9, flops / np.median(tt) / 1e9
                ratio = f"{ge_best / gt_best:10.2f} {ge_med / gt_med:5.2f}"
                tcols = f"{gt_best:10.1f} {gt_med:6.1f}"
            else:
                ratio, tcols = f"{'-':>10} {'-':>5}", f"{'-':>10} {'-':>6}"
            pct = f"{100 * ge_best / peak[nt]:6.0f}%" if nt in peak else f"{'-':>7}"
            # 1 thread: both libraries compute on the calling thread, so its CPU time is the
            # compute time even while other processes share the core.
            cpu = ""
            if nt == 1:
                cpu = f" {flops / np.median(ce) / 1e9:8.1f}"
                if len(ct):
                    cpu += f" {flops / np.median(ct) / 1e9:8.1f} {np.median(ct) / np.median(ce):5.2f}"
            print(f"{nt:>7} {f'{m}x{k}x{n}':>20} {ge_best:10.1f} {ge_med:6.1f} {tcols} {ratio} {pct}{cpu}", flush=True)


if __name__ == "__main__":
    main()
