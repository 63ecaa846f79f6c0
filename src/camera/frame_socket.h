// Socket and byte-order helpers shared by FrameServer and VirtualCamera (private to src/camera).
#pragma once

#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace s2r::camera::internal {

// The address of a Unix socket at `path`; throws IoError naming it when it is empty or longer than
// sizeof(sun_path) - 1 = 107 bytes.
sockaddr_un UnixAddress(const std::string& path);

// Writes/reads exactly `size` bytes (retrying on EINTR, never raising SIGPIPE). False on error,
// timeout (SO_SNDTIMEO / SO_RCVTIMEO) or, for RecvAll, end of stream; *why then says which.
bool SendAll(int fd, const void* data, size_t size, std::string* why);
bool RecvAll(int fd, void* data, size_t size, std::string* why);

// Sets SO_RCVTIMEO and SO_SNDTIMEO of `fd` to `seconds`.
void SetTimeouts(int fd, double seconds);

// Little-endian fields.
inline void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void PutU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void PutF64(uint8_t* p, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  PutU64(p, bits);
}
inline uint32_t GetU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
inline uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
inline double GetF64(const uint8_t* p) {
  const uint64_t bits = GetU64(p);
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

}  // namespace s2r::camera::internal
