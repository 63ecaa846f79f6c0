#include "rl/device.h"

#include <torch/cuda.h>

namespace s2r::rl {

bool CudaAvailable() { return torch::cuda::is_available(); }

}  // namespace s2r::rl
