// A POSIX serial port for half-duplex servo buses: raw 8N1, no flow control, any baud rate through
// termios2/BOTHER (so 128000, 250000 and 14400 work as well as the standard rates; a driver that cannot run a
// rate is reported, not silently rounded), reads with a timeout (poll), flushes. The port is locked with
// flock(LOCK_EX) while open, so a second program (or a second SerialPort) cannot drive the same bus.
// Linux only (termios2). Errors are SerialError naming the port.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "hw/device_error.h"

namespace s2r::hw {

// A port that does not exist says so and points to `sim2real find-port`.
class SerialError : public DeviceError {
 public:
  SerialError(const std::string& port, const std::string& what, int err = 0);
  const std::string& port() const { return device(); }
};

class SerialPort {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens `path` (e.g. /dev/ttyACM0) raw 8N1 at `baud`. Throws SerialError if it cannot be opened, is
  // locked by another user, or the driver refuses the rate.
  SerialPort(std::string path, int baud);
  ~SerialPort();
  SerialPort(SerialPort&& other) noexcept;
  SerialPort& operator=(SerialPort&& other) noexcept;
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  const std::string& path() const { return path_; }
  int baud() const { return baud_; }
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Time to send one byte (10 bits), ms: 10000 / baud, as the scservo SDK computes it.
  double byte_time_ms() const { return 10000.0 / baud_; }

  void SetBaud(int baud);

  // Writes every byte (waits at most 1 s for the driver to accept them); throws SerialError otherwise.
  void Write(std::span<const uint8_t> bytes);
  // Waits up to `timeout` for at least one byte, then returns what is available (up to buf.size());
  // 0 on timeout.
  size_t ReadSome(std::span<uint8_t> buf, std::chrono::microseconds timeout);
  // Reads until buf is full or `deadline` passes; returns the number of bytes read.
  size_t ReadUntil(std::span<uint8_t> buf, Clock::time_point deadline);
  // Discards received bytes not yet read / bytes not yet sent.
  void FlushInput();
  void FlushOutput();
  // Waits until every written byte has left the driver.
  void Drain();
  void Close() noexcept;

 private:
  // Waits for POLLIN until deadline; false on timeout. Throws on hang-up/error.
  bool WaitReadable(Clock::time_point deadline);

  std::string path_;
  int baud_ = 0;
  int fd_ = -1;
};

// Low-level tty helpers (also used by the PTY emulator). `name` appears in error messages.
namespace tty {
// Raw 8N1, no flow control, CLOCAL|CREAD, VMIN=0/VTIME=0, input and output at `baud` (termios2 BOTHER).
// Throws SerialError if the driver refuses or reports a rate more than 2% away.
void ConfigureRaw(int fd, int baud, const std::string& name);
// The output baud currently set on the tty (for a PTY master: the slave's setting); 0 if unknown.
int GetBaud(int fd);
}  // namespace tty

}  // namespace s2r::hw
