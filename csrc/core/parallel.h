#pragma once
// parallel_for over [begin, end): one thread when the range is below `grain` (no fork/join cost
// for small tensors), otherwise OpenMP threads over contiguous chunks. Never nests.
#include <algorithm>
#include <cstdint>

#include "ember/parallel.h"
#ifdef EMBER_HAVE_OPENMP
#include <omp.h>
#endif

namespace ember {

constexpr int64_t kGrainSize = 32768;

inline bool in_parallel_region() {
#ifdef EMBER_HAVE_OPENMP
  return omp_in_parallel();
#else
  return false;
#endif
}

template <class F> void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  int64_t n = end - begin;
  if (n <= 0) return;
#ifdef EMBER_HAVE_OPENMP
  int64_t max_threads = get_num_threads();
  int64_t chunks = std::min<int64_t>(max_threads, (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks > 1 && !in_parallel_region()) {
#pragma omp parallel num_threads(int(chunks))
    {
      int64_t tid = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t per = (n + nt - 1) / nt;
      int64_t b = begin + tid * per, e = std::min(end, b + per);
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  f(begin, end);
}

}  // namespace ember
