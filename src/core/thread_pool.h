// A fixed pool of worker threads that runs one batched job at a time (the EnvPool pattern):
// ParallelFor splits [0, n) into contiguous chunks, one per thread, and the calling thread works too.
// Which thread runs which index never changes results: callers keep per-index state only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace s2r {

class ThreadPool {
 public:
  // num_threads counts the calling thread: 1 runs everything inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end) on disjoint chunks covering [0, n); returns when all are done.
  // The first exception thrown by fn is rethrown here after every chunk finished.
  void ParallelFor(int n, const std::function<void(int begin, int end)>& fn);

 private:
  void WorkerLoop(int worker_index);
  void RunChunk(int chunk);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace s2r
