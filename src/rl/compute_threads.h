// How many CPU threads libtorch computes with, and the BLAS library beneath it kept to one.
//
// Debian's libtorch runs its own OpenMP threads and calls OpenBLAS (the pthread build), which starts its
// own threads for every matrix product. With both at the core count, the two pools fight for the cores:
// on 2 cores a PPO update of the state MLPs (256 minibatches of 400) took 9 s instead of 2.8 s, and the
// NatureCNN update was 1.2x slower (bench: `sim2real bench update`).
#pragma once

namespace s2r::rl {

// Sets libtorch's intra-op threads to `threads` (> 0) and OpenBLAS's to 1 when libtorch uses more than
// one (OpenBLAS keeps its own count when libtorch is single-threaded). Returns whether OpenBLAS was found.
bool SetComputeThreads(int threads);

// Leaves libtorch's thread count and lets OpenBLAS use `threads` again (the benchmark's baseline).
void SetBlasThreads(int threads);

}  // namespace s2r::rl
