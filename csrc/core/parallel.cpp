#include "core/parallel.h"

#include <cstdlib>

#include "core/check.h"

namespace ember {
namespace {
int initial_threads() {
#ifdef EMBER_HAVE_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
int g_num_threads = initial_threads();
}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK(n > 0, Value, "[ember.set_num_threads] expected a positive number of threads, got ", n);
  g_num_threads = n;
#ifdef EMBER_HAVE_OPENMP
  omp_set_num_threads(n);
#endif
}

int get_num_threads() { return g_num_threads; }

}  // namespace ember
