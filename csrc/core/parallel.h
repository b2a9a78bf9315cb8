#pragma once
// Intra-op parallelism on ember's own thread pool (csrc/core/parallel.cpp).
//
// Note [why not OpenMP]: ember shares processes with PyTorch (the tests and benchmarks compare them
// side by side) and two OpenMP runtimes in one process fight over the cores; libgomp is also not
// fork-safe (DataLoader workers), and an exception escaping an OpenMP region terminates the
// process. The pool is fork-safe, rethrows a task's exception in the caller, and runs nested
// parallel regions serially.
//
// parallel_for(begin, end, grain, f): one thread when the range is below `grain` (no hand-off cost
// for small tensors), otherwise up to get_num_threads() contiguous chunks f(b, e).
// parallel_run(n, f): f(task) for task in [0, n), concurrently where threads are free.
#include <algorithm>
#include <cstdint>
#include <functional>

#include "ember/parallel.h"

namespace ember {

constexpr int64_t kGrainSize = 32768;

bool in_parallel_region();
void parallel_run(int64_t num_tasks, const std::function<void(int64_t)>& task);

template <class F> void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int64_t chunks = std::min<int64_t>(get_num_threads(), (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks <= 1 || in_parallel_region()) {
    f(begin, end);
    return;
  }
  int64_t per = (n + chunks - 1) / chunks;
  parallel_run(chunks, [&](int64_t t) {
    int64_t b = begin + t * per, e = std::min(end, b + per);
    if (b < e) f(b, e);
  });
}

}  // namespace ember
