// The process group of a data-parallel job on torch's c10d: rendezvous through a TCPStore that rank 0 serves,
// collectives through ProcessGroupGloo (CPU tensors). What the trainers need and nothing else: rank 0's
// weights to everyone, gradients averaged over the ranks (rsl_rl's pattern: one allreduce of the flattened
// gradients), sums of a few statistics, and a check that every rank runs the same configuration.
// Built without c10d/Gloo (no libgloo-dev), constructing one throws ConfigError saying so.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rl/distributed.h"

namespace s2r::rl {

// A collective that failed: a rank died, stalled past the timeout, or closed its connections. The message
// names this rank, the operation and the timeout.
class LostRankError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DistGroup {
 public:
  // Rendezvous at c.master_addr:c.master_port (rank 0 listens there) and the Gloo group over it. Throws
  // IoError naming the address and port when the store cannot be served or reached within c.timeout_s,
  // ConfigError for a bad config or a build without c10d.
  explicit DistGroup(const DistConfig& c);
  ~DistGroup();
  DistGroup(const DistGroup&) = delete;
  DistGroup& operator=(const DistGroup&) = delete;

  int rank() const;
  int world_size() const;

  // Rank 0's values copied into every rank's tensors, in place (CPU; same shapes and dtypes everywhere).
  void Broadcast(const std::vector<torch::Tensor>& tensors);
  // Each parameter's gradient (float32, CPU) replaced by its mean over the ranks; parameters without a
  // gradient count as zero. One allreduce of one flat buffer.
  void AverageGradients(const std::vector<torch::Tensor>& params);
  // Element-wise sums over the ranks of a few statistics (float64).
  std::vector<double> Sum(const std::vector<double>& values);
  // Refuses, on every rank alike, a job whose ranks disagree on `what` (e.g. "env id"): ConfigError naming
  // the first rank whose `value` differs from rank 0's, and both values.
  void RequireSame(const std::string& what, const std::string& value);
  // Waits until every rank has arrived here, at most timeout_s (0: the group's timeout); a rank that died
  // fails it at once (its connections close), one that is slow only after the timeout.
  void Barrier(double timeout_s = 0);
  // A fingerprint of tensors' bytes (hex): equal on two ranks only if the tensors are bit-identical.
  static std::string Fingerprint(const std::vector<torch::Tensor>& tensors);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s2r::rl
