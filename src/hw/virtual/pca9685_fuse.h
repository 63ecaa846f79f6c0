// A virtual /dev/i2c-N with a PCA9685 motor board behind it, as a real file: a single-file FUSE filesystem
// (libfuse3, low-level API) mounted over a regular file at `path`, served by a thread of the owning process.
// A client opens the file read-write, selects the chip with ioctl(fd, I2C_SLAVE, addr) (0x0703 encodes no
// size, so FUSE passes the address as the ioctl's arg value) and does one write()/read() per transaction,
// exactly as on i2c-dev. Transactions to `address` drive a Pca9685Model; any other address fails with EIO
// (a NACK), as does a transfer before I2C_SLAVE. The owner reads the decoded motor outputs.
// Needs root (or fusermount3 rights) and /dev/fuse. The destructor unmounts on every exit path; a crashed
// owner leaves a dead mount that `umount -l PATH` removes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hw/jetbot_motors.h"
#include "hw/virtual/pca9685_model.h"

namespace s2r::hw {

struct VirtualPca9685Options {
  MotorBoard board = MotorBoard::kAdafruitMotorHat;
  int address = 0x60;
  int left_motor = 1, right_motor = 2;  // the motors reported as left/right
};

// The outputs after one write transaction that changed them.
struct MotorSample {
  MotorOutput left, right;
};

class Pca9685FuseDevice {
 public:
  // Creates `path` as an empty file if missing, mounts over it and starts serving. Throws IoError naming
  // the path when FUSE is unavailable (no /dev/fuse, not root, libfuse refused).
  Pca9685FuseDevice(std::string path, VirtualPca9685Options options = {});
  ~Pca9685FuseDevice();  // Stop()
  Pca9685FuseDevice(const Pca9685FuseDevice&) = delete;
  Pca9685FuseDevice& operator=(const Pca9685FuseDevice&) = delete;

  const std::string& path() const;
  MotorOutput left() const;
  MotorOutput right() const;
  std::vector<MotorSample> history() const;  // every change of the decoded outputs, oldest first
  Pca9685Model registers() const;            // a copy of the register file
  int transactions() const;                  // reads and writes at the chip's address
  int nacks() const;                         // transfers refused with EIO (wrong or no address)
  // Stops serving (open files then fail with ENOTCONN) and removes the mount. Idempotent, never throws.
  void Stop() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace s2r::hw
