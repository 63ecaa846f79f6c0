#include "hw/virtual/servo_bus_emulator.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>

#include "core/error.h"
#include "hw/serial_port.h"

namespace s2r::hw::feetech {

namespace {

constexpr int kInterByteTimeoutMs = 20;  // a partial packet is dropped after this much silence

bool IsPersistent(int address) {
  return address < kEepromEnd || (address >= kFactoryAreaBegin && address < kFactoryAreaEnd);
}
bool IsReadOnly(int address) { return address <= 4 || (address >= 56 && address < kFactoryAreaBegin); }

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// FirstOrderMotionModel

FirstOrderMotionModel::FirstOrderMotionModel(std::vector<double> initial_positions, Params params)
    : params_(params) {
  for (double p : initial_positions) servos_.push_back(Servo{p, 0, 0, false});
}

FirstOrderMotionModel::Servo& FirstOrderMotionModel::Get(int index) {
  if (index < 0) throw std::invalid_argument("FirstOrderMotionModel: negative servo index");
  if (static_cast<size_t>(index) >= servos_.size()) servos_.resize(index + 1);
  return servos_[index];
}

ServoState FirstOrderMotionModel::Advance(int index, const ServoDrive& drive, double now_s) {
  std::lock_guard lock(mu_);
  Servo& s = Get(index);
  const double dt = s.started ? std::max(0.0, now_s - s.last_t) : 0.0;
  s.started = true;
  s.last_t = now_s;
  const double before = s.position;
  if (drive.torque_enabled) {
    double vmax = params_.max_speed;
    if (drive.goal_velocity > 0) vmax = std::min(vmax, static_cast<double>(drive.goal_velocity));
    const double e = drive.goal - s.position;
    const double sign = e < 0 ? -1.0 : 1.0;
    if (std::isinf(vmax)) {
      s.position = drive.goal;
    } else if (params_.time_constant_s <= 0) {
      s.position += sign * std::min(std::abs(e), vmax * dt);
    } else {
      const double tau = params_.time_constant_s;
      const double band = vmax * tau;  // inside this error the approach is exponential
      const double t_linear = std::abs(e) > band ? (std::abs(e) - band) / vmax : 0.0;
      if (dt <= t_linear) {
        s.position += sign * vmax * dt;
      } else {
        const double e_band = sign * std::min(std::abs(e), band);
        s.position = drive.goal - e_band * std::exp(-(dt - t_linear) / tau);
      }
    }
  }
  if (dt > 0) s.velocity = (s.position - before) / dt;
  if (!drive.torque_enabled) s.velocity = 0;
  ServoState out;
  out.position = s.position;
  out.velocity = s.velocity;
  return out;
}

void FirstOrderMotionModel::SetPosition(int index, double ticks) {
  std::lock_guard lock(mu_);
  Get(index).position = ticks;
}

double FirstOrderMotionModel::Position(int index) const {
  std::lock_guard lock(mu_);
  if (index < 0 || static_cast<size_t>(index) >= servos_.size()) return 2048;
  return servos_[index].position;
}

// ---------------------------------------------------------------------------------------------
// ServoBusEmulator: setup

ServoBusEmulator::ServoBusEmulator(EmulatorOptions options) : options_(std::move(options)) {
  if (options_.servos.empty()) throw std::invalid_argument("ServoBusEmulator: no servos");
  for (const EmulatedServo& s : options_.servos) {
    if (s.id < 0 || s.id > kMaxId) {
      throw std::invalid_argument("ServoBusEmulator: servo id " + std::to_string(s.id) + " outside 0..252");
    }
    if (!BaudFromCode(s.baud_code)) {
      throw std::invalid_argument("ServoBusEmulator: baud code " + std::to_string(s.baud_code) +
                                  " outside 0..7 (servo id " + std::to_string(s.id) + ")");
    }
  }
  if (!options_.motion) {
    std::vector<double> init;
    for (const EmulatedServo& s : options_.servos) init.push_back(s.initial_position);
    options_.motion = std::make_shared<FirstOrderMotionModel>(init);
  }
  t0_ = std::chrono::steady_clock::now();

  master_fd_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd_ < 0) throw IoError(Errno("ServoBusEmulator: posix_openpt"));
  auto fail = [&](const std::string& what) {
    const std::string msg = Errno(what);
    if (slave_fd_ >= 0) ::close(slave_fd_);
    ::close(master_fd_);
    throw IoError(msg);
  };
  if (grantpt(master_fd_) != 0) fail("ServoBusEmulator: grantpt");
  if (unlockpt(master_fd_) != 0) fail("ServoBusEmulator: unlockpt");
  char name[128];
  if (ptsname_r(master_fd_, name, sizeof(name)) != 0) fail("ServoBusEmulator: ptsname_r");
  slave_path_ = name;
  slave_fd_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd_ < 0) fail("ServoBusEmulator: open " + slave_path_);
  // Raw from the start, so nothing the servos send is echoed or translated before the host configures it.
  try {
    tty::ConfigureRaw(slave_fd_, kDefaultBaud, slave_path_);
  } catch (...) {
    ::close(slave_fd_);
    ::close(master_fd_);
    throw;
  }
  const int flags = fcntl(master_fd_, F_GETFL);
  fcntl(master_fd_, F_SETFL, flags | O_NONBLOCK);

  if (!options_.link_path.empty()) {
    struct stat st;
    if (lstat(options_.link_path.c_str(), &st) == 0) {
      if (!S_ISLNK(st.st_mode)) {
        ::close(slave_fd_);
        ::close(master_fd_);
        throw IoError("ServoBusEmulator: " + options_.link_path + " exists and is not a symlink");
      }
      ::unlink(options_.link_path.c_str());
    }
    if (::symlink(slave_path_.c_str(), options_.link_path.c_str()) != 0) {
      fail("ServoBusEmulator: symlink " + options_.link_path + " -> " + slave_path_);
    }
    link_path_ = options_.link_path;
  }
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) fail("ServoBusEmulator: pipe");

  servos_.resize(options_.servos.size());
  for (size_t i = 0; i < servos_.size(); ++i) {
    Servo& s = servos_[i];
    const EmulatedServo& spec = options_.servos[i];
    s.index = static_cast<int>(i);
    auto& f = s.flash;
    auto put = [&f](Register r, int v) {
      PutLittleEndian(EncodeRegisterValue(r, v), Info(r).size, &f[Info(r).address]);
    };
    put(Register::kFirmwareMajor, spec.firmware_major);
    put(Register::kFirmwareMinor, spec.firmware_minor);
    put(Register::kModelNumber, spec.model_number);
    put(Register::kId, spec.id);
    put(Register::kBaudRate, spec.baud_code);
    put(Register::kReturnDelayTime, 250);
    put(Register::kResponseStatusLevel, 1);
    put(Register::kMinPositionLimit, 0);
    put(Register::kMaxPositionLimit, 4095);
    put(Register::kMaxTemperatureLimit, 70);
    put(Register::kMaxVoltageLimit, 140);
    put(Register::kMinVoltageLimit, 40);
    put(Register::kMaxTorqueLimit, 1000);
    put(Register::kPhase, 0);
    put(Register::kUnloadingCondition, 44);
    put(Register::kLedAlarmCondition, 47);
    put(Register::kPCoefficient, 32);
    put(Register::kDCoefficient, 32);
    put(Register::kICoefficient, 0);
    put(Register::kMinimumStartupForce, 16);
    put(Register::kCwDeadZone, 1);
    put(Register::kCcwDeadZone, 1);
    put(Register::kProtectionCurrent, 500);
    put(Register::kAngularResolution, 1);
    put(Register::kHomingOffset, 0);
    put(Register::kOperatingMode, 0);
    put(Register::kProtectiveTorque, 20);
    put(Register::kProtectionTime, 200);
    put(Register::kOverloadTorque, 80);
    put(Register::kVelocityP, 10);
    put(Register::kOverCurrentProtectionTime, 200);
    put(Register::kVelocityI, 200);
    put(Register::kMaximumAcceleration, 0);
    PowerUp(s);
  }
  thread_ = std::thread([this] { Run(); });
}

ServoBusEmulator::~ServoBusEmulator() {
  stop_ = true;
  if (wake_pipe_[1] >= 0) {
    const char c = 'x';
    (void)!::write(wake_pipe_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  if (!link_path_.empty()) {
    char target[256];
    const ssize_t n = ::readlink(link_path_.c_str(), target, sizeof(target) - 1);
    if (n > 0 && std::string(target, n) == slave_path_) ::unlink(link_path_.c_str());
  }
  for (int fd : {wake_pipe_[0], wake_pipe_[1], slave_fd_, master_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

double ServoBusEmulator::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

int ServoBusEmulator::host_baud() const { return tty::GetBaud(master_fd_); }

// ---------------------------------------------------------------------------------------------
// Registers

int ServoBusEmulator::Get(const Servo& s, Register reg) const {
  const RegisterInfo& info = Info(reg);
  const uint32_t raw = GetLittleEndian(&s.table[info.address], info.size);
  if (info.sign_bit < 0) return static_cast<int>(raw);
  // The servo's own bytes: mask like the firmware instead of throwing.
  const uint32_t mask = (static_cast<uint32_t>(1) << (info.sign_bit + 1)) - 1;
  return DecodeSignMagnitude(raw & mask, info.sign_bit);
}

void ServoBusEmulator::Set(Servo& s, Register reg, int value) {
  const RegisterInfo& info = Info(reg);
  if (info.sign_bit >= 0) {
    const int max = (1 << info.sign_bit) - 1;
    value = std::clamp(value, -max, max);
  }
  PutLittleEndian(EncodeRegisterValue(reg, value), info.size, &s.table[info.address]);
}

void ServoBusEmulator::PowerUp(Servo& s) {
  s.table.fill(0);
  for (int a = 0; a < kControlTableSize; ++a) {
    if (IsPersistent(a)) s.table[a] = s.flash[a];
  }
  Set(s, Register::kTorqueEnable, 0);
  Set(s, Register::kLock, 1);
  Set(s, Register::kTorqueLimit, Get(s, Register::kMaxTorqueLimit));
  s.drive = ServoDrive{};
  s.drive.torque_enabled = false;
  Refresh(s, Now());
  Set(s, Register::kGoalPosition, std::max(0, Get(s, Register::kPresentPosition)));
  UpdateDrive(s);
}

void ServoBusEmulator::Refresh(Servo& s, double now) {
  s.state = options_.motion->Advance(s.index, s.drive, now);
  const int actual = static_cast<int>(std::lround(s.state.position));
  const int offset = Get(s, Register::kHomingOffset);
  int present = actual - offset;
  if (!(Get(s, Register::kPhase) & 0x10)) present = ((present % kResolution) + kResolution) % kResolution;
  Set(s, Register::kPresentPosition, present);
  Set(s, Register::kPresentVelocity, static_cast<int>(std::lround(s.state.velocity)));
  Set(s, Register::kPresentLoad, std::clamp(s.state.load, -1000, 1000));
  Set(s, Register::kPresentVoltage, std::clamp(s.state.voltage, 0, 255));
  Set(s, Register::kPresentTemperature, std::clamp(s.state.temperature, 0, 255));
  Set(s, Register::kPresentCurrent, std::clamp(s.state.current, 0, 65535));
  Set(s, Register::kStatus, s.error_bits | s.state.error_bits);
  const bool moving = s.drive.torque_enabled && std::abs(s.drive.goal - s.state.position) >= 1.0;
  Set(s, Register::kMoving, moving ? 1 : 0);
}

void ServoBusEmulator::UpdateDrive(Servo& s) {
  ServoDrive d;
  d.torque_enabled = Get(s, Register::kTorqueEnable) == 1;
  int goal = Get(s, Register::kGoalPosition);
  const int lo = Get(s, Register::kMinPositionLimit), hi = Get(s, Register::kMaxPositionLimit);
  if (lo <= hi) goal = std::clamp(goal, lo, hi);
  int actual = goal + Get(s, Register::kHomingOffset);
  if (!(Get(s, Register::kPhase) & 0x10)) actual = ((actual % kResolution) + kResolution) % kResolution;
  d.goal = actual;
  d.goal_velocity = std::abs(Get(s, Register::kGoalVelocity));
  d.acceleration = Get(s, Register::kAcceleration);
  d.torque_limit = Get(s, Register::kTorqueLimit);
  d.p_coefficient = Get(s, Register::kPCoefficient);
  s.drive = d;
}

void ServoBusEmulator::ApplyWrite(Servo& s, int address, const uint8_t* data, int length, double now) {
  Refresh(s, now);  // the old drive applies up to now
  const bool locked = Get(s, Register::kLock) != 0;
  const int torque_addr = Info(Register::kTorqueEnable).address;
  for (int i = 0; i < length; ++i) {
    const int a = address + i;
    if (a >= kControlTableSize || IsReadOnly(a)) continue;
    if (a == torque_addr && data[i] > 1) continue;  // 128 (re-centre) and others: not emulated
    if (IsPersistent(a)) {
      if (locked && options_.eeprom_lock == EepromLock::kIgnoreWhileLocked) continue;
      if (!locked) s.flash[a] = data[i];
    }
    s.table[a] = data[i];
  }
  UpdateDrive(s);
}

// ---------------------------------------------------------------------------------------------
// Protocol

ServoBusEmulator::Servo* ServoBusEmulator::Find(int id) {
  for (Servo& s : servos_) {
    if (s.table[Info(Register::kId).address] == id) return &s;
  }
  return nullptr;
}

ServoBusEmulator::Servo& ServoBusEmulator::FindOrThrow(int id) {
  Servo* s = Find(id);
  if (!s) throw std::invalid_argument("ServoBusEmulator: no servo with id " + std::to_string(id));
  return *s;
}

ServoBusEmulator::Reply ServoBusEmulator::MakeReply(Servo& s, std::vector<uint8_t> params) {
  const uint8_t id = s.table[Info(Register::kId).address];
  return Reply{&s, id, MakeStatus(id, static_cast<uint8_t>(s.error_bits | s.state.error_bits), params)};
}

void ServoBusEmulator::HandlePacket(const Packet& p) {
  std::vector<Reply> replies;
  int baud = 0;
  {
    std::lock_guard lock(mu_);
    ++counters_.packets;
    baud = host_baud();
    const double now = Now();
    auto listening = [&](Servo& s) {
      if (!s.connected) return false;
      if (baud > 0 && BaudFromCode(s.table[Info(Register::kBaudRate).address]).value_or(-1) != baud) {
        ++counters_.wrong_baud;
        return false;
      }
      ++s.packets;
      return true;
    };
    auto answers_all = [](const Servo& s) {
      return s.table[Info(Register::kResponseStatusLevel).address] != 0;
    };
    auto addressed = [&](int id) {
      std::vector<Servo*> out;
      for (Servo& s : servos_) {
        if ((id == kBroadcastId || s.table[Info(Register::kId).address] == id) && listening(s)) {
          out.push_back(&s);
        }
      }
      return out;
    };
    // READ and SYNC_READ: the servo's bytes [addr, addr + n) (0 past the table), after refreshing its state.
    auto read_reply = [&](Servo& s, int addr, int n) {
      Refresh(s, now);
      std::vector<uint8_t> data(n, 0);
      for (int i = 0; i < n && addr + i < kControlTableSize; ++i) data[i] = s.table[addr + i];
      return MakeReply(s, std::move(data));
    };
    switch (static_cast<Instruction>(p.code)) {
      case Instruction::kPing:
        for (Servo* s : addressed(p.id)) {
          Refresh(*s, now);
          replies.push_back(MakeReply(*s, {}));
        }
        break;
      case Instruction::kRead: {
        if (p.id == kBroadcastId || p.params.size() != 2) break;
        const int addr = p.params[0], n = p.params[1];
        if (n + kMinPacketBytes > kMaxPacketBytes) break;  // no reply could carry it
        for (Servo* s : addressed(p.id)) replies.push_back(read_reply(*s, addr, n));
        break;
      }
      case Instruction::kWrite: {
        if (p.params.size() < 2) break;
        const int addr = p.params[0];
        for (Servo* s : addressed(p.id)) {
          const uint8_t old_id = s->table[Info(Register::kId).address];  // a new ID applies after the reply
          ApplyWrite(*s, addr, p.params.data() + 1, static_cast<int>(p.params.size()) - 1, now);
          if (p.id != kBroadcastId && answers_all(*s)) {
            replies.push_back(
                Reply{s, old_id,
                      MakeStatus(old_id, static_cast<uint8_t>(s->error_bits | s->state.error_bits), {})});
          }
        }
        break;
      }
      case Instruction::kSyncRead: {
        if (p.id != kBroadcastId || p.params.size() < 3) break;
        const int addr = p.params[0], n = p.params[1];
        if (n + kMinPacketBytes > kMaxPacketBytes) break;
        for (size_t k = 2; k < p.params.size(); ++k) {
          for (Servo* s : addressed(p.params[k])) replies.push_back(read_reply(*s, addr, n));
        }
        break;
      }
      case Instruction::kSyncWrite: {
        if (p.id != kBroadcastId || p.params.size() < 2) break;
        const int addr = p.params[0], n = p.params[1];
        if (n == 0 || (p.params.size() - 2) % (n + 1) != 0) break;  // malformed: ignored
        for (size_t k = 2; k + 1 + n <= p.params.size(); k += n + 1) {
          for (Servo* s : addressed(p.params[k])) ApplyWrite(*s, addr, p.params.data() + k + 1, n, now);
        }
        break;
      }
      default:
        break;  // REG_WRITE, ACTION, unknown: not emulated, no reply
    }
    // Fault injection.
    for (Reply& r : replies) {
      Servo& s = *r.servo;
      if (s.drop > 0) {
        --s.drop;
        ++counters_.dropped;
        r.bytes.clear();
      } else if (s.corrupt > 0) {
        --s.corrupt;
        r.bytes.back() ^= 0x5A;
      }
    }
  }
  SendReplies(std::move(replies), baud);
}

void ServoBusEmulator::SendReplies(std::vector<Reply> replies, int baud) {
  // Servos sharing an ID answer at the same time: AND their bytes (idle-high line) into one reply.
  std::vector<Reply> merged;
  for (Reply& r : replies) {
    if (r.bytes.empty()) continue;
    auto it = std::find_if(merged.begin(), merged.end(), [&](const Reply& m) { return m.id == r.id; });
    if (it == merged.end()) {
      merged.push_back(std::move(r));
      continue;
    }
    if (r.bytes.size() > it->bytes.size()) it->bytes.resize(r.bytes.size(), 0xFF);
    for (size_t i = 0; i < r.bytes.size(); ++i) it->bytes[i] &= r.bytes[i];
  }
  for (const Reply& r : merged) {
    if (options_.realistic_timing) {
      const int delay_units = r.servo->table[Info(Register::kReturnDelayTime).address];
      const double wire_us = baud > 0 ? r.bytes.size() * 1e7 / baud : 0.0;
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(delay_units * 2 + wire_us)));
    }
    {
      std::lock_guard lock(mu_);
      ++counters_.replies;  // counted before the host can see it
    }
    size_t done = 0;
    while (done < r.bytes.size() && !stop_) {
      const ssize_t n = ::write(master_fd_, r.bytes.data() + done, r.bytes.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd pfd{master_fd_, POLLOUT, 0};
        ::poll(&pfd, 1, 10);
      } else {
        break;
      }
    }
  }
}

void ServoBusEmulator::Run() {
  std::vector<uint8_t> buf;
  uint8_t chunk[1024];
  while (!stop_) {
    pollfd fds[2] = {{master_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    const int r = ::poll(fds, 2, buf.empty() ? 200 : kInterByteTimeoutMs);
    if (stop_) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r == 0) {
      if (!buf.empty()) {  // silence in the middle of a packet: drop a byte and resync
        buf.erase(buf.begin());
        std::lock_guard lock(mu_);
        ++counters_.garbage_bytes;
      } else {
        continue;
      }
    } else if (fds[0].revents & POLLIN) {
      const ssize_t n = ::read(master_fd_, chunk, sizeof(chunk));
      if (n > 0) buf.insert(buf.end(), chunk, chunk + n);
    } else if (fds[0].revents & (POLLHUP | POLLERR)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // no reader on the slave side
      continue;
    }
    while (!buf.empty()) {
      const ParseResult pr = ParsePacket(buf);
      size_t garbage = pr.consumed;
      if (pr.status == ParseStatus::kPacket) garbage -= pr.packet.params.size() + kMinPacketBytes;
      if (pr.status == ParseStatus::kBadChecksum) garbage -= 2;
      buf.erase(buf.begin(), buf.begin() + pr.consumed);
      {
        std::lock_guard lock(mu_);
        counters_.garbage_bytes += static_cast<int64_t>(garbage);
        if (pr.status == ParseStatus::kBadChecksum) ++counters_.bad_checksum;
      }
      if (pr.status == ParseStatus::kNeedMore) break;
      if (pr.status != ParseStatus::kPacket) continue;
      try {
        HandlePacket(pr.packet);
      } catch (const std::exception& e) {  // never let a bad packet end the servo thread
        std::fprintf(stderr, "ServoBusEmulator: packet 0x%02X to id %d dropped: %s\n", pr.packet.code,
                     pr.packet.id, e.what());
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Test and twin hooks

void ServoBusEmulator::DropReplies(int id, int count) {
  std::lock_guard lock(mu_);
  FindOrThrow(id).drop = count;
}

void ServoBusEmulator::CorruptReplies(int id, int count) {
  std::lock_guard lock(mu_);
  FindOrThrow(id).corrupt = count;
}

void ServoBusEmulator::SetErrorBits(int id, uint8_t bits) {
  std::lock_guard lock(mu_);
  FindOrThrow(id).error_bits = bits;
}

void ServoBusEmulator::SetConnected(int id, bool connected) {
  std::lock_guard lock(mu_);
  FindOrThrow(id).connected = connected;
}

void ServoBusEmulator::PowerCycle() {
  std::lock_guard lock(mu_);
  const double now = Now();
  for (Servo& s : servos_) {
    Refresh(s, now);
    PowerUp(s);
  }
}

int ServoBusEmulator::ReadRegister(int id, Register reg) {
  std::lock_guard lock(mu_);
  Servo& s = FindOrThrow(id);
  Refresh(s, Now());
  return Get(s, reg);
}

void ServoBusEmulator::WriteRegister(int id, Register reg, int value) {
  std::lock_guard lock(mu_);
  Servo& s = FindOrThrow(id);
  const RegisterInfo& info = Info(reg);
  uint8_t bytes[4];
  PutLittleEndian(EncodeRegisterValue(reg, value), info.size, bytes);
  Refresh(s, Now());
  for (int i = 0; i < info.size; ++i) {
    s.table[info.address + i] = bytes[i];
    if (IsPersistent(info.address + i)) s.flash[info.address + i] = bytes[i];
  }
  UpdateDrive(s);
  Refresh(s, Now());
}

std::vector<int> ServoBusEmulator::ids() const {
  std::lock_guard lock(mu_);
  std::vector<int> out;
  for (const Servo& s : servos_) out.push_back(s.table[Info(Register::kId).address]);
  return out;
}

ServoBusEmulator::Counters ServoBusEmulator::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

int64_t ServoBusEmulator::PacketsFor(int id) const {
  std::lock_guard lock(mu_);
  for (const Servo& s : servos_) {
    if (s.table[Info(Register::kId).address] == id) return s.packets;
  }
  return 0;
}

}  // namespace s2r::hw::feetech
