#include "hw/feetech/bus.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <utility>

namespace s2r::hw::feetech {

namespace {

using Clock = std::chrono::steady_clock;

std::string Hex(uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02X", v);
  return buf;
}

std::string JoinIds(std::span<const int> ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s;
}

std::string FormatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f ms", ms);
  return buf;
}

void CheckId(int id, bool allow_broadcast, const char* op) {
  if ((id >= 0 && id <= kMaxId) || (allow_broadcast && id == kBroadcastId)) return;
  throw std::invalid_argument(std::string("Feetech ") + op + ": id " + std::to_string(id) +
                              " is outside 0.." + std::to_string(kMaxId) +
                              (allow_broadcast ? " (or 254 for broadcast)" : ""));
}

void CheckRetries(int num_retry) {
  if (num_retry < 0 || num_retry > FeetechBus::kMaxRetries) {
    throw std::invalid_argument("Feetech bus: num_retry " + std::to_string(num_retry) + " is outside 0.." +
                                std::to_string(FeetechBus::kMaxRetries));
  }
}

std::string RegisterWhat(const char* op, Register reg, int id) {
  const RegisterInfo& info = Info(reg);
  return std::string(op) + " " + std::string(info.name) + " (addr " + std::to_string(info.address) + ", " +
         std::to_string(info.size) + " byte" + (info.size > 1 ? "s" : "") + ")" +
         (id >= 0 ? " of id " + std::to_string(id) : std::string());
}

}  // namespace

std::string_view CommFailureName(CommFailure kind) {
  switch (kind) {
    case CommFailure::kPortError:
      return "port error";
    case CommFailure::kTimeout:
      return "timeout";
    case CommFailure::kCorrupt:
      return "corrupt reply";
  }
  return "?";
}

CommError::CommError(CommFailure kind, std::string port, std::vector<int> ids, uint8_t instruction,
                     int attempts, std::string detail)
    : IoError("Feetech bus " + port + ": " + detail + " (" + std::string(CommFailureName(kind)) + ", after " +
              std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") + ")"),
      kind_(kind),
      port_(std::move(port)),
      ids_(std::move(ids)),
      instruction_(instruction),
      attempts_(attempts),
      detail_(std::move(detail)) {}

ServoError::ServoError(std::string port, int id, uint8_t error, uint8_t instruction,
                       const std::string& detail)
    : IoError("Feetech bus " + port + ": servo id " + std::to_string(id) + " reported " +
              ServoErrorNames(error) + " (ERR " + Hex(error) + ") to " + detail),
      port_(std::move(port)),
      id_(id),
      error_(error),
      instruction_(instruction) {}

// ---------------------------------------------------------------------------------------------

FeetechBus::FeetechBus(std::string port, int baud, BusOptions options)
    : port_(std::move(port), baud), options_(options) {}

void FeetechBus::SetBaud(int baud) {
  std::lock_guard lock(mu_);
  port_.SetBaud(baud);
}

BusStats FeetechBus::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void FeetechBus::ResetStats() {
  std::lock_guard lock(mu_);
  stats_ = {};
}

double FeetechBus::TransactionTimeoutMs(size_t reply_bytes) const {
  return port_.byte_time_ms() * static_cast<double>(reply_bytes + 3) + options_.timeout_margin_ms;
}

double FeetechBus::BroadcastWaitMs() const {
  if (options_.broadcast_wait_ms) return *options_.broadcast_wait_ms;
  return port_.byte_time_ms() * 6.0 * kMaxId + 3.0 * kMaxId + 16.0;
}

void FeetechBus::Send(const std::vector<uint8_t>& tx, const std::string& what) {
  ++stats_.attempts;
  try {
    port_.FlushInput();
    port_.Write(tx);
  } catch (const SerialError& e) {
    throw CommError(CommFailure::kPortError, port_.path(), {tx.size() > 2 ? static_cast<int>(tx[2]) : -1},
                    tx.size() > 4 ? tx[4] : 0, 1, what + ": " + e.what());
  }
}

std::map<int, Packet> FeetechBus::Receive(std::span<const int> ids, size_t param_bytes, uint8_t instruction,
                                          const std::string& what) {
  const size_t reply_bytes = ids.size() * (param_bytes + kMinPacketBytes);
  const double timeout_ms = TransactionTimeoutMs(reply_bytes);
  const auto deadline = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeout_ms * 1000.0));
  std::map<int, Packet> got;
  std::vector<uint8_t> buf;
  uint8_t chunk[512];
  auto fail = [&](CommFailure kind, std::vector<int> failed, const std::string& detail) {
    throw CommError(kind, port_.path(), std::move(failed), instruction, 1, what + ": " + detail);
  };
  while (true) {
    while (true) {
      ParseResult r = ParsePacket(buf);
      buf.erase(buf.begin(), buf.begin() + r.consumed);
      if (r.status == ParseStatus::kNeedMore) break;
      if (r.status == ParseStatus::kBadChecksum) {
        fail(CommFailure::kCorrupt, {static_cast<int>(r.packet.id)},
             "reply with a bad checksum (from id " + std::to_string(r.packet.id) + "?)");
      }
      const int id = r.packet.id;
      if (std::find(ids.begin(), ids.end(), id) == ids.end() || got.count(id)) continue;  // not ours
      if (r.packet.params.size() != param_bytes) {
        fail(CommFailure::kCorrupt, {id},
             "reply from id " + std::to_string(id) + " has " + std::to_string(r.packet.params.size()) +
                 " data bytes, expected " + std::to_string(param_bytes));
      }
      got.emplace(id, std::move(r.packet));
      if (got.size() == ids.size()) return got;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      std::vector<int> missing;
      for (int id : ids) {
        if (!got.count(id)) missing.push_back(id);
      }
      fail(CommFailure::kTimeout, missing,
           std::string(buf.empty() ? "no reply"
                                   : "incomplete reply (" + std::to_string(buf.size()) + " bytes)") +
               " from id" + (missing.size() > 1 ? "s " : " ") + JoinIds(missing) + " within " +
               FormatMs(timeout_ms));
    }
    size_t n = 0;
    try {
      n = port_.ReadSome(chunk, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now));
    } catch (const SerialError& e) {
      fail(CommFailure::kPortError, std::vector<int>(ids.begin(), ids.end()), e.what());
    }
    buf.insert(buf.end(), chunk, chunk + n);
  }
}

template <class F>
auto FeetechBus::WithRetry(int num_retry, F&& attempt) -> decltype(attempt()) {
  CheckRetries(num_retry);
  ++stats_.transactions;
  for (int i = 0;; ++i) {
    try {
      return attempt();
    } catch (const CommError& e) {
      ++stats_.comm_failures;
      if (i < num_retry) {
        ++stats_.retries;
        continue;
      }
      throw CommError(e.kind(), e.port(), e.ids(), e.instruction(), i + 1, e.detail());
    }
  }
}

void FeetechBus::CheckServoError(int id, uint8_t error, uint8_t instruction, const std::string& what) {
  if (error == 0) return;
  ++stats_.servo_errors;
  throw ServoError(port_.path(), id, error, instruction, what);
}

int FeetechBus::Ping(int id, int num_retry) {
  CheckId(id, false, "PING");
  std::lock_guard lock(mu_);
  const int ids[1] = {id};
  const std::string what = "PING id " + std::to_string(id);
  return WithRetry(num_retry, [&] {
    Send(MakePing(static_cast<uint8_t>(id)), what);
    const Packet pong = Receive(ids, 0, Code(Instruction::kPing), what).at(id);
    CheckServoError(id, pong.code, Code(Instruction::kPing), what);
    const RegisterInfo& model = Info(Register::kModelNumber);
    const std::string what_model = RegisterWhat("READ", Register::kModelNumber, id);
    Send(MakeRead(static_cast<uint8_t>(id), model.address, model.size), what_model);
    const Packet reply = Receive(ids, model.size, Code(Instruction::kRead), what_model).at(id);
    CheckServoError(id, reply.code, Code(Instruction::kRead), what_model);
    return static_cast<int>(GetLittleEndian(reply.params.data(), model.size));
  });
}

std::vector<uint8_t> FeetechBus::ReadBytes(int id, uint8_t address, uint8_t length, int num_retry) {
  CheckId(id, false, "READ");
  if (length == 0 || static_cast<int>(address) + static_cast<int>(length) > kControlTableSize ||
      length + kMinPacketBytes > kMaxPacketBytes) {
    throw std::invalid_argument("Feetech READ: bytes [" + std::to_string(address) + ", " +
                                std::to_string(address + length) + ") outside the control table");
  }
  std::lock_guard lock(mu_);
  const int ids[1] = {id};
  const std::string what = "READ addr " + std::to_string(address) + " (" + std::to_string(length) +
                           " bytes) of id " + std::to_string(id);
  Packet reply = WithRetry(num_retry, [&] {
    Send(MakeRead(static_cast<uint8_t>(id), address, length), what);
    return Receive(ids, length, Code(Instruction::kRead), what).at(id);
  });
  CheckServoError(id, reply.code, Code(Instruction::kRead), what);
  return reply.params;
}

int FeetechBus::Read(int id, Register reg, int num_retry) {
  CheckId(id, false, "READ");
  const RegisterInfo& info = Info(reg);
  std::lock_guard lock(mu_);
  const int ids[1] = {id};
  const std::string what = RegisterWhat("READ", reg, id);
  Packet reply = WithRetry(num_retry, [&] {
    Send(MakeRead(static_cast<uint8_t>(id), info.address, info.size), what);
    return Receive(ids, info.size, Code(Instruction::kRead), what).at(id);
  });
  CheckServoError(id, reply.code, Code(Instruction::kRead), what);
  return DecodeRegisterValue(reg, GetLittleEndian(reply.params.data(), info.size));
}

void FeetechBus::Write(int id, Register reg, int value, int num_retry) {
  CheckId(id, true, "WRITE");
  CheckWritable(reg, value);
  const RegisterInfo& info = Info(reg);
  uint8_t data[4];
  PutLittleEndian(EncodeRegisterValue(reg, value), info.size, data);
  const std::vector<uint8_t> tx =
      MakeWrite(static_cast<uint8_t>(id), info.address, std::span<const uint8_t>(data, info.size));
  std::lock_guard lock(mu_);
  const std::string what = RegisterWhat("WRITE", reg, id) + " = " + std::to_string(value);
  if (id == kBroadcastId) {
    WithRetry(num_retry, [&] { Send(tx, what); });
    return;
  }
  const int ids[1] = {id};
  Packet reply = WithRetry(num_retry, [&] {
    Send(tx, what);
    return Receive(ids, 0, Code(Instruction::kWrite), what).at(id);
  });
  CheckServoError(id, reply.code, Code(Instruction::kWrite), what);
}

std::vector<int> FeetechBus::SyncRead(Register reg, std::span<const int> ids, int num_retry,
                                      std::vector<uint8_t>* errors) {
  if (ids.empty()) throw std::invalid_argument("Feetech SYNC_READ: no ids");
  std::set<int> unique;
  for (int id : ids) {
    CheckId(id, false, "SYNC_READ");
    if (!unique.insert(id).second) {
      throw std::invalid_argument("Feetech SYNC_READ: id " + std::to_string(id) + " listed twice");
    }
  }
  const RegisterInfo& info = Info(reg);
  std::vector<uint8_t> id_bytes(ids.begin(), ids.end());
  const std::vector<uint8_t> tx = MakeSyncRead(info.address, info.size, id_bytes);
  std::lock_guard lock(mu_);
  const std::string what = RegisterWhat("SYNC_READ", reg, -1) + " of ids " + JoinIds(ids);
  const std::map<int, Packet> replies = WithRetry(num_retry, [&] {
    Send(tx, what);
    return Receive(ids, info.size, Code(Instruction::kSyncRead), what);
  });
  std::vector<int> values;
  values.reserve(ids.size());
  if (errors) errors->clear();
  for (int id : ids) {
    const Packet& p = replies.at(id);
    if (errors) {
      errors->push_back(p.code);
    } else {
      CheckServoError(id, p.code, Code(Instruction::kSyncRead), what);
    }
    values.push_back(DecodeRegisterValue(reg, GetLittleEndian(p.params.data(), info.size)));
  }
  return values;
}

void FeetechBus::SyncWrite(Register reg, const std::map<int, int>& values, int num_retry) {
  if (values.empty()) throw std::invalid_argument("Feetech SYNC_WRITE: no ids");
  const RegisterInfo& info = Info(reg);
  std::vector<uint8_t> ids, data;
  for (const auto& [id, value] : values) {
    CheckId(id, false, "SYNC_WRITE");
    try {
      CheckWritable(reg, value);
    } catch (const RangeError& e) {
      throw RangeError(std::string(e.what()) + " (id " + std::to_string(id) + ")");
    }
    ids.push_back(static_cast<uint8_t>(id));
    uint8_t bytes[4];
    PutLittleEndian(EncodeRegisterValue(reg, value), info.size, bytes);
    data.insert(data.end(), bytes, bytes + info.size);
  }
  const std::vector<uint8_t> tx = MakeSyncWrite(info.address, info.size, ids, data);
  std::lock_guard lock(mu_);
  const std::string what = RegisterWhat("SYNC_WRITE", reg, -1);
  WithRetry(num_retry, [&] { Send(tx, what); });
}

void FeetechBus::ReadModelsLocked(std::map<int, int>& models, int num_retry) {
  const RegisterInfo& info = Info(Register::kModelNumber);
  for (auto& [id, model] : models) {
    const int ids[1] = {id};
    const std::string what = RegisterWhat("READ", Register::kModelNumber, id);
    // ERR bits were already reported by the ping; the model number is still meaningful.
    const Packet reply = WithRetry(num_retry, [&] {
      Send(MakeRead(static_cast<uint8_t>(id), info.address, info.size), what);
      return Receive(ids, info.size, Code(Instruction::kRead), what).at(id);
    });
    model = static_cast<int>(GetLittleEndian(reply.params.data(), info.size));
  }
}

std::map<int, int> FeetechBus::BroadcastPing(int num_retry) {
  CheckRetries(num_retry);
  std::lock_guard lock(mu_);
  const std::vector<uint8_t> tx = MakePing(kBroadcastId);
  const size_t wait_bytes = kMinPacketBytes * kMaxId;
  std::map<int, int> found;
  ++stats_.transactions;
  for (int attempt = 0; attempt <= num_retry; ++attempt) {
    if (attempt > 0) ++stats_.retries;
    Send(tx, "broadcast PING");
    const auto deadline =
        Clock::now() + std::chrono::microseconds(static_cast<int64_t>(BroadcastWaitMs() * 1000.0));
    std::vector<uint8_t> buf(wait_bytes);
    size_t n = 0;
    try {
      n = port_.ReadUntil(buf, deadline);
    } catch (const SerialError& e) {
      throw CommError(CommFailure::kPortError, port_.path(), {kBroadcastId}, Code(Instruction::kPing), 1,
                      std::string("broadcast PING: ") + e.what());
    }
    buf.resize(n);
    // Like LeRobot: keep every well-formed 6-byte status, skip corrupt ones.
    std::span<const uint8_t> rest(buf);
    while (!rest.empty()) {
      const ParseResult r = ParsePacket(rest);
      rest = rest.subspan(r.consumed);
      if (r.status == ParseStatus::kNeedMore) break;
      if (r.status == ParseStatus::kPacket && r.packet.params.empty() && r.packet.id <= kMaxId) {
        found.emplace(r.packet.id, 0);
      }
    }
    if (!found.empty()) break;
    ++stats_.comm_failures;
  }
  ReadModelsLocked(found, num_retry);
  return found;
}

std::map<int, std::map<int, int>> FeetechBus::Scan(const std::string& port, std::span<const int> bauds,
                                                   BusOptions options) {
  if (bauds.empty()) throw std::invalid_argument("Feetech scan of " + port + ": no baud rates");
  FeetechBus bus(port, bauds.front(), options);
  std::map<int, std::map<int, int>> out;
  for (int baud : bauds) {
    bus.SetBaud(baud);
    std::map<int, int> found = bus.BroadcastPing();
    if (!found.empty()) out.emplace(baud, std::move(found));
  }
  return out;
}

void FeetechBus::DisableTorque(std::span<const int> ids, int num_retry) {
  std::lock_guard lock(mu_);
  std::exception_ptr first;
  for (int id : ids) {
    try {
      Write(id, Register::kTorqueEnable, 0, num_retry);
      Write(id, Register::kLock, 0, num_retry);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void FeetechBus::EnableTorque(std::span<const int> ids, int num_retry) {
  std::lock_guard lock(mu_);
  for (int id : ids) {
    Write(id, Register::kTorqueEnable, 1, num_retry);
    Write(id, Register::kLock, 1, num_retry);
  }
}

// ---------------------------------------------------------------------------------------------

TorqueOffGuard::TorqueOffGuard(FeetechBus& bus, std::vector<int> ids, int num_retry)
    : bus_(bus), ids_(std::move(ids)), num_retry_(std::clamp(num_retry, 0, FeetechBus::kMaxRetries)) {}

TorqueOffGuard::~TorqueOffGuard() {
  if (ids_.empty()) return;
  try {
    std::map<int, int> off;
    for (int id : ids_) off[id] = 0;
    bus_.SyncWrite(Register::kTorqueEnable, off, num_retry_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "TorqueOffGuard: SYNC_WRITE Torque_Enable=0 failed: %s\n", e.what());
  } catch (...) {
  }
  for (int id : ids_) {
    try {
      const int one[1] = {id};
      bus_.DisableTorque(one, num_retry_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "TorqueOffGuard: could not disable torque on id %d: %s\n", id, e.what());
    } catch (...) {
    }
  }
}

}  // namespace s2r::hw::feetech
