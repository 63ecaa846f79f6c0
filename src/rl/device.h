// Where training runs: the CPU, or CUDA when --ppo.cuda asks for it and libtorch can. Torch-free header.
#pragma once

namespace s2r::rl {

// Whether this libtorch was built with CUDA and sees at least one GPU (Debian's libtorch: never).
bool CudaAvailable();

// The one place training picks its device, as the reference: CUDA when --ppo.cuda is on and CUDA is
// available, otherwise the CPU.
bool TrainsOnCuda(bool cuda_flag);

}  // namespace s2r::rl
