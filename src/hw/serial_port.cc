#include "hw/serial_port.h"

// termios2 / BOTHER come from the kernel headers; <termios.h> (glibc) must not be included with them.
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace s2r::hw {

namespace {

std::string ErrnoText(int err) { return err ? std::string(": ") + std::strerror(err) : std::string(); }

}  // namespace

SerialError::SerialError(const std::string& port, const std::string& what, int err)
    : DeviceError(
          port,
          "serial port " + port + ": " + what + ErrnoText(err) +
              (err == ENOENT || err == ENOTDIR ? "; `sim2real find-port` lists the serial ports" : ""),
          err) {}

namespace tty {

void ConfigureRaw(int fd, int baud, const std::string& name) {
  if (baud <= 0 || baud > 4000000) throw SerialError(name, "unsupported baud " + std::to_string(baud));
  struct termios2 t {};
  if (ioctl(fd, TCGETS2, &t) != 0) throw SerialError(name, "TCGETS2 failed (not a tty?)", errno);
  t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY | INPCK);
  t.c_oflag &= ~OPOST;
  t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS | CBAUD | (CBAUD << IBSHIFT));
  t.c_cflag |= CS8 | CLOCAL | CREAD | BOTHER | (BOTHER << IBSHIFT);
  t.c_ispeed = static_cast<speed_t>(baud);
  t.c_ospeed = static_cast<speed_t>(baud);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  if (ioctl(fd, TCSETS2, &t) != 0) {
    throw SerialError(name, "cannot set baud " + std::to_string(baud) + " (TCSETS2)", errno);
  }
  const int actual = GetBaud(fd);
  if (actual <= 0 || std::abs(actual - baud) > baud / 50) {
    throw SerialError(name, "driver runs at " + std::to_string(actual) + " baud when " +
                                std::to_string(baud) + " was asked (rate not supported by this adapter)");
  }
}

int GetBaud(int fd) {
  struct termios2 t {};
  if (ioctl(fd, TCGETS2, &t) != 0) return 0;
  return static_cast<int>(t.c_ospeed);
}

}  // namespace tty

SerialPort::SerialPort(std::string path, int baud) : path_(std::move(path)), baud_(baud) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw SerialError(path_, "cannot open", errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    Close();
    throw SerialError(path_, "is in use by another program or bus (flock)", err);
  }
  try {
    tty::ConfigureRaw(fd_, baud, path_);
    FlushInput();
  } catch (...) {
    Close();
    throw;
  }
}

SerialPort::~SerialPort() { Close(); }

SerialPort::SerialPort(SerialPort&& other) noexcept
    : path_(std::move(other.path_)), baud_(other.baud_), fd_(std::exchange(other.fd_, -1)) {}

SerialPort& SerialPort::operator=(SerialPort&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    baud_ = other.baud_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void SerialPort::Close() noexcept {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

void SerialPort::SetBaud(int baud) {
  if (fd_ < 0) throw SerialError(path_, "is closed");
  tty::ConfigureRaw(fd_, baud, path_);
  baud_ = baud;
}

void SerialPort::Write(std::span<const uint8_t> bytes) {
  if (fd_ < 0) throw SerialError(path_, "is closed");
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) throw SerialError(path_, "write failed", errno);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      throw SerialError(path_, "write timed out after 1 s (" + std::to_string(done) + " of " +
                                   std::to_string(bytes.size()) + " bytes sent)");
    }
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left));
  }
}

bool SerialPort::WaitReadable(Clock::time_point deadline) {
  while (true) {
    const auto now = Clock::now();
    int timeout_ms = 0;
    if (deadline > now) {
      // Round up so a sub-millisecond remainder still waits.
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
      timeout_ms = static_cast<int>(std::min<int64_t>((us + 999) / 1000, 1 << 30));
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw SerialError(path_, "poll failed", errno);
    }
    if (r == 0) return false;
    if (p.revents & POLLIN) return true;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
      throw SerialError(path_, "device hung up or failed (unplugged?)");
    }
    if (Clock::now() >= deadline) return false;
  }
}

size_t SerialPort::ReadSome(std::span<uint8_t> buf, std::chrono::microseconds timeout) {
  if (fd_ < 0) throw SerialError(path_, "is closed");
  if (buf.empty()) return 0;
  if (!WaitReadable(Clock::now() + timeout)) return 0;
  while (true) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) throw SerialError(path_, "end of file (device gone?)");
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    throw SerialError(path_, "read failed", errno);
  }
}

size_t SerialPort::ReadUntil(std::span<uint8_t> buf, Clock::time_point deadline) {
  size_t got = 0;
  while (got < buf.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    const size_t n = ReadSome(buf.subspan(got), std::max(left, std::chrono::microseconds(0)));
    got += n;
    if (n == 0 && Clock::now() >= deadline) break;
  }
  return got;
}

void SerialPort::FlushInput() {
  if (fd_ >= 0 && ioctl(fd_, TCFLSH, TCIFLUSH) != 0) throw SerialError(path_, "flush failed", errno);
}

void SerialPort::FlushOutput() {
  if (fd_ >= 0 && ioctl(fd_, TCFLSH, TCOFLUSH) != 0) throw SerialError(path_, "flush failed", errno);
}

void SerialPort::Drain() {
  if (fd_ >= 0 && ioctl(fd_, TCSBRK, 1) != 0) throw SerialError(path_, "drain failed", errno);
}

}  // namespace s2r::hw
