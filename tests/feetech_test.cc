// Tests of the Feetech STS3215 stack: packet coding (golden bytes), sign-magnitude values, the control table,
// and FeetechBus/SerialPort talking the real protocol over a real PTY to the servo emulator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hw/feetech/bus.h"
#include "hw/feetech/control_table.h"
#include "hw/feetech/protocol.h"
#include "hw/serial_port.h"
#include "hw/virtual/servo_bus_emulator.h"

namespace s2r::hw::feetech {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<int> kArmIds = {1, 2, 3, 4, 5, 6};

// ---------------------------------------------------------------------------------------------
// Packets

TEST(ProtocolTest, PingGoldenBytes) {
  EXPECT_THAT(MakePing(1), ElementsAre(0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB));
}

TEST(ProtocolTest, ReadGoldenBytes) {
  EXPECT_THAT(MakeRead(1, 56, 2), ElementsAre(0xFF, 0xFF, 0x01, 0x04, 0x02, 0x38, 0x02, 0xBE));
}

TEST(ProtocolTest, WriteSyncReadSyncWriteGoldenBytes) {
  const Bytes goal = {0x00, 0x08};  // 2048, little-endian
  EXPECT_THAT(MakeWrite(1, 42, goal), ElementsAre(0xFF, 0xFF, 0x01, 0x05, 0x03, 0x2A, 0x00, 0x08, 0xC4));
  const Bytes ids = {1, 2};
  EXPECT_THAT(MakeSyncRead(56, 2, ids),
              ElementsAre(0xFF, 0xFF, 0xFE, 0x06, 0x82, 0x38, 0x02, 0x01, 0x02, 0x3C));
  const Bytes data = {0x00, 0x08, 0xFF, 0x0F};  // 2048, 4095
  EXPECT_THAT(MakeSyncWrite(42, 2, ids, data), ElementsAre(0xFF, 0xFF, 0xFE, 0x0A, 0x83, 0x2A, 0x02, 0x01,
                                                           0x00, 0x08, 0x02, 0xFF, 0x0F, 0x2F));
  EXPECT_THAT(MakeStatus(1, 0, {}), ElementsAre(0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC));
  EXPECT_THROW(MakeSyncWrite(42, 2, ids, Bytes{1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(EncodePacket(1, 3, Bytes(245, 0)), std::invalid_argument);  // 251 bytes > 250
  EXPECT_NO_THROW(EncodePacket(1, 3, Bytes(244, 0)));
}

TEST(ProtocolTest, ChecksumIsNotOfTheSumLowByte) {
  const Bytes body = {0x01, 0x04, 0x02, 0x38, 0x02};  // sum 0x41
  EXPECT_EQ(Checksum(body), 0xBE);
  EXPECT_EQ(Checksum(Bytes{0xFF, 0xFF, 0x02}), static_cast<uint8_t>(~(0xFF + 0xFF + 0x02) & 0xFF));
  EXPECT_EQ(Checksum(Bytes{}), 0xFF);
}

TEST(ProtocolTest, ParseFindsPacketAfterGarbageAndPartialInput) {
  const Bytes status = MakeStatus(3, 0x20, Bytes{0xE8, 0x03});
  Bytes stream = {0x00, 0x12, 0xFF, 0x05};  // garbage, including a lone FF
  stream.insert(stream.end(), status.begin(), status.end());
  const ParseResult r = ParsePacket(stream);
  ASSERT_EQ(r.status, ParseStatus::kPacket);
  EXPECT_EQ(r.consumed, stream.size());
  EXPECT_EQ(r.packet.id, 3);
  EXPECT_EQ(r.packet.code, 0x20);
  EXPECT_THAT(r.packet.params, ElementsAre(0xE8, 0x03));

  // A partial packet needs more; the garbage before it can go.
  const Bytes partial(stream.begin(), stream.end() - 2);
  const ParseResult p = ParsePacket(partial);
  EXPECT_EQ(p.status, ParseStatus::kNeedMore);
  EXPECT_EQ(p.consumed, 4u);

  // FF FF FF: the first FF is skipped (ID 0xFF is invalid).
  Bytes triple = {0xFF};
  triple.insert(triple.end(), status.begin(), status.end());
  const ParseResult t = ParsePacket(triple);
  ASSERT_EQ(t.status, ParseStatus::kPacket);
  EXPECT_EQ(t.packet.id, 3);
}

TEST(ProtocolTest, ParseReportsBadChecksumAndResyncs) {
  Bytes bad = MakePing(1);
  bad.back() ^= 0x01;
  const Bytes good = MakePing(2);
  Bytes stream = bad;
  stream.insert(stream.end(), good.begin(), good.end());
  const ParseResult r = ParsePacket(stream);
  EXPECT_EQ(r.status, ParseStatus::kBadChecksum);
  EXPECT_EQ(r.consumed, 2u);  // only the header: resync from there
  const ParseResult next = ParsePacket(std::span<const uint8_t>(stream).subspan(r.consumed));
  ASSERT_EQ(next.status, ParseStatus::kPacket);
  EXPECT_EQ(next.packet.id, 2);
  EXPECT_EQ(next.packet.code, Code(Instruction::kPing));
  // LEN < 2 is no header.
  EXPECT_EQ(ParsePacket(Bytes{0xFF, 0xFF, 0x01, 0x01, 0x00, 0x00}).status, ParseStatus::kNeedMore);
}

TEST(ProtocolTest, ServoErrorBitNames) {
  EXPECT_EQ(ServoErrorNames(kErrOverload), "overload");
  EXPECT_EQ(ServoErrorNames(kErrInputVoltage | kErrOverheat), "input voltage, overheat");
  EXPECT_EQ(ServoErrorNames(kErrAngleSensor | kErrOverCurrent), "angle sensor, over-current");
  EXPECT_EQ(ServoErrorNames(0x10), "bit 0x10");
  EXPECT_EQ(ServoErrorNames(0), "");
  EXPECT_EQ(InstructionName(0x82), "SYNC_READ");
}

// ---------------------------------------------------------------------------------------------
// Values

TEST(ValueTest, LittleEndian) {
  uint8_t b[2];
  PutLittleEndian(777, 2, b);
  EXPECT_EQ(b[0], 0x09);
  EXPECT_EQ(b[1], 0x03);
  EXPECT_EQ(GetLittleEndian(b, 2), 777u);
}

TEST(ValueTest, SignMagnitudeBothWays) {
  EXPECT_EQ(EncodeSignMagnitude(5, 15), 0x0005u);
  EXPECT_EQ(EncodeSignMagnitude(-5, 15), 0x8005u);
  EXPECT_EQ(EncodeSignMagnitude(-2047, 11), 0x0FFFu);
  EXPECT_EQ(EncodeSignMagnitude(2047, 11), 0x07FFu);
  EXPECT_EQ(EncodeSignMagnitude(-1, 10), 0x0401u);
  EXPECT_EQ(DecodeSignMagnitude(0x8005, 15), -5);
  EXPECT_EQ(DecodeSignMagnitude(0x0FFF, 11), -2047);
  EXPECT_EQ(DecodeSignMagnitude(0x04FF, 10), -255);
  EXPECT_EQ(DecodeSignMagnitude(0x0800, 11), 0);  // "-0"
  for (int sign_bit : {10, 11, 15}) {
    const int max = (1 << sign_bit) - 1;
    for (int v : {-max, -max / 3, -1, 0, 1, max / 2, max}) {
      EXPECT_EQ(DecodeSignMagnitude(EncodeSignMagnitude(v, sign_bit), sign_bit), v)
          << v << " bit " << sign_bit;
    }
  }
}

TEST(ValueTest, SignMagnitudeRangeErrors) {
  try {
    EncodeSignMagnitude(2114, 11);
    FAIL() << "no RangeError";
  } catch (const RangeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Magnitude 2114 exceeds 2047"));
  }
  EXPECT_THROW(EncodeSignMagnitude(-2048, 11), RangeError);
  EXPECT_THROW(EncodeSignMagnitude(32768, 15), RangeError);
  EXPECT_THROW(DecodeSignMagnitude(0x1000, 11), RangeError);  // bits above the sign bit
  EXPECT_THROW(DecodeSignMagnitude(0x10000, 15), RangeError);
  EXPECT_THROW(DecodeRegisterValue(Register::kHomingOffset, 0xF000), RangeError);
}

TEST(ValueTest, RegisterValuesAndWriteRanges) {
  EXPECT_EQ(EncodeRegisterValue(Register::kHomingOffset, -100), 0x0800u | 100u);
  EXPECT_EQ(DecodeRegisterValue(Register::kPresentPosition, 0x8010), -16);
  EXPECT_EQ(DecodeRegisterValue(Register::kPresentLoad, 0x0405), -5);
  EXPECT_EQ(DecodeRegisterValue(Register::kModelNumber, 777), 777);
  EXPECT_THROW(EncodeRegisterValue(Register::kId, 256), RangeError);
  EXPECT_THROW(EncodeRegisterValue(Register::kId, -1), RangeError);
  try {
    CheckWritable(Register::kGoalPosition, 4096);
    FAIL() << "no RangeError";
  } catch (const RangeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Goal_Position"));
    EXPECT_THAT(e.what(), HasSubstr("0..4095"));
  }
  EXPECT_THROW(CheckWritable(Register::kGoalPosition, -1), RangeError);
  EXPECT_NO_THROW(CheckWritable(Register::kGoalPosition, 4095));
  EXPECT_THROW(CheckWritable(Register::kHomingOffset, 2048), RangeError);
  EXPECT_THROW(CheckWritable(Register::kTorqueEnable, 128), RangeError);
  EXPECT_THROW(CheckWritable(Register::kPresentPosition, 0), std::invalid_argument);
  EXPECT_THROW(CheckWritable(Register::kModelNumber, 777), std::invalid_argument);
}

TEST(ControlTableTest, SpecEntries) {
  const RegisterInfo& goal = Info(Register::kGoalPosition);
  EXPECT_EQ(goal.address, 42);
  EXPECT_EQ(goal.size, 2);
  EXPECT_EQ(goal.sign_bit, 15);
  EXPECT_FALSE(goal.eeprom);
  EXPECT_EQ(Info(Register::kHomingOffset).address, 31);
  EXPECT_EQ(Info(Register::kHomingOffset).sign_bit, 11);
  EXPECT_TRUE(Info(Register::kHomingOffset).eeprom);
  EXPECT_EQ(Info(Register::kPresentLoad).sign_bit, 10);
  EXPECT_EQ(Info(Register::kModelNumber).address, 3);
  EXPECT_TRUE(Info(Register::kModelNumber).read_only);
  EXPECT_EQ(Info(Register::kLock).address, 55);
  EXPECT_EQ(Info(Register::kMaximumAcceleration).address, 85);
  EXPECT_EQ(RegisterByName("Present_Position"), Register::kPresentPosition);
  EXPECT_EQ(RegisterByName("Nope"), std::nullopt);
  EXPECT_EQ(BaudFromCode(0), 1000000);
  EXPECT_EQ(BaudFromCode(7), 19200);
  EXPECT_EQ(BaudFromCode(8), std::nullopt);
  EXPECT_EQ(CodeFromBaud(128000), 3);
  EXPECT_EQ(CodeFromBaud(9600), std::nullopt);
  // No two registers overlap; EEPROM flags follow the address areas.
  std::vector<int> owner(kControlTableSize, -1);
  for (const RegisterInfo& info : kRegisters) {
    EXPECT_EQ(info.eeprom, info.address < kEepromEnd || info.address >= kFactoryAreaBegin) << info.name;
    for (int a = info.address; a < info.address + info.size; ++a) {
      EXPECT_EQ(owner[a], -1) << info.name << " overlaps at " << a;
      owner[a] = static_cast<int>(info.reg);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Over a real PTY

std::string UniqueLinkPath() {
  static std::atomic<int> n{0};
  return "/tmp/s2r_feetech_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
}

std::vector<EmulatedServo> Servos(const std::vector<int>& ids, int baud_code = 0) {
  std::vector<EmulatedServo> out;
  for (int id : ids) {
    EmulatedServo s;
    s.id = id;
    s.baud_code = baud_code;
    s.initial_position = 2048;
    out.push_back(s);
  }
  return out;
}

EmulatorOptions Opts(std::vector<EmulatedServo> servos, std::string link_path = "") {
  EmulatorOptions o;
  o.servos = std::move(servos);
  o.link_path = std::move(link_path);
  return o;
}

// Emulator (instant motion unless told) + bus on its symlink.
struct Rig {
  explicit Rig(std::vector<EmulatedServo> servos = Servos(kArmIds), EmulatorOptions options = {},
               FirstOrderMotionParams motion_params = {kInf, 0.0}, int baud = kDefaultBaud)
      : model(MakeModel(servos, motion_params)),
        emu(Options(std::move(servos), std::move(options), model)),
        bus(emu.port(), baud, BusOptions{.timeout_margin_ms = 50.0, .broadcast_wait_ms = 30.0}) {}

  static std::shared_ptr<FirstOrderMotionModel> MakeModel(const std::vector<EmulatedServo>& servos,
                                                          FirstOrderMotionParams params) {
    std::vector<double> init;
    for (const auto& s : servos) init.push_back(s.initial_position);
    return std::make_shared<FirstOrderMotionModel>(init, params);
  }
  static EmulatorOptions Options(std::vector<EmulatedServo> servos, EmulatorOptions o,
                                 std::shared_ptr<FirstOrderMotionModel> m) {
    o.servos = std::move(servos);
    if (o.link_path.empty()) o.link_path = UniqueLinkPath();
    o.motion = m;
    return o;
  }

  std::shared_ptr<FirstOrderMotionModel> model;
  ServoBusEmulator emu;
  FeetechBus bus;
};

TEST(SerialPortTest, ErrorsNameThePort) {
  try {
    SerialPort port("/nonexistent/ttyS2R", 1000000);
    FAIL() << "opened a missing port";
  } catch (const SerialError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/ttyS2R"));
    EXPECT_EQ(e.port(), "/nonexistent/ttyS2R");
  }
  ServoBusEmulator emu(Opts(Servos({1})));
  SerialPort a(emu.port(), 1000000);
  try {
    SerialPort b(emu.port(), 1000000);
    FAIL() << "a second SerialPort opened a bus in use";
  } catch (const SerialError& e) {
    EXPECT_THAT(e.what(), HasSubstr("in use"));
  }
  // Non-standard STS rates go through termios2; the emulator sees what the host set.
  for (int baud : {128000, 250000, 14400, 1000000}) {
    a.SetBaud(baud);
    EXPECT_EQ(a.baud(), baud);
    EXPECT_EQ(emu.host_baud(), baud);
  }
  EXPECT_DOUBLE_EQ(a.byte_time_ms(), 0.01);
  a.Close();
  EXPECT_NO_THROW(SerialPort(emu.port(), 500000));  // the lock went with the close
}

TEST(EmulatorTest, SymlinkPointsToSlaveAndIsRemoved) {
  const std::string link = UniqueLinkPath();
  {
    ServoBusEmulator emu(Opts(Servos({1}), link));
    EXPECT_EQ(emu.port(), link);
    char target[256] = {};
    ASSERT_GT(::readlink(link.c_str(), target, sizeof(target) - 1), 0);
    EXPECT_EQ(std::string(target), emu.slave_path());
  }
  EXPECT_NE(::access(link.c_str(), F_OK), 0);
}

TEST(BusTest, PingReturnsModelForEachOfSixServos) {
  Rig rig;
  for (int id : kArmIds) EXPECT_EQ(rig.bus.Ping(id), kModelNumberSts3215) << "id " << id;
  EXPECT_EQ(rig.bus.stats().retries, 0);
  EXPECT_EQ(rig.bus.stats().comm_failures, 0);
  EXPECT_EQ(rig.emu.counters().replies, 12);  // PING + READ model per servo
}

TEST(BusTest, MissingIdTimesOutNamingIdAndPort) {
  Rig rig;
  const auto t0 = Clock::now();
  try {
    rig.bus.Ping(7, /*num_retry=*/2);
    FAIL() << "id 7 answered";
  } catch (const CommError& e) {
    EXPECT_EQ(e.kind(), CommFailure::kTimeout);
    EXPECT_EQ(e.id(), 7);
    EXPECT_EQ(e.port(), rig.emu.port());
    EXPECT_EQ(e.attempts(), 3);
    EXPECT_EQ(e.instruction(), Code(Instruction::kPing));
    EXPECT_THAT(e.what(), HasSubstr("id 7"));
    EXPECT_THAT(e.what(), HasSubstr(rig.emu.port()));
    EXPECT_THAT(e.what(), HasSubstr("3 attempts"));
  }
  const double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  EXPECT_GE(elapsed_ms, 3 * 50.0);  // LeRobot's 50 ms per attempt
  EXPECT_LT(elapsed_ms, 3 * 50.0 + 500.0);
  EXPECT_EQ(rig.bus.stats().attempts, 3);
  EXPECT_EQ(rig.bus.stats().retries, 2);
  EXPECT_DOUBLE_EQ(rig.bus.TransactionTimeoutMs(8), 0.01 * 11 + 50.0);
  EXPECT_THROW(rig.bus.Ping(7, FeetechBus::kMaxRetries + 1), std::invalid_argument);
  EXPECT_THROW(rig.bus.Ping(253), std::invalid_argument);
}

TEST(BusTest, DroppedReplyIsRetriedOnlyWithinNumRetry) {
  Rig rig;
  rig.emu.DropReplies(3, 1);
  EXPECT_EQ(rig.bus.Ping(3, /*num_retry=*/1), kModelNumberSts3215);
  EXPECT_EQ(rig.bus.stats().retries, 1);
  EXPECT_EQ(rig.bus.stats().comm_failures, 1);
  EXPECT_EQ(rig.emu.PacketsFor(3), 3);  // PING (dropped), PING, READ model
  EXPECT_EQ(rig.emu.counters().dropped, 1);

  rig.emu.DropReplies(3, 1);
  EXPECT_THROW(rig.bus.Ping(3, /*num_retry=*/0), CommError);
  EXPECT_EQ(rig.emu.PacketsFor(3), 4);
  EXPECT_EQ(rig.bus.Ping(3), kModelNumberSts3215);  // the drop was used up

  rig.emu.DropReplies(2, 2);
  EXPECT_THROW(rig.bus.Read(2, Register::kPresentPosition, 1), CommError);
  rig.emu.DropReplies(2, 2);
  EXPECT_EQ(rig.bus.Read(2, Register::kPresentPosition, 2), 2048);
}

TEST(BusTest, ReadWriteGoalAndPresentPosition) {
  Rig rig;
  const std::vector<int> one = {1};
  rig.bus.EnableTorque(one);
  EXPECT_EQ(rig.bus.Read(1, Register::kTorqueEnable), 1);
  EXPECT_EQ(rig.bus.Read(1, Register::kLock), 1);
  rig.bus.Write(1, Register::kGoalPosition, 3000);
  EXPECT_EQ(rig.bus.Read(1, Register::kGoalPosition), 3000);
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 3000);
  EXPECT_DOUBLE_EQ(rig.model->Position(0), 3000.0);
  // Other servos did not move; torque off holds position.
  EXPECT_EQ(rig.bus.Read(2, Register::kPresentPosition), 2048);
  rig.bus.Write(2, Register::kGoalPosition, 100);
  EXPECT_EQ(rig.bus.Read(2, Register::kPresentPosition), 2048);
  // Moved by hand with torque off.
  rig.model->SetPosition(1, 1234);
  EXPECT_EQ(rig.bus.Read(2, Register::kPresentPosition), 1234);
  EXPECT_EQ(rig.bus.ReadBytes(1, 42, 2), (Bytes{0xB8, 0x0B}));
}

TEST(BusTest, HomingOffsetShiftsPresentPosition) {
  Rig rig;
  const std::vector<int> one = {1};
  rig.bus.DisableTorque(one);
  rig.bus.Write(1, Register::kHomingOffset, -100);  // sign-magnitude bit 11
  EXPECT_EQ(rig.bus.Read(1, Register::kHomingOffset), -100);
  EXPECT_EQ(rig.bus.ReadBytes(1, 31, 2), (Bytes{100, 0x08}));
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 2148);  // actual 2048 - (-100)
  rig.bus.Write(1, Register::kHomingOffset, 300);
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 1748);
  // Goals are in the offset frame too.
  rig.bus.Write(1, Register::kGoalPosition, 2000);
  rig.bus.EnableTorque(one);
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 2000);
  EXPECT_DOUBLE_EQ(rig.model->Position(0), 2300.0);
  // Wrapped to 0..4095 with Phase bit 4 clear; unwrapped (negative, bit 15) with it set.
  rig.bus.DisableTorque(one);
  rig.model->SetPosition(0, 100);
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 4096 - 200);
  rig.bus.Write(1, Register::kPhase, 0x10);
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), -200);
  EXPECT_THROW(rig.bus.Write(1, Register::kHomingOffset, 2114), RangeError);
}

TEST(BusTest, GoalsAreClampedToPositionLimits) {
  Rig rig;
  const std::vector<int> one = {4};
  rig.bus.DisableTorque(one);
  rig.bus.Write(4, Register::kMinPositionLimit, 1000);
  rig.bus.Write(4, Register::kMaxPositionLimit, 3000);
  rig.bus.EnableTorque(one);
  rig.bus.Write(4, Register::kGoalPosition, 3500);
  EXPECT_EQ(rig.bus.Read(4, Register::kPresentPosition), 3000);
  EXPECT_EQ(rig.bus.Read(4, Register::kGoalPosition), 3500);  // stored as written
  rig.bus.Write(4, Register::kGoalPosition, 500);
  EXPECT_EQ(rig.bus.Read(4, Register::kPresentPosition), 1000);
  rig.bus.Write(4, Register::kGoalPosition, 2500);
  EXPECT_EQ(rig.bus.Read(4, Register::kPresentPosition), 2500);
}

TEST(BusTest, OutOfRangeValuesAreRefusedBeforeSending) {
  Rig rig;
  const int64_t packets = rig.emu.counters().packets;
  try {
    rig.bus.Write(1, Register::kGoalPosition, 4096);
    FAIL() << "Goal_Position 4096 sent";
  } catch (const RangeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Goal_Position"));
  }
  EXPECT_THROW(rig.bus.Write(1, Register::kGoalPosition, -1), RangeError);
  EXPECT_THROW(rig.bus.SyncWrite(Register::kGoalPosition, {{1, 2000}, {2, 5000}}), RangeError);
  EXPECT_THROW(rig.bus.Write(1, Register::kPresentPosition, 0), std::invalid_argument);
  EXPECT_THROW(rig.bus.Write(1, Register::kTorqueEnable, 128), RangeError);
  EXPECT_THROW(rig.bus.Write(300, Register::kGoalPosition, 0), std::invalid_argument);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(rig.emu.counters().packets, packets);
}

TEST(BusTest, SyncWriteAndSyncReadRoundTrip) {
  Rig rig;
  rig.bus.EnableTorque(kArmIds);
  const std::map<int, int> goals = {{1, 1000}, {2, 1500}, {3, 2000}, {4, 2500}, {5, 3000}, {6, 3500}};
  const int64_t replies = rig.emu.counters().replies;
  rig.bus.SyncWrite(Register::kGoalPosition, goals);
  const std::vector<int> order = {6, 1, 3, 2, 5, 4};
  const std::vector<int> present = rig.bus.SyncRead(Register::kPresentPosition, order);
  EXPECT_THAT(present, ElementsAre(3500, 1000, 2000, 1500, 3000, 2500));
  EXPECT_EQ(rig.emu.counters().replies, replies + 6);  // the sync write got none
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(rig.model->Position(i), 1000 + 500 * i);
  EXPECT_THAT(rig.bus.SyncRead(Register::kGoalPosition, kArmIds),
              ElementsAre(1000, 1500, 2000, 2500, 3000, 3500));
  // A missing servo fails the whole sync read, naming it.
  const std::vector<int> with_missing = {1, 9, 2};
  try {
    rig.bus.SyncRead(Register::kPresentPosition, with_missing);
    FAIL() << "sync read with a missing id succeeded";
  } catch (const CommError& e) {
    EXPECT_EQ(e.kind(), CommFailure::kTimeout);
    EXPECT_THAT(e.ids(), ElementsAre(9));
    EXPECT_THAT(e.what(), HasSubstr("id 9"));
  }
}

TEST(BusTest, CorruptChecksumIsCommErrorAndRetried) {
  Rig rig;
  rig.emu.CorruptReplies(2, 1);
  try {
    rig.bus.Read(2, Register::kPresentPosition);
    FAIL() << "corrupt reply accepted";
  } catch (const CommError& e) {
    EXPECT_EQ(e.kind(), CommFailure::kCorrupt);
    EXPECT_EQ(e.id(), 2);
    EXPECT_THAT(e.what(), HasSubstr("checksum"));
  }
  rig.emu.CorruptReplies(2, 1);
  EXPECT_EQ(rig.bus.Read(2, Register::kPresentPosition, 1), 2048);
  rig.emu.CorruptReplies(5, 1);
  EXPECT_THROW(rig.bus.SyncRead(Register::kPresentPosition, kArmIds), CommError);
}

TEST(BusTest, OverloadBitIsServoErrorWithoutRetry) {
  Rig rig;
  rig.emu.SetErrorBits(4, kErrOverload);
  const int64_t before = rig.emu.PacketsFor(4);
  try {
    rig.bus.Read(4, Register::kPresentPosition, /*num_retry=*/3);
    FAIL() << "ERR byte ignored";
  } catch (const ServoError& e) {
    EXPECT_EQ(e.id(), 4);
    EXPECT_EQ(e.error(), kErrOverload);
    EXPECT_THAT(e.what(), HasSubstr("overload"));
    EXPECT_THAT(e.what(), HasSubstr("id 4"));
  }
  EXPECT_EQ(rig.emu.PacketsFor(4), before + 1);  // no retry
  EXPECT_EQ(rig.bus.stats().retries, 0);
  EXPECT_THROW(rig.bus.Write(4, Register::kGoalPosition, 100, 3), ServoError);
  EXPECT_THROW(rig.bus.Ping(4), ServoError);
  EXPECT_THROW(rig.bus.SyncRead(Register::kPresentPosition, kArmIds), ServoError);
  // With an errors vector the positions stay readable.
  std::vector<uint8_t> errors;
  EXPECT_THAT(rig.bus.SyncRead(Register::kPresentPosition, kArmIds, 0, &errors),
              ElementsAreArray(std::vector<int>(6, 2048)));
  EXPECT_THAT(errors, ElementsAre(0, 0, 0, kErrOverload, 0, 0));
  rig.emu.SetErrorBits(4, 0);
  EXPECT_EQ(rig.bus.Read(4, Register::kPresentPosition), 2048);
}

TEST(BusTest, BroadcastPingFindsAllIds) {
  Rig rig;
  const std::map<int, int> found = rig.bus.BroadcastPing();
  ASSERT_EQ(found.size(), 6u);
  for (int id : kArmIds) EXPECT_EQ(found.at(id), kModelNumberSts3215) << "id " << id;
  rig.emu.SetConnected(2, false);
  rig.emu.SetConnected(5, false);
  EXPECT_EQ(rig.bus.BroadcastPing(), (std::map<int, int>{{1, 777}, {3, 777}, {4, 777}, {6, 777}}));
}

TEST(BusTest, ScanFindsServosAtTheirBaudOnly) {
  // Servos at 115200 (code 4); the host starts at 1 Mbps.
  Rig rig(Servos({1, 2, 3}, /*baud_code=*/4));
  EXPECT_THROW(rig.bus.Ping(1), CommError);  // wrong baud: silence
  EXPECT_GT(rig.emu.counters().wrong_baud, 0);
  const std::string port = rig.emu.port();
  rig.bus.serial_port().Close();  // Scan opens the port itself
  const std::vector<int> bauds = {1000000, 500000, 115200, 57600};
  const auto found = FeetechBus::Scan(port, bauds, BusOptions{.broadcast_wait_ms = 30.0});
  ASSERT_EQ(found.size(), 1u);
  ASSERT_TRUE(found.count(115200));
  EXPECT_EQ(found.at(115200), (std::map<int, int>{{1, 777}, {2, 777}, {3, 777}}));
  FeetechBus at_115200(port, 115200);
  EXPECT_EQ(at_115200.Ping(2), kModelNumberSts3215);
}

TEST(BusTest, BroadcastPingDefaultWaitIsLeRobots) {
  ServoBusEmulator emu(Opts(Servos({1})));
  FeetechBus bus(emu.port());
  EXPECT_NEAR(bus.BroadcastWaitMs(), 0.01 * 6 * 252 + 3 * 252 + 16, 1e-9);
  bus.SetBaud(4800);
  EXPECT_NEAR(bus.BroadcastWaitMs(), 10000.0 / 4800 * 6 * 252 + 3 * 252 + 16, 1e-9);
}

TEST(BusTest, BaudChangeByWriteAppliesAfterTheReply) {
  Rig rig(Servos({1}));
  const std::vector<int> one = {1};
  rig.bus.DisableTorque(one);
  rig.bus.Write(1, Register::kBaudRate, 4);  // answered at 1 Mbps
  EXPECT_THROW(rig.bus.Ping(1), CommError);
  rig.bus.SetBaud(115200);
  EXPECT_EQ(rig.bus.Ping(1), kModelNumberSts3215);
  EXPECT_EQ(rig.bus.Read(1, Register::kBaudRate), 4);
}

TEST(BusTest, TorqueOffGuardDisablesTorqueOnScopeExitAndOnException) {
  Rig rig;
  rig.bus.EnableTorque(kArmIds);
  try {
    TorqueOffGuard guard(rig.bus, kArmIds);
    for (int id : kArmIds) ASSERT_EQ(rig.emu.ReadRegister(id, Register::kTorqueEnable), 1);
    throw std::runtime_error("policy crashed");
  } catch (const std::runtime_error&) {
  }
  for (int id : kArmIds) {
    EXPECT_EQ(rig.emu.ReadRegister(id, Register::kTorqueEnable), 0) << "id " << id;
    EXPECT_EQ(rig.emu.ReadRegister(id, Register::kLock), 0) << "id " << id;
  }
  // Normal exit, with one servo unplugged: the others are still disabled and nothing throws.
  rig.bus.EnableTorque(kArmIds);
  rig.emu.SetConnected(3, false);
  { TorqueOffGuard guard(rig.bus, kArmIds, /*num_retry=*/1); }
  for (int id : kArmIds) {
    EXPECT_EQ(rig.emu.ReadRegister(id, Register::kTorqueEnable), id == 3 ? 1 : 0) << "id " << id;
  }
}

TEST(BusTest, TorqueOffGuardReachesEveryServoBeforeRetryingAnUnpluggedOne) {
  Rig rig;
  rig.bus.EnableTorque(kArmIds);
  rig.emu.SetConnected(1, false);  // per-id retries on id 1 take 6 x 50 ms before ids 2..6 get theirs
  const int64_t before = rig.emu.PacketsFor(6);
  auto guard = std::make_unique<TorqueOffGuard>(rig.bus, kArmIds, /*num_retry=*/5);
  std::thread release([&] { guard.reset(); });
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (rig.emu.ReadRegister(6, Register::kTorqueEnable) != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Turned off by the guard's first packet (one SYNC_WRITE to all), not by its per-id writes.
  EXPECT_EQ(rig.emu.PacketsFor(6) - before, 1);
  release.join();
  for (int id = 2; id <= 6; ++id) {
    EXPECT_EQ(rig.emu.ReadRegister(id, Register::kTorqueEnable), 0) << "id " << id;
    EXPECT_EQ(rig.emu.ReadRegister(id, Register::kLock), 0) << "id " << id;
  }
}

TEST(BusTest, EepromWritesIgnoredWhileLockedAndSetupIdFlow) {
  Rig rig(Servos({1}));                            // one factory servo, as lerobot-setup-motors connects them
  EXPECT_EQ(rig.bus.Read(1, Register::kLock), 1);  // locked at power-up
  rig.bus.Write(1, Register::kMaxPositionLimit, 3000);  // acknowledged, ignored
  EXPECT_EQ(rig.bus.Read(1, Register::kMaxPositionLimit), 4095);
  rig.bus.Write(1, Register::kId, 3);
  EXPECT_EQ(rig.bus.Ping(1), kModelNumberSts3215);
  EXPECT_THROW(rig.bus.Ping(3), CommError);
  // Setup-id: torque off (Torque_Enable=0, Lock=0), write ID, ping the new ID.
  const std::vector<int> one = {1};
  rig.bus.DisableTorque(one);
  rig.bus.Write(1, Register::kId, 3);
  EXPECT_EQ(rig.bus.Ping(3), kModelNumberSts3215);
  EXPECT_THROW(rig.bus.Ping(1), CommError);
  // Saved: survives a power cycle, which also locks it again.
  rig.emu.PowerCycle();
  EXPECT_EQ(rig.bus.Ping(3), kModelNumberSts3215);
  EXPECT_EQ(rig.bus.Read(3, Register::kLock), 1);
}

TEST(BusTest, VolatileLockModeLosesEepromWritesAtPowerCycle) {
  EmulatorOptions options;
  options.eeprom_lock = EepromLock::kVolatileWhileLocked;
  Rig rig(Servos({1}), options);
  rig.bus.Write(1, Register::kId, 3);  // locked: takes effect, not saved
  EXPECT_EQ(rig.bus.Ping(3), kModelNumberSts3215);
  rig.emu.PowerCycle();
  EXPECT_EQ(rig.bus.Ping(1), kModelNumberSts3215);
  EXPECT_THROW(rig.bus.Ping(3), CommError);
}

TEST(EmulatorTest, ToleratesGarbageAndPartialPackets) {
  ServoBusEmulator emu(Opts(Servos({1})));
  SerialPort port(emu.port(), kDefaultBaud);
  auto expect_pong = [&](const char* what) {
    Bytes got(6);
    const size_t n = port.ReadUntil(got, Clock::now() + std::chrono::milliseconds(200));
    EXPECT_EQ(n, 6u) << what;
    EXPECT_EQ(got, MakeStatus(1, 0, {})) << what;
  };
  // Garbage (including FF FF with an impossible length) before a ping.
  Bytes stream = {0x00, 0x13, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x42};
  const Bytes ping = MakePing(1);
  stream.insert(stream.end(), ping.begin(), ping.end());
  port.Write(stream);
  expect_pong("after garbage");
  // A packet split across writes.
  port.Write(Bytes(ping.begin(), ping.begin() + 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  port.Write(Bytes(ping.begin() + 3, ping.end()));
  expect_pong("split packet");
  // A truncated packet followed by silence is dropped; the next ping is answered.
  const Bytes read = MakeRead(1, 56, 2);
  port.Write(Bytes(read.begin(), read.begin() + 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  port.Write(ping);
  expect_pong("after a truncated packet");
  // A bogus header (LEN 32) swallows a complete ping; after 20 ms of silence the emulator resyncs and
  // finds it.
  Bytes bogus = {0xFF, 0xFF, 0x01, 0x20};
  bogus.insert(bogus.end(), ping.begin(), ping.end());
  port.Write(bogus);
  expect_pong("ping inside a bogus packet");
  // A READ whose reply could not fit a packet is ignored, and the servo stays alive.
  port.Write(MakeRead(1, 0, 250));
  port.Write(ping);
  expect_pong("after an oversized READ");
  // A bad checksum gets no reply.
  Bytes bad = ping;
  bad.back() ^= 0xFF;
  port.Write(bad);
  Bytes none(6);
  EXPECT_EQ(port.ReadUntil(none, Clock::now() + std::chrono::milliseconds(30)), 0u);
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  while (emu.counters().bad_checksum == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(emu.counters().bad_checksum, 1);
  EXPECT_GT(emu.counters().garbage_bytes, 0);
}

TEST(EmulatorTest, DuplicateIdsCollide) {
  std::vector<EmulatedServo> servos = Servos({1, 1});
  servos[0].initial_position = 1000;
  servos[1].initial_position = 3000;
  Rig rig(servos);
  try {
    rig.bus.Read(1, Register::kPresentPosition);
    FAIL() << "two servos with id 1 gave a clean reply";
  } catch (const CommError& e) {
    EXPECT_EQ(e.kind(), CommFailure::kCorrupt);
  }
  // Identical replies (PING, model number) superimpose cleanly, as on a real bus.
  EXPECT_EQ(rig.bus.Ping(1), kModelNumberSts3215);
}

TEST(EmulatorTest, ResponseStatusLevelZeroAnswersOnlyReads) {
  Rig rig(Servos({1}));
  rig.emu.WriteRegister(1, Register::kResponseStatusLevel, 0);
  EXPECT_THROW(rig.bus.Write(1, Register::kGoalPosition, 1000), CommError);  // applied, not answered
  EXPECT_EQ(rig.bus.Read(1, Register::kGoalPosition), 1000);
  EXPECT_EQ(rig.bus.Ping(1), kModelNumberSts3215);
}

TEST(EmulatorTest, FirstOrderMotionTakesTime) {
  Rig rig(Servos({1}), {}, FirstOrderMotionParams{4000.0, 0.05});  // ~0.14 s linear + ~0.3 s tail
  const std::vector<int> one = {1};
  rig.bus.EnableTorque(one);
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const auto t0 = Clock::now();
  rig.bus.Write(1, Register::kGoalPosition, 3048);
  const int early = rig.bus.Read(1, Register::kPresentPosition);
  const int moving = rig.bus.Read(1, Register::kMoving);
  const double t_early = since(t0);
  EXPECT_GE(early, 2048);
  EXPECT_LE(early, 2048 + 4000.0 * t_early + 1);  // never faster than max_speed
  if (t_early < 0.1) {                            // (a loaded machine may be slower than the servo)
    EXPECT_LT(early, 3048);
    EXPECT_EQ(moving, 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const int mid = rig.bus.Read(1, Register::kPresentPosition);
  const int velocity = rig.bus.Read(1, Register::kPresentVelocity);
  EXPECT_GT(mid, early);
  if (mid < 2800) {
    EXPECT_GT(velocity, 1000);  // ticks/s, still in the constant-speed phase
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 3048);
  EXPECT_EQ(rig.bus.Read(1, Register::kMoving), 0);
  // Torque off: it stays where it is even with a new goal.
  rig.bus.DisableTorque(one);
  rig.bus.Write(1, Register::kGoalPosition, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(rig.bus.Read(1, Register::kPresentPosition), 3048);
}

TEST(EmulatorTest, RealisticTimingDelaysReplies) {
  EmulatorOptions options;
  options.realistic_timing = true;
  Rig rig(Servos({1}), options);
  const auto t0 = Clock::now();
  for (int i = 0; i < 20; ++i) rig.bus.Read(1, Register::kPresentPosition);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  EXPECT_GE(ms, 20 * 0.5);  // Return_Delay_Time 250 = 0.5 ms per reply
}

}  // namespace
}  // namespace s2r::hw::feetech
