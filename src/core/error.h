// Error types and internal invariant checks shared by every module.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace s2r {

// Bad user input: a config key, file, flag or argument. The message names the key/file/flag and what
// was expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure at an I/O boundary (file, device) that the user can act on.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A long job stopped on request (Ctrl+C, SIGTERM) after winding down; the message says where to resume.
// main() exits 130, as a shell reports SIGINT.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line, const std::string& msg);
}  // namespace internal

}  // namespace s2r

// Internal invariant: aborts with the location. Not for user input (throw ConfigError instead).
#define S2R_CHECK(cond, ...)                                                        \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::ostringstream s2r_check_os_;                                             \
      s2r_check_os_ << "" __VA_ARGS__;                                              \
      ::s2r::internal::CheckFailed(#cond, __FILE__, __LINE__, s2r_check_os_.str()); \
    }                                                                               \
  } while (0)
