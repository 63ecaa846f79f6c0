// FeetechBus: the STS3215 servo bus over a SerialPort, with LeRobot's FeetechMotorsBus semantics:
//   - every transaction flushes stale input, sends one instruction and (unless broadcast/sync-write)
//     waits for the status reply of the addressed servo, skipping replies from other ids as the SDK does;
//   - timeout per transaction = byte_time * (reply_bytes + 3) + 50 ms (LeRobot's setPacketTimeout patch);
//   - num_retry immediate retries, only after a communication failure (timeout, bad checksum, malformed
//     reply, TX error), never when the servo's ERR byte is set;
//   - values are checked against the register's range before anything is sent (RangeError).
// Errors: CommError (no/corrupt reply; names port, id(s), instruction) and ServoError (ERR bits set; names
// id and bits). Transactions are serialized by an internal mutex (one half-duplex bus, many callers).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "hw/feetech/control_table.h"
#include "hw/feetech/protocol.h"
#include "hw/serial_port.h"

namespace s2r::hw::feetech {

enum class CommFailure {
  kPortError,  // the OS could not send or receive (adapter unplugged, I/O error)
  kTimeout,    // no (complete) reply in time
  kCorrupt,    // bad checksum or a malformed reply
};
std::string_view CommFailureName(CommFailure kind);  // "port error", "timeout", "corrupt reply"

class CommError : public IoError {
 public:
  // what(): "Feetech bus <port>: <detail> (<kind>, after <attempts> attempt(s))".
  CommError(CommFailure kind, std::string port, std::vector<int> ids, uint8_t instruction, int attempts,
            std::string detail);
  CommFailure kind() const { return kind_; }
  const std::string& port() const { return port_; }
  int id() const { return ids_.empty() ? -1 : ids_.front(); }  // first id that failed
  const std::vector<int>& ids() const { return ids_; }         // every id that failed
  uint8_t instruction() const { return instruction_; }
  int attempts() const { return attempts_; }
  const std::string& detail() const { return detail_; }

 private:
  CommFailure kind_;
  std::string port_;
  std::vector<int> ids_;
  uint8_t instruction_;
  int attempts_;
  std::string detail_;
};

class ServoError : public IoError {
 public:
  // what(): "Feetech bus <port>: servo id <id> reported <bit names> (ERR 0x..) to <detail>".
  ServoError(std::string port, int id, uint8_t error, uint8_t instruction, const std::string& detail);
  const std::string& port() const { return port_; }
  int id() const { return id_; }
  uint8_t error() const { return error_; }  // the ERR byte
  uint8_t instruction() const { return instruction_; }

 private:
  std::string port_;
  int id_;
  uint8_t error_;
  uint8_t instruction_;
};

struct BusOptions {
  // Added to every transaction timeout, ms (LeRobot: 50).
  double timeout_margin_ms = 50.0;
  // Time a broadcast ping listens, ms; unset: LeRobot's byte_time*6*252 + 3*252 + 16 (~787 ms at 1 Mbps,
  // ~3.9 s at 4800 baud). Scans of a bench bus can pass something shorter.
  std::optional<double> broadcast_wait_ms;
};

struct BusStats {
  int64_t transactions = 0;   // API-level operations (a Ping counts once)
  int64_t attempts = 0;       // instruction packets sent
  int64_t retries = 0;        // attempts repeated after a communication failure
  int64_t comm_failures = 0;  // attempts that failed (timeout, corrupt, TX)
  int64_t servo_errors = 0;   // replies with ERR bits set
};

class FeetechBus {
 public:
  static constexpr int kMaxRetries = 10;  // num_retry above this is refused

  // Opens the port (throws SerialError). No handshake: call Ping for every expected id.
  explicit FeetechBus(std::string port, int baud = kDefaultBaud, BusOptions options = {});

  const std::string& port_name() const { return port_.path(); }
  int baud() const { return port_.baud(); }
  void SetBaud(int baud);
  SerialPort& serial_port() { return port_; }
  BusStats stats() const;
  void ResetStats();

  // PING, then READ Model_Number (addr 3, 2 bytes) as the SDK does; returns the model (777 for STS3215).
  int Ping(int id, int num_retry = 0);
  // Decoded register value (sign-magnitude applied).
  int Read(int id, Register reg, int num_retry = 0);
  // Raw bytes at [address, address + length).
  std::vector<uint8_t> ReadBytes(int id, uint8_t address, uint8_t length, int num_retry = 0);
  // Checks the value (RangeError / invalid_argument), writes it and waits for the status reply; id 0xFE
  // broadcasts (no reply, nothing is verified).
  void Write(int id, Register reg, int value, int num_retry = 0);
  // One SYNC_READ; values in the order of `ids`. ERR bits set on any reply: ServoError, unless `errors` is
  // given, which then receives each id's ERR byte (so positions stay readable from a servo in protection).
  std::vector<int> SyncRead(Register reg, std::span<const int> ids, int num_retry = 0,
                            std::vector<uint8_t>* errors = nullptr);
  // One SYNC_WRITE {id: value} (no reply: only a TX failure can be detected and retried).
  void SyncWrite(Register reg, const std::map<int, int>& values, int num_retry = 0);
  // Broadcast PING, then each found id's model number. {id: model}; empty if nothing answered.
  std::map<int, int> BroadcastPing(int num_retry = 0);
  // Opens `port` (which must not be open elsewhere: ports are locked) and broadcast-pings at each baud:
  // {baud: {id: model}} for the bauds where servos answered. A rate the adapter refuses throws SerialError.
  static std::map<int, std::map<int, int>> Scan(const std::string& port,
                                                std::span<const int> bauds = kScanBauds,
                                                BusOptions options = {});

  // Per id: Torque_Enable=0 then Lock=0 (unlocks EEPROM). Tries every id even if one fails, then throws
  // the first error.
  void DisableTorque(std::span<const int> ids, int num_retry = 0);
  // Per id: Torque_Enable=1 then Lock=1. Stops at the first failure.
  void EnableTorque(std::span<const int> ids, int num_retry = 0);

  // ms: byte_time * (reply_bytes + 3) + margin.
  double TransactionTimeoutMs(size_t reply_bytes) const;
  double BroadcastWaitMs() const;

 private:
  // One attempt: flush stale input and send `tx` (CommError kPortError on failure).
  void Send(const std::vector<uint8_t>& tx, const std::string& what);
  // Collects one status packet with `param_bytes` params from each of `ids` (replies from other ids are
  // skipped). Throws CommError: kCorrupt at the first bad checksum / wrong size, kTimeout naming the ids
  // still missing at the deadline.
  std::map<int, Packet> Receive(std::span<const int> ids, size_t param_bytes, uint8_t instruction,
                                const std::string& what);
  // Runs attempt() up to 1 + num_retry times while it throws CommError.
  template <class F>
  auto WithRetry(int num_retry, F&& attempt) -> decltype(attempt());
  void CheckServoError(int id, uint8_t error, uint8_t instruction, const std::string& what);
  void ReadModelsLocked(std::map<int, int>& models, int num_retry);

  SerialPort port_;
  BusOptions options_;
  mutable std::recursive_mutex mu_;
  BusStats stats_;
};

// Disables torque (Torque_Enable=0, Lock=0) on `ids` when it goes out of scope, including by exception:
// first one SYNC_WRITE of Torque_Enable=0 to all (reaches servos whose replies fail), then per id with
// num_retry retries. Best effort: failures are printed to stderr, never thrown.
class TorqueOffGuard {
 public:
  TorqueOffGuard(FeetechBus& bus, std::vector<int> ids, int num_retry = 5);
  ~TorqueOffGuard();
  TorqueOffGuard(const TorqueOffGuard&) = delete;
  TorqueOffGuard& operator=(const TorqueOffGuard&) = delete;

 private:
  FeetechBus& bus_;
  std::vector<int> ids_;
  int num_retry_;
};

}  // namespace s2r::hw::feetech
