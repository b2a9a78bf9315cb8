// Peak FP32 FLOP/s of this machine: a tight loop of independent FMAs (no memory traffic) on
// 1..N threads. Built and run by bench_matmul.py:  c++ -O3 -mavx512f -mfma -fopenmp peak_fma.cpp
// Short bursts, best of many: on a shared machine a long run measures the scheduler, not the core.
#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

static double run(int threads, long iters) {
  double sink = 0;
  auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  {
    __m512 acc[16];
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it)
      for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    float s = 0;
    for (int i = 0; i < 16; ++i) s += _mm512_reduce_add_ps(acc[i]);
    sink += s;
  }
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink == 12345.0) std::printf("#");
  return double(threads) * iters * 16 * 16 * 2 / dt;  // 16 accumulators x 16 lanes x 2 flops
}

int main(int argc, char** argv) {
  int max_threads = argc > 1 ? std::atoi(argv[1]) : 2;
  long iters = argc > 2 ? std::atol(argv[2]) : 20000;
  int repeats = argc > 3 ? std::atoi(argv[3]) : 1000;
  for (int t = 1; t <= max_threads; ++t) {
    double best = 0;
    for (int r = 0; r < repeats; ++r) {
      double f = run(t, iters);
      if (f > best) best = f;
    }
    std::printf("%d %.1f\n", t, best / 1e9);
  }
  return 0;
}
