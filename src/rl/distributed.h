// Data-parallel training's settings, as torchrun passes them: the world size, this process's rank, and the
// rendezvous address. No torch here (the launcher and the command line read it); rl/dist_group.h is the
// process group itself.
#pragma once

#include <string>

namespace s2r::rl {

struct DistConfig {
  int world_size = 1;                     // processes in the job (all machines)
  int rank = 0;                           // this process, in [0, world_size); rank 0 writes the run folder
  int local_rank = 0;                     // this process on its machine
  std::string master_addr = "127.0.0.1";  // where rank 0 serves the rendezvous store (TCPStore)
  int master_port = 29500;                // TCP port of that store
  double timeout_s = 60;                  // a rank that does not answer a collective within this long is lost
  bool enabled() const { return world_size > 1; }
};

// torchrun's variables: WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (each optional; absent means
// the single-process default, and RANK/LOCAL_RANK default to 0). Throws ConfigError naming the variable and
// what was expected for a value that is not a number, out of range, or inconsistent (RANK >= WORLD_SIZE).
DistConfig DistConfigFromEnvironment();

// Checks a config from any source; throws ConfigError naming `source`'s key.
void ValidateDistConfig(const DistConfig& c, const std::string& source);

}  // namespace s2r::rl
