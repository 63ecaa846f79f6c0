#include "rl/compute_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace s2r::rl {

namespace {
// OpenBLAS is found at run time: libtorch links it, but another BLAS may stand behind libblas.so.3.
using SetThreadsFn = void (*)(int);
SetThreadsFn OpenBlasSetThreads() {
  static const auto fn = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return fn;
}
}  // namespace

void SetBlasThreads(int threads) {
  if (auto fn = OpenBlasSetThreads()) fn(threads);
}

bool SetComputeThreads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
  auto fn = OpenBlasSetThreads();
  if (fn && torch::get_num_threads() > 1) fn(1);
  return fn != nullptr;
}

}  // namespace s2r::rl
