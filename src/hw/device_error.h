// The base of the hardware errors that carry a device path and an errno (SerialError, I2cError), so the
// program decides once how a device error ends: a device that is not there is bad input (exit 2), any other
// failure is a failure (exit 1).
#pragma once

#include <cerrno>
#include <string>
#include <utility>

#include "core/error.h"

namespace s2r::hw {

class DeviceError : public IoError {
 public:
  DeviceError(std::string device, const std::string& message, int err)
      : IoError(message), device_(std::move(device)), errno_(err) {}
  const std::string& device() const { return device_; }
  int error_code() const { return errno_; }  // errno, 0 if none
  // The path names nothing (or goes through something that is not a folder).
  bool missing() const { return errno_ == ENOENT || errno_ == ENOTDIR; }

 private:
  std::string device_;
  int errno_;
};

}  // namespace s2r::hw
