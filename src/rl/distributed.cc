#include "rl/distributed.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace s2r::rl {

namespace {

// The integer value of environment variable `name`, or `fallback` when it is unset or empty.
int IntFromEnvironment(const char* name, int fallback, int low, int high) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == 0) return fallback;
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != 0 || x < low || x > high)
    throw ConfigError(std::string("environment variable ") + name + "='" + v + "': expected an integer in [" +
                      std::to_string(low) + ", " + std::to_string(high) + "]");
  return static_cast<int>(x);
}

}  // namespace

void ValidateDistConfig(const DistConfig& c, const std::string& source) {
  if (c.world_size < 1) throw ConfigError(source + " WORLD_SIZE: expected at least 1");
  if (c.rank < 0 || c.rank >= c.world_size)
    throw ConfigError(source + " RANK=" + std::to_string(c.rank) +
                      ": expected a rank in [0, WORLD_SIZE=" + std::to_string(c.world_size) + ")");
  if (c.local_rank < 0) throw ConfigError(source + " LOCAL_RANK: expected a non-negative integer");
  if (c.enabled() && c.master_addr.empty()) throw ConfigError(source + " MASTER_ADDR: expected a host name");
  if (c.master_port < 1 || c.master_port > 65535)
    throw ConfigError(source + " MASTER_PORT=" + std::to_string(c.master_port) +
                      ": expected a port in [1, 65535]");
  if (!(c.timeout_s > 0)) throw ConfigError(source + " timeout: expected a positive number of seconds");
}

DistConfig DistConfigFromEnvironment() {
  DistConfig c;
  c.world_size = IntFromEnvironment("WORLD_SIZE", 1, 1, 1 << 20);
  c.rank = IntFromEnvironment("RANK", 0, 0, 1 << 20);
  c.local_rank = IntFromEnvironment("LOCAL_RANK", 0, 0, 1 << 20);
  if (const char* a = std::getenv("MASTER_ADDR"); a != nullptr && *a != 0) c.master_addr = a;
  c.master_port = IntFromEnvironment("MASTER_PORT", c.master_port, 1, 65535);
  ValidateDistConfig(c, "torchrun environment:");
  return c;
}

}  // namespace s2r::rl
