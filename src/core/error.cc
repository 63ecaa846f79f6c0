#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace s2r::internal {

void CheckFailed(const char* cond, const char* file, int line, const std::string& msg) {
  std::fprintf(stderr, "sim2real internal error: check failed: %s at %s:%d %s\n", cond, file, line,
               msg.c_str());
  std::abort();
}

}  // namespace s2r::internal
