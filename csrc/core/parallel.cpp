// The intra-op thread pool (see Note [why not OpenMP] in parallel.h). Workers wait for a job
// generation, take task numbers from a shared counter, and the caller takes tasks too. Idle workers
// spin briefly (back-to-back ops stay cheap) and then sleep on a condition variable.
#include "core/parallel.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/check.h"

namespace ember {
namespace {

thread_local bool t_in_parallel = false;

int default_threads() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (const char* env = std::getenv("OMP_NUM_THREADS")) n = std::atol(env);
  if (const char* env = std::getenv("EMBER_NUM_THREADS")) n = std::atol(env);
  return int(std::max<long>(1, n));
}

std::atomic<int> g_num_threads{default_threads()};
// Pauses (about 23 ns each on Zen 4) that an idle worker spins before sleeping (2000: ~46 us, longer
// than the gap between the kernels of one op or step), and that the caller spins waiting for the
// tasks others took. EMBER_SPIN_WORKER / EMBER_SPIN_CALLER override them (like GOMP_SPINCOUNT).
// Measured with another process keeping one of 2 cores busy, LSTM step at 2 threads: worker spin
// 20000 20.2 ms, 2000 14.4-15.8 ms, 500 12.2-12.7 ms (the spinning worker took CPU time from
// the threads doing the work); waking a sleeping worker costs ~10-20 us per op.
int spin_count(const char* env, int dflt) {
  const char* e = std::getenv(env);
  return e ? std::max(0, std::atoi(e)) : dflt;
}
int spin_caller() {
  static const int n = spin_count("EMBER_SPIN_CALLER", 20000);
  return n;
}
int spin_worker() {
  static const int n = spin_count("EMBER_SPIN_WORKER", 2000);
  return n;
}

// One parallel_run call. Workers hold a reference to the job they joined, so a worker that wakes
// late for a finished job only finds its task counter exhausted: it can never take a task number
// (or decrement the counter) of the job that follows.
struct Job {
  const std::function<void(int64_t)>* task = nullptr;
  int64_t num_tasks = 0;
  std::atomic<int64_t> next{0}, remaining{0};
  std::exception_ptr error;  // guarded by ThreadPool::mu_
};

class ThreadPool {
 public:
  explicit ThreadPool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_work_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int workers() const { return int(threads_.size()); }

  void run(int64_t num_tasks, const std::function<void(int64_t)>& task) {
    std::lock_guard<std::mutex> run_lock(run_mu_);  // one job at a time (callers from several threads queue)
    auto job = std::make_shared<Job>();
    job->task = &task;
    job->num_tasks = num_tasks;
    job->remaining.store(num_tasks);
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = job;
      ++generation_;
    }
    cv_work_.notify_all();
    work(*job);  // the caller takes tasks too
    // Wait for the tasks other threads took: spin a little, then sleep.
    for (int spin = 0; job->remaining.load(std::memory_order_acquire) != 0 && spin < spin_caller(); ++spin) spin_pause();
    std::exception_ptr err;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_done_.wait(lock, [&] { return job->remaining.load() == 0; });
      err = job->error;
      job_.reset();
    }
    if (err) std::rethrow_exception(err);
  }

 private:
  static void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void work(Job& job) {
    bool was = t_in_parallel;
    t_in_parallel = true;
    for (int64_t t; (t = job.next.fetch_add(1)) < job.num_tasks;) {
      try {
        (*job.task)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!job.error) job.error = std::current_exception();
      }
      if (job.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        cv_done_.notify_all();
      }
    }
    t_in_parallel = was;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      // Spin briefly for the next job, then sleep.
      for (int spin = 0; generation_.load(std::memory_order_acquire) == seen && spin < spin_worker(); ++spin) spin_pause();
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_work_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        job = job_;
      }
      if (job) work(*job);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex run_mu_, mu_;
  std::condition_variable cv_work_, cv_done_;
  std::shared_ptr<Job> job_;  // the job being run, guarded by mu_
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
};

std::mutex g_pool_mu;
ThreadPool* g_pool = nullptr;  // leaked at exit on purpose: joining threads during static destruction hangs

void forget_pool_after_fork() { g_pool = nullptr; }  // the child has no worker threads: make a new pool on demand

ThreadPool& pool_for(int threads) {
  static std::once_flag atfork;
  std::call_once(atfork, [] { pthread_atfork(nullptr, nullptr, forget_pool_after_fork); });
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (!g_pool || g_pool->workers() < threads - 1) {
    delete g_pool;
    g_pool = new ThreadPool(threads - 1);
  }
  return *g_pool;
}

}  // namespace

bool in_parallel_region() { return t_in_parallel; }

void parallel_run(int64_t num_tasks, const std::function<void(int64_t)>& task) {
  if (num_tasks <= 0) return;
  if (num_tasks == 1 || in_parallel_region() || get_num_threads() <= 1) {
    bool was = t_in_parallel;
    t_in_parallel = true;
    try {
      for (int64_t t = 0; t < num_tasks; ++t) task(t);
    } catch (...) {
      t_in_parallel = was;
      throw;
    }
    t_in_parallel = was;
    return;
  }
  pool_for(get_num_threads()).run(num_tasks, task);
}

void set_num_threads(int n) {
  EMBER_CHECK(n > 0, Value, "[ember.set_num_threads] expected a positive number of threads, got ", n);
  g_num_threads = n;
}

int get_num_threads() { return g_num_threads.load(); }

}  // namespace ember
