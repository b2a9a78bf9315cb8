"""The GEMM kernel on every CPU ISA path (EMBER_CPU_ISA=baseline|avx2|avx512, each in its own
process since the ISA is fixed at first use) against NumPy: edge sizes around the register and
cache blocks, transposed/strided/broadcast operands, beta != 0, k = 0, and bitwise-identical
results for 1 and 2 threads."""
import os
import subprocess
import sys

import numpy as np
import pytest

import ember

# Blocking per ISA and dtype, as in csrc/kernels/cpu/isa/gemm.cpp (MR, NR, KC, MC, NC).
BLOCKING = {
    "avx512": {"float32": (14, 32, 256, 14 * 24, 4096), "float64": (14, 16, 256, 14 * 18, 2048)},
    "avx2": {"float32": (6, 16, 256, 6 * 24, 4096), "float64": (6, 8, 256, 6 * 16, 2048)},
    "baseline": {"float32": (4, 8, 256, 4 * 32, 2048), "float64": (4, 4, 256, 4 * 32, 2048)},
}


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def isa_supported(isa):
    flags = cpu_flags()
    if isa == "baseline":
        return True
    if isa == "avx2":
        return {"avx2", "fma"} <= flags
    return {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags


# ---- worker (runs in a subprocess with EMBER_CPU_ISA set)

def _layout(arr, kind):
    """Same values, another memory layout."""
    if kind == "contiguous":
        return np.ascontiguousarray(arr)
    if kind == "transposed":
        return np.ascontiguousarray(np.swapaxes(arr, -1, -2)).swapaxes(-1, -2)
    big = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), dtype=arr.dtype)
    big[..., ::2] = arr
    return big[..., ::2]


def _tol(dtype, k):
    return (1e-12 if dtype == "float64" else 2e-6) * max(k, 1) ** 0.5 * 4


class _Checker:
    def __init__(self, isa):
        self.isa = isa
        self.failures = []
        self.count = 0
        self.rng = np.random.default_rng(0)

    def check(self, what, got, want, k, dtype):
        self.count += 1
        got = np.asarray(got, dtype=np.float64)
        scale = max(1.0, float(np.abs(want).max(initial=0)))
        err = float(np.abs(got - want).max(initial=0))
        if got.shape != want.shape or not np.isfinite(got).all() or err > _tol(dtype, k) * scale * 8:
            self.failures.append(f"{self.isa} {what}: shape {got.shape} vs {want.shape}, err {err:.3g}")

    def mm_case(self, m, n, k, dtype, la="contiguous", lb="contiguous"):
        a = self.rng.uniform(-1, 1, (m, k)).astype(dtype)
        b = self.rng.uniform(-1, 1, (k, n)).astype(dtype)
        want = a.astype(np.float64) @ b.astype(np.float64)
        got = ember.mm(ember.from_numpy(_layout(a, la)), ember.from_numpy(_layout(b, lb))).numpy()
        self.check(f"mm {m}x{k}x{n} {dtype} A:{la} B:{lb}", got, want, k, dtype)

    def raw_case(self, batch, m, n, k, dtype, alpha, beta, lc="contiguous", bcast_a=False, bcast_b=False,
                 la="contiguous", lb="contiguous"):
        """Straight through the kernel (ember._C._ops._gemm_into): any C layout, broadcast batches."""
        rng = self.rng
        a = rng.uniform(-1, 1, (1 if bcast_a else batch, m, k)).astype(dtype)
        b = rng.uniform(-1, 1, (1 if bcast_b else batch, k, n)).astype(dtype)
        c0 = rng.uniform(-1, 1, (batch, m, n)).astype(dtype)
        if beta == 0:
            c0[...] = np.nan  # beta == 0: C must not be read
        ea = ember.from_numpy(_layout(a, la))
        eb = ember.from_numpy(_layout(b, lb))
        if bcast_a:
            ea = ea.expand(batch, m, k)
        if bcast_b:
            eb = eb.expand(batch, k, n)
        ec = ember.from_numpy(_layout(c0.copy(), lc))
        ember._C._ops._gemm_into(ec, ea, eb, alpha, beta)
        want = alpha * (a.astype(np.float64) @ b.astype(np.float64))
        if beta != 0:
            want = want + beta * c0.astype(np.float64)
        want = np.broadcast_to(want, (batch, m, n))
        self.check(f"raw b{batch} {m}x{k}x{n} {dtype} a={alpha} b={beta} C:{lc} A:{la}{'/bc' if bcast_a else ''} "
                   f"B:{lb}{'/bc' if bcast_b else ''}", ec.numpy(), want, k, dtype)


def worker(isa):
    c = _Checker(isa)
    layouts = ("contiguous", "transposed", "strided")
    for dtype in ("float32", "float64"):
        mr, nr, kc, mc, nc = BLOCKING[isa][dtype]
        primes = (1, 7, 13, 31, 97)
        for m in primes:
            for n in primes:
                for k in primes:
                    if max(m, n, k) <= 31:
                        for la in layouts:
                            for lb in layouts:
                                c.mm_case(m, n, k, dtype, la, lb)
                    else:
                        c.mm_case(m, n, k, dtype)
        # Around every block size.
        for m in (mr - 1, mr, mr + 1, 2 * mr + 1, mc - 1, mc, mc + 1):
            for la in ("contiguous", "transposed"):
                c.mm_case(m, nr + 1, 37, dtype, la, "contiguous")
        for n in (nr - 1, nr, nr + 1, 2 * nr - 1, nc - 1, nc, nc + 1):
            for lb in ("contiguous", "transposed"):
                c.mm_case(mr + 1, n, 5, dtype, "contiguous", lb)
        for k in (kc - 1, kc, kc + 1, 2 * kc + 1):
            for la, lb in (("contiguous", "contiguous"), ("transposed", "transposed"), ("strided", "strided")):
                c.mm_case(mr + 3, nr + 3, k, dtype, la, lb)
        c.mm_case(mc + 5, 2 * nr + 3, kc + 7, dtype, "strided", "transposed")
        c.mm_case(3, 3, 0, dtype)
        # Matrix-vector paths (n == 1, m == 1), every layout.
        for la in layouts:
            for lb in layouts:
                c.mm_case(301, 1, 1000, dtype, la, lb)
                c.mm_case(1, 301, 1000, dtype, la, lb)
        c.raw_case(3, 70, 1, 90, dtype, 2.0, 0.5, lc="transposed", la="transposed")
        c.raw_case(3, 1, 70, 90, dtype, 1.0, 1.0, lc="strided", lb="strided")
        # The kernel directly: C layouts, alpha/beta, broadcast batches, k = 0.
        for lc in layouts:
            for beta in (0.0, 1.0, -0.5):
                c.raw_case(3, mr + 2, nr + 5, 19, dtype, 1.0, beta, lc=lc)
                c.raw_case(2, 2 * mr + 1, 2 * nr + 1, kc + 3, dtype, 1.5, beta, lc=lc, la="transposed", lb="strided")
        c.raw_case(5, 9, 10, 11, dtype, 2.0, 0.5, bcast_a=True)
        c.raw_case(5, 9, 10, 11, dtype, 1.0, 0.0, bcast_b=True, lc="transposed")
        c.raw_case(6, 40, 50, 60, dtype, 1.0, 1.0, bcast_a=True, bcast_b=True)
        c.raw_case(4, 2, 3, 2, dtype, 1.0, 0.0)  # the direct (tiny) path
        c.raw_case(2, 5, 6, 0, dtype, 1.0, 0.0)  # k = 0, beta = 0: zeros
        c.raw_case(2, 5, 6, 0, dtype, 1.0, 0.5, lc="transposed")  # k = 0: beta * C
    # Bitwise identity across thread counts (both the M-split and the N-split paths, batches).
    for dtype in ("float32", "float64"):
        rng = np.random.default_rng(1)
        for (bt, m, n, k) in ((1, 301, 257, 419), (1, 20, 4100, 64), (1, 3, 900, 300), (8, 64, 64, 64),
                              (3, 200, 100, 90), (1, 5000, 1, 300), (1, 1, 5000, 300)):
            a = ember.from_numpy(rng.uniform(-1, 1, (bt, m, k)).astype(dtype))
            b = ember.from_numpy(rng.uniform(-1, 1, (bt, k, n)).astype(dtype))
            outs = []
            for t in (1, 2):
                ember.set_num_threads(t)
                outs.append(ember.bmm(a, b).numpy())
            ember.set_num_threads(2)
            c.count += 1
            if not np.array_equal(outs[0], outs[1]):
                c.failures.append(f"{isa} threads {bt}x{m}x{k}x{n} {dtype}: 1 and 2 threads differ")
    print(f"checked {c.count}")
    for f in c.failures[:30]:
        print("FAIL", f)
    print("OK" if not c.failures else f"{len(c.failures)} failures")


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_gemm_isa(isa):
    if not isa_supported(isa):
        pytest.skip(f"this CPU has no {isa}")
    env = dict(os.environ, EMBER_CPU_ISA=isa, OMP_NUM_THREADS="2")
    r = subprocess.run([sys.executable, __file__, isa], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("OK"), r.stdout[-3000:]


def test_threads_api():
    old = ember.get_num_threads()
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(old)
    with pytest.raises(ValueError):
        ember.set_num_threads(0)


def test_integer_matmul():
    rng = np.random.default_rng(0)
    for dt in ("int64", "int32"):
        a = rng.integers(-9, 9, (13, 17)).astype(dt)
        b = rng.integers(-9, 9, (17, 5)).astype(dt)
        r = ember.mm(ember.from_numpy(a), ember.from_numpy(b))
        assert str(r.dtype) == f"ember.{dt}"
        np.testing.assert_array_equal(r.numpy(), a @ b)
        r = ember.matmul(ember.from_numpy(a.T.copy()).t(), ember.from_numpy(b))
        np.testing.assert_array_equal(r.numpy(), a @ b)


def test_matmul_errors():
    a = ember.ones(2, 3)
    with pytest.raises(RuntimeError):
        ember.mm(a, ember.ones(4, 2))
    with pytest.raises(RuntimeError):
        ember.mm(a, ember.ones(3, 2, dtype=ember.float64))
    with pytest.raises(RuntimeError):
        ember.mm(a.bool(), ember.ones(3, 2).bool())


if __name__ == "__main__":
    worker(sys.argv[1])
