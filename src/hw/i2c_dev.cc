#include "hw/i2c_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <utility>

namespace s2r::hw {

namespace {

// errno values an adapter reports when nobody acknowledged the address (or a byte).
bool IsNack(int err) { return err == EIO || err == ENXIO || err == EREMOTEIO; }

std::string Message(const std::string& device, int address, const std::string& what, int err) {
  std::string m = "i2c device " + device;
  if (address >= 0) m += ", address " + HexAddress(address);
  m += ": " + what;
  if (err) m += std::string(": ") + std::strerror(err);
  const std::string hint = "`i2cdetect -y " + std::to_string(BusNumberOf(device)) + "`";
  if (err == ENOENT)
    m += " (is the i2c bus enabled? `ls /dev/i2c-*` lists the buses)";
  else if (err == EACCES || err == EPERM)
    m += " (run as root or add yourself to the i2c group)";
  else if (address >= 0 && IsNack(err))
    m +=
        " (no device acknowledged " + HexAddress(address) + "? " + hint + " lists the addresses that answer)";
  else if (address >= 0)
    m += " (" + hint + " lists the addresses that answer)";
  return m;
}

}  // namespace

I2cError::I2cError(const std::string& device, int address, const std::string& what, int err)
    : DeviceError(device, Message(device, address, what, err), err), address_(address) {}

std::string HexAddress(int address) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x", address);
  return buf;
}

int ParseI2cAddress(const std::string& text, const std::string& flag) {
  size_t used = 0;
  int address = -1;
  try {
    address = std::stoi(text, &used, 0);  // 0x60 or 96
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || address < 0x03 || address > 0x77)
    throw ConfigError(flag + ": expected a 7-bit I2C address 0x03..0x77 (e.g. 0x60), got '" + text + "'");
  return address;
}

int BusNumberOf(const std::string& device) {
  static const std::regex re(".*i2c-([0-9]+)$");
  std::smatch m;
  if (std::regex_match(device, m, re)) return std::stoi(m[1]);
  return 1;
}

I2cDev::I2cDev(std::string device, I2cDevOptions options) : device_(std::move(device)), options_(options) {
  if (options_.attempts < 1) options_.attempts = 1;
  fd_ = ::open(device_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) throw I2cError(device_, -1, "cannot open", errno);
}

I2cDev::~I2cDev() { Close(); }

I2cDev::I2cDev(I2cDev&& other) noexcept
    : device_(std::move(other.device_)),
      options_(other.options_),
      fd_(std::exchange(other.fd_, -1)),
      address_(other.address_) {}

I2cDev& I2cDev::operator=(I2cDev&& other) noexcept {
  if (this != &other) {
    Close();
    device_ = std::move(other.device_);
    options_ = other.options_;
    fd_ = std::exchange(other.fd_, -1);
    address_ = other.address_;
  }
  return *this;
}

void I2cDev::Close() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void I2cDev::SetAddress(int address) {
  if (address < 0x03 || address > 0x77)
    throw I2cError(device_, address, "not a 7-bit device address (0x03..0x77)");
  if (fd_ < 0) throw I2cError(device_, address, "is closed");
  // I2C_SLAVE carries the address in the argument itself (the ioctl number encodes no size).
  if (::ioctl(fd_, I2C_SLAVE, static_cast<unsigned long>(address)) != 0) {
    const int err = errno;
    throw I2cError(
        device_, address,
        err == EBUSY ? "address claimed by a kernel driver (I2C_SLAVE)" : "ioctl(I2C_SLAVE) failed", err);
  }
  address_ = address;
}

template <typename Io>
void I2cDev::Transfer(const char* what, size_t size, Io io) {
  if (fd_ < 0) throw I2cError(device_, address_, "is closed");
  int err = 0;
  for (int attempt = 0; attempt < options_.attempts; ++attempt) {
    const ssize_t n = io();
    if (n == static_cast<ssize_t>(size)) return;
    err = n < 0 ? errno : EIO;  // a short transfer is a NACK mid-transfer
    if (err == EINTR) continue;
    if (!IsNack(err) && err != EAGAIN && err != ETIMEDOUT) break;  // not transient
  }
  throw I2cError(device_, address_, std::string(what) + " of " + std::to_string(size) + " bytes failed", err);
}

void I2cDev::Write(std::span<const uint8_t> bytes) {
  Transfer("write", bytes.size(), [&] { return ::write(fd_, bytes.data(), bytes.size()); });
}

void I2cDev::Read(std::span<uint8_t> bytes) {
  Transfer("read", bytes.size(), [&] { return ::read(fd_, bytes.data(), bytes.size()); });
}

}  // namespace s2r::hw
