#include "rl/device.h"

#include <torch/cuda.h>

namespace s2r::rl {

bool CudaAvailable() { return torch::cuda::is_available(); }

bool TrainsOnCuda(bool cuda_flag) { return cuda_flag && CudaAvailable(); }

}  // namespace s2r::rl
