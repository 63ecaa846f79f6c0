#define FUSE_USE_VERSION 35
#include "hw/virtual/pca9685_fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/i2c-dev.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace s2r::hw {

struct Pca9685FuseDevice::Impl {
  std::string path;
  VirtualPca9685Options options;
  mutable std::mutex mu;
  Pca9685Model model;
  std::map<uint64_t, int> address_of_fh;  // per open file: the I2C_SLAVE address (-1: none yet)
  uint64_t next_fh = 1;
  std::vector<MotorSample> history;
  int transactions = 0, nacks = 0;

  fuse_session* session = nullptr;
  int wake_fd = -1;  // eventfd that ends the serving loop
  std::thread thread;
  bool stopped = false;

  // Under mu: the address an open file selected, or an errno for the transfer.
  int TargetErrno(uint64_t fh) {
    const auto it = address_of_fh.find(fh);
    if (it == address_of_fh.end() || it->second != options.address) {
      ++nacks;
      return EIO;
    }
    ++transactions;
    return 0;
  }
  void RecordOutputs() {  // under mu
    const MotorSample s{model.Motor(options.board, options.left_motor),
                        model.Motor(options.board, options.right_motor)};
    auto same = [](const MotorOutput& a, const MotorOutput& b) {
      return a.value == b.value && a.released == b.released;
    };
    if (history.empty() || !same(history.back().left, s.left) || !same(history.back().right, s.right))
      history.push_back(s);
  }
  void Serve();
};

namespace {

using Impl = Pca9685FuseDevice::Impl;
Impl* Self(fuse_req_t req) { return static_cast<Impl*>(fuse_req_userdata(req)); }

void FillStat(struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_ino = FUSE_ROOT_ID;
  st->st_mode = S_IFREG | 0660;  // the root of a file mount is the file itself
  st->st_nlink = 1;
  st->st_uid = getuid();
  st->st_gid = getgid();
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  if (ino != FUSE_ROOT_ID) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  struct stat st;
  FillStat(&st);
  fuse_reply_attr(req, &st, 0.0);
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int, fuse_file_info* fi) {
  OpGetattr(req, ino, fi);  // O_TRUNC and chmod are accepted and change nothing, as on a device node
}

void OpOpen(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Impl* self = Self(req);
  {
    std::lock_guard<std::mutex> lock(self->mu);
    fi->fh = self->next_fh++;
    self->address_of_fh[fi->fh] = -1;
  }
  fi->direct_io = 1;    // every read()/write() reaches us with its exact size: no page cache
  fi->nonseekable = 1;  // i2c-dev ignores the file position too
  fuse_reply_open(req, fi);
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Impl* self = Self(req);
  {
    std::lock_guard<std::mutex> lock(self->mu);
    self->address_of_fh.erase(fi->fh);
  }
  fuse_reply_err(req, 0);
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t, fuse_file_info* fi) {
  Impl* self = Self(req);
  std::vector<uint8_t> buf(size);
  {
    std::lock_guard<std::mutex> lock(self->mu);
    if (const int err = self->TargetErrno(fi->fh)) {
      fuse_reply_err(req, err);
      return;
    }
    self->model.Read(buf);
  }
  fuse_reply_buf(req, reinterpret_cast<const char*>(buf.data()), buf.size());
}

void OpWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t, fuse_file_info* fi) {
  Impl* self = Self(req);
  {
    std::lock_guard<std::mutex> lock(self->mu);
    if (const int err = self->TargetErrno(fi->fh)) {
      fuse_reply_err(req, err);
      return;
    }
    self->model.Write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), size));
    self->RecordOutputs();
  }
  fuse_reply_write(req, size);
}

// Restricted FUSE ioctl: for a command that encodes no size (I2C_SLAVE, I2C_SLAVE_FORCE) the caller's
// argument arrives as the pointer value `arg`; commands that pass pointers (I2C_RDWR, I2C_SMBUS) cannot
// be served this way and get ENOTTY, as i2c-dev gives for unknown commands.
void OpIoctl(fuse_req_t req, fuse_ino_t, unsigned int cmd, void* arg, fuse_file_info* fi, unsigned flags,
             const void*, size_t, size_t) {
  Impl* self = Self(req);
  if (cmd != I2C_SLAVE && cmd != I2C_SLAVE_FORCE) {
    fuse_reply_err(req, ENOTTY);
    return;
  }
  const auto address = reinterpret_cast<uintptr_t>(arg);
  if (address > 0x7F) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(self->mu);
    self->address_of_fh[fi->fh] = static_cast<int>(address);
  }
  fuse_reply_ioctl(req, 0, nullptr, 0);
}

const fuse_lowlevel_ops kOps = [] {
  fuse_lowlevel_ops ops{};
  ops.getattr = OpGetattr;
  ops.setattr = OpSetattr;
  ops.open = OpOpen;
  ops.release = OpRelease;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.ioctl = OpIoctl;
  return ops;
}();

}  // namespace

// The session loop, with an eventfd beside /dev/fuse so Stop() ends it without a request in flight.
void Impl::Serve() {
  fuse_buf buf{};
  pollfd fds[2] = {{fuse_session_fd(session), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  while (!fuse_session_exited(session)) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) break;  // the connection is gone (unmounted)
    const int n = fuse_session_receive_buf(session, &buf);
    if (n == -EINTR || n == -EAGAIN) continue;
    if (n <= 0) break;
    fuse_session_process_buf(session, &buf);
  }
  std::free(buf.mem);
}

Pca9685FuseDevice::Pca9685FuseDevice(std::string path, VirtualPca9685Options options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->options = options;
  const std::string& p = impl_->path;
  if (::access(p.c_str(), F_OK) != 0) {
    const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
      throw IoError("virtual i2c " + p + ": cannot create the mount point: " + std::strerror(errno));
    ::close(fd);
  }
  char arg0[] = "sim2real-virtual-i2c";
  char* argv[] = {arg0};
  fuse_args args = FUSE_ARGS_INIT(1, argv);
  impl_->session = fuse_session_new(&args, &kOps, sizeof kOps, impl_.get());
  if (impl_->session == nullptr) throw IoError("virtual i2c " + p + ": fuse_session_new failed");
  if (fuse_session_mount(impl_->session, p.c_str()) != 0) {
    fuse_session_destroy(impl_->session);
    impl_->session = nullptr;
    throw IoError("virtual i2c " + p + ": cannot mount FUSE over it (needs root and /dev/fuse)");
  }
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC);
  impl_->thread = std::thread([impl = impl_.get()] { impl->Serve(); });
}

Pca9685FuseDevice::~Pca9685FuseDevice() { Stop(); }

void Pca9685FuseDevice::Stop() noexcept {
  Impl& s = *impl_;
  if (s.stopped || s.session == nullptr) return;
  s.stopped = true;
  const uint64_t one = 1;
  if (::write(s.wake_fd, &one, sizeof one) < 0) {
  }
  if (s.thread.joinable()) s.thread.join();
  // Closes /dev/fuse (aborting the connection: open files fail with ENOTCONN) and lazily unmounts.
  fuse_session_unmount(s.session);
  fuse_session_destroy(s.session);
  s.session = nullptr;
  ::close(s.wake_fd);
  s.wake_fd = -1;
}

const std::string& Pca9685FuseDevice::path() const { return impl_->path; }

MotorOutput Pca9685FuseDevice::left() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->model.Motor(impl_->options.board, impl_->options.left_motor);
}

MotorOutput Pca9685FuseDevice::right() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->model.Motor(impl_->options.board, impl_->options.right_motor);
}

std::vector<MotorSample> Pca9685FuseDevice::history() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->history;
}

Pca9685Model Pca9685FuseDevice::registers() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->model;
}

int Pca9685FuseDevice::transactions() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->transactions;
}

int Pca9685FuseDevice::nacks() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->nacks;
}

}  // namespace s2r::hw
