// ServoBusEmulator: N Feetech STS3215 servos on the slave side of a pseudo-terminal, answering the real
// protocol byte for byte, so FeetechBus/SerialPort (or, in principle, LeRobot's Python stack) can be tested
// without an arm. Hardware layer: standard library and POSIX only (no MuJoCo); servo motion comes from a
// pluggable MotionModel, which is where a physics twin plugs in.
//
// Documented behaviours (a real STS3215 as LeRobot sees it, plus the choices below):
//  - Packets: a background thread reads the PTY master, resyncs on FF FF after garbage, drops a partial
//    packet after 20 ms without bytes, ignores packets with a bad checksum (counted) and instructions it
//    does not emulate (REG_WRITE, ACTION, unknown codes).
//  - PING (unicast and broadcast: every servo answers, in the order of EmulatorOptions::servos), READ,
//    WRITE, SYNC_READ (each addressed servo replies, in the order of the id list) and SYNC_WRITE (no reply).
//    Writes to the broadcast id are applied and not answered. With Response_Status_Level = 0 a servo answers
//    only PING and READ/SYNC_READ (factory 1: answers everything).
//  - Servos sharing an ID answer at once: their replies collide and are merged with a bitwise AND (an idle
//    UART line is high), so differing replies (e.g. positions) arrive corrupt while identical ones (PING)
//    survive, as on a real bus of factory-fresh servos (all ID 1).
//  - Control table per servo: 256 bytes; EEPROM [0, 40) and the factory area [80, 87) are backed by "flash".
//    Read-only bytes (firmware/model 0..4, status 56..79) ignore writes.
//  - Lock (addr 55) is 1 at power-up. EEPROM/factory-area bytes written while Lock != 0 are, by default,
//    ignored (EepromLock::kIgnoreWhileLocked: the write still gets a normal status reply, ERR 0). With
//    EepromLock::kVolatileWhileLocked (Feetech's datasheet wording) they take effect but are not saved, so
//    PowerCycle() reverts them. With Lock = 0 they take effect and are saved. Torque is not checked.
//  - A WRITE that changes ID or Baud_Rate is answered with the old ID at the old baud; the change applies to
//    the next packet.
//  - Homing_Offset (sign bit 11): Present_Position = actual - Homing_Offset, wrapped to 0..4095 unless
//    Phase bit 4 (0x10) is set, in which case it is reported unwrapped (sign-magnitude bit 15), as the
//    overflowing feedback LeRobot avoids by clearing that bit. Goal_Position is stored as written; the motion
//    target is Goal_Position clamped to [Min_Position_Limit, Max_Position_Limit] (when min <= max), plus
//    Homing_Offset (wrapped likewise).
//  - Torque_Enable 0/1 (other values ignored). With torque on the servo drives to the current
//    Goal_Position register, which is not changed while torque is off (so enabling torque after the arm was
//    moved by hand drives back to the stale goal: the worst case a host must handle). At power-up
//    Goal_Position = Present_Position and Torque_Limit = Max_Torque_Limit.
//  - Baud: a PTY carries bytes at any rate, so the emulator reads the baud the host set on the slave (the
//    master shares the slave's termios) at each packet; a servo whose Baud_Rate code gives another rate
//    ignores the packet entirely (it would see noise), as a real servo at the wrong baud.
//  - ERR byte: injected bits (SetErrorBits) OR the motion model's ServoState::error_bits, in every reply.
//  - Timing: replies go out immediately unless realistic_timing, which waits Return_Delay_Time (2 us units,
//    factory 250 = 0.5 ms) plus the reply's wire time at the host's baud before each reply.
//  - Factory defaults: ID and baud code from EmulatedServo (1, 0), Return_Delay_Time 250, limits 0..4095,
//    P 32, D 32, I 0, Max_Torque_Limit 1000, model 777, firmware 3.10 (illustrative), Phase 0; other values
//    plausible but not from the spec.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hw/feetech/control_table.h"
#include "hw/feetech/protocol.h"

namespace s2r::hw::feetech {

// What the servo's firmware is driving, in the motor's own frame (raw ticks before Homing_Offset).
struct ServoDrive {
  bool torque_enabled = false;
  double goal = 2048;       // ticks: Goal_Position clamped to the limits, plus Homing_Offset
  int goal_velocity = 0;    // Goal_Velocity register, ticks/s (0: no limit)
  int acceleration = 0;     // Acceleration register (0: no limit)
  int torque_limit = 1000;  // Torque_Limit, 1000 = 100%
  int p_coefficient = 32;   // P_Coefficient
};

// What the servo measures. Positions/velocities in raw ticks of the motor frame.
struct ServoState {
  double position = 2048;  // ticks (may leave 0..4095 for a multi-turn model; the emulator wraps)
  double velocity = 0;     // ticks/s
  int load = 0;            // 1000 = 100% of max torque, signed
  int current = 0;         // Present_Current units
  int temperature = 30;    // deg C
  int voltage = 74;        // 0.1 V
  uint8_t error_bits = 0;  // e.g. kErrOverload while stalled
};

// The physics behind the servos (the MuJoCo twin plugs in here). Called on the emulator thread (or a thread
// using the emulator's register access) with the emulator's lock held: a model must not call back into the
// emulator, and one shared with other threads must guard its own state (FirstOrderMotionModel does). All
// servos a packet addresses are advanced to the same now_s, so a batched model can step once per instant.
class MotionModel {
 public:
  virtual ~MotionModel() = default;
  // Advances servo `index` (0-based position in EmulatorOptions::servos, stable when its ID changes) to
  // `now_s` (seconds on the emulator's steady clock) under `drive`, which has been in force since the
  // previous call for this servo, and returns its state. Called before every change of the drive and
  // whenever the Present_* registers are served.
  virtual ServoState Advance(int index, const ServoDrive& drive, double now_s) = 0;
};

// Default model: with torque on, a first-order approach to the goal capped at max_speed (constant speed far
// from it, exponential with time_constant_s near it); with torque off the servo holds still (no gravity)
// until SetPosition moves it, as a hand would.
struct FirstOrderMotionParams {
  double max_speed = 3000.0;      // ticks/s (STS3215 at 7.4 V: ~0.22 s/60 deg); +inf: instant moves
  double time_constant_s = 0.05;  // 0: pure constant-speed moves
};

class FirstOrderMotionModel : public MotionModel {
 public:
  using Params = FirstOrderMotionParams;
  explicit FirstOrderMotionModel(std::vector<double> initial_positions = {}, Params params = {});
  ServoState Advance(int index, const ServoDrive& drive, double now_s) override;
  void SetPosition(int index, double ticks);  // thread-safe
  double Position(int index) const;           // thread-safe

 private:
  struct Servo {
    double position = 2048;
    double velocity = 0;
    double last_t = 0;
    bool started = false;
  };
  Servo& Get(int index);
  Params params_;
  mutable std::mutex mu_;
  std::vector<Servo> servos_;
};

struct EmulatedServo {
  int id = 1;
  int baud_code = 0;               // Baud_Rate register: 0 = 1 Mbps
  double initial_position = 2048;  // actual ticks, for the default motion model
  int model_number = kModelNumberSts3215;
  int firmware_major = 3;
  int firmware_minor = 10;
};

enum class EepromLock {
  kIgnoreWhileLocked,    // EEPROM bytes written while Lock != 0 are dropped (default)
  kVolatileWhileLocked,  // they take effect but are not saved (lost at PowerCycle)
};

struct EmulatorOptions {
  std::vector<EmulatedServo> servos;
  std::string link_path;  // if set, a symlink to the PTY slave (replaces an old symlink; removed at the end)
  EepromLock eeprom_lock = EepromLock::kIgnoreWhileLocked;
  bool realistic_timing = false;
  std::shared_ptr<MotionModel> motion;  // null: FirstOrderMotionModel from the servos' initial positions
};

class ServoBusEmulator {
 public:
  // Opens the PTY and starts the servo thread. Throws IoError (PTY or symlink failure) or
  // std::invalid_argument (bad servo spec).
  explicit ServoBusEmulator(EmulatorOptions options);
  ~ServoBusEmulator();
  ServoBusEmulator(const ServoBusEmulator&) = delete;
  ServoBusEmulator& operator=(const ServoBusEmulator&) = delete;

  // The path to open: the symlink if one was asked for, else the slave (/dev/pts/N).
  const std::string& port() const { return link_path_.empty() ? slave_path_ : link_path_; }
  const std::string& slave_path() const { return slave_path_; }
  int host_baud() const;  // the baud the host set on the slave
  MotionModel& motion() { return *options_.motion; }
  double Now() const;  // seconds on the clock passed to the motion model

  // --- Fault injection (thread-safe; `id` is the servo's current ID; the first servo with it) ---
  void DropReplies(int id, int count);        // the next `count` replies of this servo are not sent
  void CorruptReplies(int id, int count);     // ... are sent with a wrong checksum
  void SetErrorBits(int id, uint8_t bits);    // ERR bits in every reply until cleared with 0
  void SetConnected(int id, bool connected);  // an unplugged servo ignores everything
  // Every servo loses power and comes back: EEPROM from flash, SRAM defaults (torque off, Lock 1).
  void PowerCycle();

  // --- Direct register access, bypassing the protocol and the lock (thread-safe) ---
  int ReadRegister(int id, Register reg);               // decoded; Present_* refreshed first
  void WriteRegister(int id, Register reg, int value);  // persisted if EEPROM; drive updated
  std::vector<int> ids() const;                         // current IDs in servo order

  struct Counters {
    int64_t packets = 0;        // valid instruction packets seen
    int64_t bad_checksum = 0;   // packets dropped for a bad checksum
    int64_t garbage_bytes = 0;  // bytes skipped while resyncing
    int64_t replies = 0;        // status packets sent
    int64_t dropped = 0;        // replies withheld by DropReplies
    int64_t wrong_baud = 0;     // packets a servo ignored because of the baud
  };
  Counters counters() const;
  // Instruction packets addressed to this servo (by id, broadcast or sync list) that it processed.
  int64_t PacketsFor(int id) const;

 private:
  struct Servo {
    int index = 0;
    std::array<uint8_t, kControlTableSize> table{};
    std::array<uint8_t, kControlTableSize> flash{};  // EEPROM and factory area only
    ServoDrive drive;
    ServoState state;
    bool connected = true;
    int drop = 0;
    int corrupt = 0;
    uint8_t error_bits = 0;
    int64_t packets = 0;
  };
  struct Reply {
    Servo* servo;
    uint8_t id;
    std::vector<uint8_t> bytes;
  };

  void Run();
  void HandlePacket(const Packet& packet);
  Servo* Find(int id);
  Servo& FindOrThrow(int id);
  int Get(const Servo& s, Register reg) const;
  void Set(Servo& s, Register reg, int value);
  void PowerUp(Servo& s);
  void Refresh(Servo& s, double now);  // advance the motion model and fill Present_*
  void UpdateDrive(Servo& s);          // drive from the registers
  void ApplyWrite(Servo& s, int address, const uint8_t* data, int length, double now);
  Reply MakeReply(Servo& s, std::vector<uint8_t> params);
  void SendReplies(std::vector<Reply> replies, int baud);

  EmulatorOptions options_;
  std::string slave_path_;
  std::string link_path_;
  int master_fd_ = -1;
  int slave_fd_ = -1;  // kept open so the PTY survives the host closing and reopening it
  int wake_pipe_[2] = {-1, -1};
  std::chrono::steady_clock::time_point t0_;
  mutable std::mutex mu_;
  std::vector<Servo> servos_;
  Counters counters_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace s2r::hw::feetech
