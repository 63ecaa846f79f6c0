// Linux i2c-dev access (/dev/i2c-N): open the character device, pick the target with ioctl(I2C_SLAVE, addr),
// then one plain write()/read() per I2C transaction. No SMBus or I2C_RDWR ioctls, so the same code drives a
// real adapter and a FUSE file that emulates one (hw/virtual/pca9685_fuse.h). Errors are I2cError naming
// the device path and the 7-bit address in hex, with a hint to run `i2cdetect -y N`.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "hw/device_error.h"

namespace s2r::hw {

class I2cError : public DeviceError {
 public:
  // address < 0: no address involved (opening the device).
  I2cError(const std::string& device, int address, const std::string& what, int err = 0);
  int address() const { return address_; }

 private:
  int address_;
};

// "0x60" for 0x60: how addresses appear in messages and flags.
std::string HexAddress(int address);
// A 7-bit address as typed on the command line ("0x60" or "96"); ConfigError naming `flag` for anything
// else or outside 0x03..0x77.
int ParseI2cAddress(const std::string& text, const std::string& flag);
// The bus number for the `i2cdetect -y N` hint: N of a path ending in "i2c-N", else 1.
int BusNumberOf(const std::string& device);

// One I2C master: SetAddress picks the 7-bit target, Write/Read are one transaction each (START, address,
// bytes, STOP). Implemented by I2cDev and by the tests' recording fake.
class I2cBus {
 public:
  virtual ~I2cBus() = default;
  virtual void SetAddress(int address) = 0;                // 0x03..0x77
  virtual void Write(std::span<const uint8_t> bytes) = 0;  // throws I2cError (no ACK, ...)
  virtual void Read(std::span<uint8_t> bytes) = 0;         // fills all of `bytes` or throws
  virtual const std::string& device() const = 0;           // for messages
};

struct I2cDevOptions {
  int attempts = 3;  // tries per transaction before a NACK or I/O error is thrown (bounded retries)
};

// /dev/i2c-N through the kernel's i2c-dev interface. Move-only; closes the descriptor on destruction.
class I2cDev final : public I2cBus {
 public:
  // Opens `device` read-write. Throws I2cError (missing device: ENOENT, permission: EACCES, ...).
  explicit I2cDev(std::string device, I2cDevOptions options = {});
  ~I2cDev() override;
  I2cDev(I2cDev&& other) noexcept;
  I2cDev& operator=(I2cDev&& other) noexcept;
  I2cDev(const I2cDev&) = delete;
  I2cDev& operator=(const I2cDev&) = delete;

  void SetAddress(int address) override;
  void Write(std::span<const uint8_t> bytes) override;
  void Read(std::span<uint8_t> bytes) override;
  const std::string& device() const override { return device_; }
  int address() const { return address_; }
  void Close() noexcept;

 private:
  // One transaction of `size` bytes through `io` (a write() or read() on fd_), with the bounded retries of
  // transient errors; `what` names it in the error ("write", "read").
  template <typename Io>
  void Transfer(const char* what, size_t size, Io io);

  std::string device_;
  I2cDevOptions options_;
  int fd_ = -1;
  int address_ = -1;
};

}  // namespace s2r::hw
