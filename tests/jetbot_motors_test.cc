// The Jetbot's motor stack: i2c-dev access, the PCA9685 and jetbot's set_motors on both boards, checked as
// golden register-write sequences on a recording fake bus (init, driving, release on every exit path, the
// watchdog on a clock the test controls, refusals before any write), and end to end against a PCA9685
// emulated behind a real FUSE file that the real driver and `sim2real motors drive` open as /dev/i2c-N.
#include "hw/jetbot_motors.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/i2c-dev.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"
#include "hw/i2c_dev.h"
#include "hw/pca9685.h"
#include "hw/virtual/pca9685_fuse.h"
#include "hw/virtual/pca9685_model.h"

namespace s2r::hw {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using Ops = std::vector<std::string>;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kQuantum = 1.0 / 255.0;  // jetbot's speed step

// Records every transaction as text ("addr 0x60", "w 06 00 00 00 10", "r 1"); reads answer
// `read_value`; the write numbered `fail_write` (counted from 1 after arming) throws I2cError(EIO).
class RecordingBus : public I2cBus {
 public:
  void SetAddress(int address) override { ops.push_back("addr " + HexAddress(address)); }
  void Write(std::span<const uint8_t> bytes) override {
    std::string s = "w";
    char b[4];
    for (uint8_t v : bytes) std::snprintf(b, sizeof b, " %02x", v), s += b;
    if (fail_write > 0 && ++writes_since_arm == fail_write) {
      ops.push_back(s + " NACK");
      throw I2cError(device_, 0x60, "write failed", EIO);
    }
    ops.push_back(s);
  }
  void Read(std::span<uint8_t> bytes) override {
    ops.push_back("r " + std::to_string(bytes.size()));
    for (uint8_t& v : bytes) v = read_value;
  }
  const std::string& device() const override { return device_; }
  void ArmFailure(int nth) { fail_write = nth, writes_since_arm = 0; }

  Ops ops;
  uint8_t read_value = 0x21;  // MODE1 after Init's first MODE1 write (ALLCALL | AI)
  int fail_write = 0, writes_since_arm = 0;

 private:
  std::string device_ = "/dev/i2c-fake";
};

const auto kNoWait = [](std::chrono::microseconds) {};

// Adafruit's setup at 1600 Hz: prescale round(25e6 / (4096 * 1600)) - 1 = 3.
const Ops kInitOps = {"addr 0x60",         "w 01 04", "w 00 21", "w fa 00 00 00 10", "w 00", "r 1",
                      "w 00 31" /*sleep*/, "w fe 03", "w 00 21", "w 00 a1" /*restart + AI*/};
// Release of MotorHAT motors 1 and 2: IN1 low, IN2 low, PWM full-off (LEDn_ON_L = 0x06 + 4n).
const Ops kReleaseOps = {"w 2e 00 00 00 10", "w 2a 00 00 00 10", "w 26 00 00 00 10",   // motor 1: 10, 9, 8
                         "w 32 00 00 00 10", "w 36 00 00 00 10", "w 3a 00 00 00 10"};  // motor 2: 11, 12, 13
// Waveshare: plus both extra pins full-off (motor 1: pins 1, 0; motor 2: pins 2, 3).
const Ops kWaveshareReleaseOps = {
    "w 2e 00 00 00 10", "w 2a 00 00 00 10", "w 26 00 00 00 10", "w 0a 00 00 00 10", "w 06 00 00 00 10",
    "w 32 00 00 00 10", "w 36 00 00 00 10", "w 3a 00 00 00 10", "w 0e 00 00 00 10", "w 12 00 00 00 10"};

Ops Concat(Ops a, const Ops& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

JetbotMotorsConfig Config(MotorBoard board = MotorBoard::kAdafruitMotorHat) {
  JetbotMotorsConfig c;
  c.board = board;
  return c;
}

TEST(Pca9685, PrescaleAsAdafruitComputesIt) {
  EXPECT_EQ(pca9685::PrescaleFor(1600), 3);  // the MotorHAT's request: 1526 Hz
  EXPECT_EQ(pca9685::PrescaleFor(200), 30);  // 0x1E, the power-on value
  EXPECT_EQ(pca9685::PrescaleFor(50), 121);
  EXPECT_NEAR(pca9685::FrequencyOf(3), 1525.9, 0.1);
}

TEST(JetbotMotors, InitThenReleaseIsTheGoldenSequence) {
  RecordingBus bus;
  JetbotMotors motors(bus, Config(), {}, kNoWait);
  EXPECT_THAT(bus.ops, ElementsAreArray(Concat(kInitOps, kReleaseOps)));
  EXPECT_TRUE(motors.released());
}

TEST(JetbotMotors, SetMotorsOnTheMotorHatWritesJetbotsSequence) {
  RecordingBus bus;
  JetbotMotors motors(bus, Config(), {}, kNoWait);
  bus.ops.clear();
  motors.SetMotors(0.5, -0.5);  // mapped 127 / -127 -> speed 127 -> duty 2032 = 0x07f0
  EXPECT_THAT(bus.ops, ElementsAre("w 26 00 00 f0 07",                        // left PWM (pin 8)
                                   "w 2e 00 00 00 10", "w 2a 00 10 00 00",    // BACKWARD: IN1 low, IN2 high
                                   "w 3a 00 00 f0 07",                        // right PWM (pin 13)
                                   "w 36 00 00 00 10", "w 32 00 10 00 00"));  // FORWARD: IN2 low, IN1 high
  EXPECT_FALSE(motors.released());
  bus.ops.clear();
  motors.SetMotors(0.1, 1.0);  // jetbot's example: speed 25 -> 400 = 0x190; full speed 255 -> 4080 = 0xff0
  EXPECT_EQ(bus.ops[0], "w 26 00 00 90 01");
  EXPECT_EQ(bus.ops[3], "w 3a 00 00 f0 0f");
}

TEST(JetbotMotors, SetMotorsOnTheWaveshareBoardAlsoDrivesItsPins) {
  RecordingBus bus;
  JetbotMotors motors(bus, Config(MotorBoard::kWaveshareJetbot), {}, kNoWait);
  EXPECT_THAT(bus.ops, ElementsAreArray(Concat(kInitOps, kWaveshareReleaseOps)));
  bus.ops.clear();
  motors.SetMotors(0.5, -0.5);
  EXPECT_THAT(bus.ops, ElementsAre("w 26 00 00 f0 07", "w 2e 00 00 00 10", "w 2a 00 10 00 00",
                                   "w 0a 00 00 f0 07", "w 06 00 00 00 00",  // mapped >= 0: IN_A (1) = duty
                                   "w 3a 00 00 f0 07", "w 36 00 00 00 10", "w 32 00 10 00 00",
                                   "w 0e 00 00 00 00", "w 12 00 00 f0 07"));  // mapped < 0: IN_B (3) = duty
}

TEST(JetbotMotors, AlphaBetaAndTruncationFollowJetbot) {
  EXPECT_EQ(MapMotorValue(-0.001, 1, 0).mapped, 0);  // int() truncates toward 0: "backward" at speed 0
  EXPECT_EQ(MapMotorValue(0.5, -1, 0).mapped, -127);
  const MotorCommand clamped = MapMotorValue(1.0, 1.0, 0.5);  // 382 -> speed 255
  EXPECT_EQ(clamped.speed, 255);
  EXPECT_EQ(clamped.duty, 4080);
  RecordingBus bus;
  JetbotMotorsConfig c = Config();
  c.left_alpha = -1;  // a motor wired the other way round
  JetbotMotors motors(bus, c, {}, kNoWait);
  bus.ops.clear();
  motors.SetMotors(0.5, 0.5);
  EXPECT_THAT(Ops(bus.ops.begin(), bus.ops.begin() + 3),
              ElementsAre("w 26 00 00 f0 07", "w 2a 00 00 00 10", "w 2e 00 10 00 00"));  // left reversed
}

TEST(JetbotMotors, BadValuesAreRefusedBeforeAnyWrite) {
  RecordingBus bus;
  JetbotMotors motors(bus, Config(), {}, kNoWait);
  motors.SetMotors(0.3, 0.3);
  bus.ops.clear();
  for (auto [l, r] : {std::pair{kNan, 0.0}, std::pair{0.0, kInf}, std::pair{1.01, 0.0}, std::pair{0.0, -1.5},
                      std::pair{-kInf, kNan}}) {
    try {
      motors.SetMotors(l, r);
      ADD_FAILURE() << "accepted " << l << ", " << r;
    } catch (const MotorValueError& e) {
      EXPECT_THAT(e.what(), HasSubstr("expected a finite value in [-1, 1]"));
    }
  }
  EXPECT_TRUE(bus.ops.empty()) << bus.ops.front();
}

TEST(JetbotMotors, BadConfigIsRefusedBeforeTheBusIsTouched) {
  RecordingBus bus;
  JetbotMotorsConfig c = Config();
  c.address = 0x90;
  EXPECT_THROW(JetbotMotors(bus, c, {}, kNoWait), ConfigError);
  c = Config();
  c.right_motor = 1;
  EXPECT_THROW(JetbotMotors(bus, c, {}, kNoWait), ConfigError);
  c = Config();
  c.left_beta = kNan;
  EXPECT_THROW(JetbotMotors(bus, c, {}, kNoWait), ConfigError);
  EXPECT_TRUE(bus.ops.empty());
  EXPECT_THROW(ParseMotorBoard("sparkfun", "--board"), ConfigError);
}

TEST(JetbotMotors, DestructorReleases) {
  RecordingBus bus;
  {
    JetbotMotors motors(bus, Config(), {}, kNoWait);
    motors.SetMotors(0.7, 0.7);
    bus.ops.clear();
  }
  EXPECT_THAT(bus.ops, ElementsAreArray(kReleaseOps));
}

TEST(JetbotMotors, AnExceptionInTheCallerReleasesThroughTheDestructor) {
  RecordingBus bus;
  try {
    JetbotMotors motors(bus, Config(), {}, kNoWait);
    motors.SetMotors(0.7, -0.2);
    bus.ops.clear();
    throw std::runtime_error("policy failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_THAT(bus.ops, ElementsAreArray(kReleaseOps));
}

TEST(JetbotMotors, AFailedWriteReleasesAndRethrows) {
  RecordingBus bus;
  JetbotMotors motors(bus, Config(), {}, kNoWait);
  bus.ops.clear();
  bus.ArmFailure(4);  // the right motor's PWM write NACKs
  EXPECT_THROW(motors.SetMotors(0.5, 0.5), I2cError);
  ASSERT_EQ(bus.ops.size(), 4u + kReleaseOps.size());
  EXPECT_THAT(bus.ops[3], HasSubstr("NACK"));
  EXPECT_THAT(Ops(bus.ops.begin() + 4, bus.ops.end()), ElementsAreArray(kReleaseOps));
  EXPECT_TRUE(motors.released());
}

TEST(JetbotMotors, WatchdogReleasesAfterTheTimeoutOnTheTestsClock) {
  using std::chrono::milliseconds;
  auto now = std::chrono::steady_clock::time_point{};
  RecordingBus bus;
  JetbotMotors motors(
      bus, Config(), [&now] { return now; }, kNoWait);
  EXPECT_FALSE(motors.Poll());  // released: nothing to do
  motors.SetMotors(0.4, 0.4);
  bus.ops.clear();
  now += milliseconds(250);
  EXPECT_FALSE(motors.Poll());  // exactly the timeout: still fine
  EXPECT_TRUE(bus.ops.empty());
  now += milliseconds(1);
  EXPECT_TRUE(motors.Poll());
  EXPECT_THAT(bus.ops, ElementsAreArray(kReleaseOps));
  EXPECT_TRUE(motors.released());
  EXPECT_FALSE(motors.Poll());  // once
  EXPECT_EQ(motors.watchdog_releases(), 1);
  motors.SetMotors(0.4, 0.4);  // a new command drives again and re-arms
  now += milliseconds(200);
  EXPECT_FALSE(motors.Poll());
  motors.SetMotors(0.4, 0.4);
  now += milliseconds(200);
  EXPECT_FALSE(motors.Poll());  // fed in time
  EXPECT_FALSE(motors.released());
}

TEST(Pca9685Model, RegisterSemantics) {
  Pca9685Model m;
  EXPECT_EQ(m.reg(pca9685::kMode1), 0x11);  // power-on: asleep, ALLCALL
  EXPECT_EQ(m.reg(pca9685::kPreScale), 0x1E);
  const uint8_t prescale_awake[] = {0xFE, 0x03};
  const uint8_t wake[] = {0x00, 0x01};
  m.Write(wake);
  m.Write(prescale_awake);
  EXPECT_EQ(m.reg(pca9685::kPreScale), 0x1E);  // ignored while the oscillator runs
  const uint8_t no_ai[] = {0x06, 0x11, 0x22};  // without AI both bytes land in LED0_ON_L
  m.Write(no_ai);
  EXPECT_EQ(m.reg(0x06), 0x22);
  EXPECT_EQ(m.reg(0x07), 0x00);
  const uint8_t ai[] = {0x00, 0x21};
  m.Write(ai);
  const uint8_t led[] = {0x06, 0x00, 0x00, 0x00, 0x08};  // LED0 on 0, off 2048: half duty
  m.Write(led);
  EXPECT_DOUBLE_EQ(m.Output(0).duty, 0.5);
  const uint8_t full_on[] = {0x06, 0x00, 0x10, 0x00, 0x10};  // full-on and full-off: off wins
  m.Write(full_on);
  EXPECT_EQ(m.Output(0).counts, 0);
  const uint8_t sleep[] = {0x00, 0x31}, prescale[] = {0xFE, 0x03};
  m.Write(sleep);
  m.Write(prescale);
  EXPECT_EQ(m.reg(pca9685::kPreScale), 0x03);
  const uint8_t pointer[] = {0xFE};
  uint8_t back[2];
  m.Write(pointer);
  m.Read(back);  // auto-increment: PRE_SCALE then the test-mode register
  EXPECT_EQ(back[0], 0x03);
}

// An I2C bus whose one target is a Pca9685Model at 0x60, in-process: the driver's writes land in the
// model's registers as they would through i2c-dev.
class ModelBus : public I2cBus {
 public:
  void SetAddress(int address) override { address_ = address; }
  void Write(std::span<const uint8_t> bytes) override {
    Check();
    model.Write(bytes);
  }
  void Read(std::span<uint8_t> bytes) override {
    Check();
    model.Read(bytes);
  }
  const std::string& device() const override { return device_; }
  Pca9685Model model;

 private:
  void Check() const {
    if (address_ != 0x60) throw I2cError(device_, address_, "no ACK", EIO);
  }
  int address_ = -1;
  std::string device_ = "/dev/i2c-model";
};

// The virtual Jetbot decodes the chip's outputs with Pca9685Model::Motor: for every value the driver can be
// given, on both boards and any MotorHAT motor pair, the decoded value is jetbot's mapped speed over 255
// with the sign of the direction pins (so int(255 * decoded) gives the mapped value back), the duty is the
// written PWM fraction, and a release decodes as released and 0 (on the Waveshare board, which has no
// direction pins of its own, speed 0 is a release too).
TEST(Pca9685Model, DecodingIsTheExactInverseOfTheDriversWritesOnBothBoards) {
  for (MotorBoard board : {MotorBoard::kAdafruitMotorHat, MotorBoard::kWaveshareJetbot}) {
    for (auto [lm, rm] : {std::pair{1, 2}, std::pair{3, 4}, std::pair{2, 1}}) {
      if (board == MotorBoard::kWaveshareJetbot && lm != 1) continue;  // its board wires channels 1 and 2
      SCOPED_TRACE(MotorBoardName(board) + " motors " + std::to_string(lm) + "/" + std::to_string(rm));
      ModelBus bus;
      JetbotMotorsConfig c = Config(board);
      c.left_motor = lm, c.right_motor = rm;
      JetbotMotors motors(bus, c, {}, kNoWait);
      EXPECT_TRUE(bus.model.Motor(board, lm).released);
      EXPECT_TRUE(bus.model.Motor(board, rm).released);
      int checked = 0;
      for (int k = -1000; k <= 1000; k += 7) {
        const double left = k / 1000.0, right = -0.73 * left;
        motors.SetMotors(left, right);
        for (auto [m, v] : {std::pair{lm, left}, std::pair{rm, right}}) {
          const MotorCommand want = MapMotorValue(v, 1.0, 0.0);
          const MotorOutput got = bus.model.Motor(board, m);
          // On the Waveshare board speed 0 drives both inputs low: electrically a release (coasting).
          ASSERT_EQ(got.released, board == MotorBoard::kWaveshareJetbot && want.mapped == 0) << v;
          ASSERT_NEAR(got.value * 255.0, want.mapped, 1e-9) << v;
          ASSERT_EQ(static_cast<int>(std::lround(255.0 * got.value)), want.mapped) << v;
          ASSERT_NEAR(got.duty, (want.mapped < 0 ? -1 : 1) * want.duty / 4096.0, 1e-12) << v;
          ASSERT_EQ(got.value > 0, want.mapped > 0) << "direction of " << v;
          ++checked;
        }
      }
      EXPECT_EQ(checked, 2 * 286);
      motors.Release();
      for (int m : {lm, rm}) {
        EXPECT_TRUE(bus.model.Motor(board, m).released);
        EXPECT_EQ(bus.model.Motor(board, m).value, 0.0);
      }
    }
  }
}

// ---- end to end against the FUSE file ----

bool FuseUsable() { return ::access("/dev/fuse", R_OK | W_OK) == 0 && ::geteuid() == 0; }

struct TempDir {
  TempDir() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / ("s2r_i2c_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

class FuseI2c : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FuseUsable()) GTEST_SKIP() << "needs root and /dev/fuse";
  }
  std::unique_ptr<Pca9685FuseDevice> Mount(MotorBoard board = MotorBoard::kAdafruitMotorHat) {
    VirtualPca9685Options o;
    o.board = board;
    return std::make_unique<Pca9685FuseDevice>((dir_.path / "i2c-1").string(), o);
  }
  TempDir dir_;
};

TEST_F(FuseI2c, TheFileAnswersI2cSlaveAndPlainWriteRead) {
  auto dev = Mount();
  const int fd = ::open(dev->path().c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const uint8_t pointer = 0x00;
  EXPECT_EQ(::write(fd, &pointer, 1), -1);  // no address selected yet
  EXPECT_EQ(errno, EIO);
  ASSERT_EQ(::ioctl(fd, I2C_SLAVE, 0x60), 0) << std::strerror(errno);  // the arg value reaches the daemon
  ASSERT_EQ(::write(fd, &pointer, 1), 1);
  uint8_t mode1 = 0;
  ASSERT_EQ(::read(fd, &mode1, 1), 1);
  EXPECT_EQ(mode1, 0x11);                         // power-on MODE1
  EXPECT_EQ(::ioctl(fd, I2C_RDWR, nullptr), -1);  // pointer-passing ioctls are not served
  ASSERT_EQ(::ioctl(fd, I2C_SLAVE, 0x41), 0);
  EXPECT_EQ(::write(fd, &pointer, 1), -1);
  EXPECT_EQ(errno, EIO);
  ::close(fd);
  EXPECT_EQ(dev->transactions(), 2);
  EXPECT_EQ(dev->nacks(), 2);
}

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + path + " ") != std::string::npos) return true;
  return false;
}

TEST_F(FuseI2c, TheMountIsRemovedOnEveryExitPath) {
  const std::string path = (dir_.path / "i2c-1").string();
  try {
    Pca9685FuseDevice dev(path);
    ASSERT_TRUE(IsMountPoint(path));
    throw std::runtime_error("test failed mid-way");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(IsMountPoint(path));
  // Stopped while a client still holds the file open: no hang, the client's next transfer fails.
  auto dev = Mount();
  I2cDev bus(path);
  bus.SetAddress(0x60);
  dev->Stop();
  EXPECT_FALSE(IsMountPoint(path));
  const uint8_t pointer = 0;
  EXPECT_THROW(bus.Write(std::span<const uint8_t>(&pointer, 1)), I2cError);
}

TEST_F(FuseI2c, TheDriverDrivesAndReleasesTheVirtualBoard) {
  for (MotorBoard board : {MotorBoard::kAdafruitMotorHat, MotorBoard::kWaveshareJetbot}) {
    SCOPED_TRACE(MotorBoardName(board));
    auto dev = Mount(board);
    {
      I2cDev bus(dev->path());
      JetbotMotorsConfig c = Config(board);
      JetbotMotors motors(bus, c, {}, kNoWait);
      const Pca9685Model regs = dev->registers();
      EXPECT_EQ(regs.reg(pca9685::kPreScale), 3);  // 1526 Hz, written while asleep
      EXPECT_FALSE(regs.asleep());
      EXPECT_TRUE(regs.reg(pca9685::kMode1) & pca9685::kAutoIncrement);
      motors.SetMotors(0.5, -0.5);
      EXPECT_NEAR(dev->left().value, 0.5, kQuantum);
      EXPECT_NEAR(dev->right().value, -0.5, kQuantum);
      EXPECT_FALSE(dev->left().released);
      EXPECT_FALSE(dev->right().released);
      motors.SetMotors(-0.25, 1.0);
      EXPECT_NEAR(dev->left().value, -0.25, kQuantum);
      EXPECT_NEAR(dev->right().value, 1.0, kQuantum);
      motors.Release();
      EXPECT_TRUE(dev->left().released);
      EXPECT_TRUE(dev->right().released);
      EXPECT_EQ(dev->left().value, 0.0);
      motors.SetMotors(0.3, 0.3);
      EXPECT_FALSE(dev->right().released);
    }  // destructor
    EXPECT_TRUE(dev->left().released);
    EXPECT_TRUE(dev->right().released);
  }
}

TEST_F(FuseI2c, AnotherAddressIsATypedEioNamingDeviceAndAddress) {
  auto dev = Mount();
  I2cDev bus(dev->path());
  JetbotMotorsConfig c = Config();
  c.address = 0x41;
  try {
    JetbotMotors motors(bus, c, {}, kNoWait);
    FAIL() << "no error";
  } catch (const I2cError& e) {
    EXPECT_EQ(e.error_code(), EIO);
    EXPECT_EQ(e.address(), 0x41);
    EXPECT_THAT(e.what(), HasSubstr(dev->path()));
    EXPECT_THAT(e.what(), HasSubstr("address 0x41"));
    EXPECT_THAT(e.what(), HasSubstr("i2cdetect -y 1"));
  }
  EXPECT_EQ(dev->transactions(), 0);
  EXPECT_GE(dev->nacks(), 3);  // bounded retries: 3 tries, then the error
}

TEST(I2cDev, AMissingDeviceIsATypedErrorWithAHint) {
  try {
    I2cDev bus("/nonexistent/i2c-7");
    FAIL() << "opened";
  } catch (const I2cError& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/i2c-7"));
  }
  EXPECT_EQ(BusNumberOf("/dev/i2c-7"), 7);
  EXPECT_EQ(HexAddress(0x60), "0x60");
}

nlohmann::json LastJsonLine(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '{') last = line;
  return last.empty() ? nlohmann::json() : nlohmann::json::parse(last);
}

TEST_F(FuseI2c, DriveCommandDrivesThenReleases) {
  auto dev = Mount();
  const auto r = testing::RunCli(
      "motors drive --robot jetbot --i2c " + dev->path() + " --left 0.4 --right -0.6 --seconds 0.3 --json",
      false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = LastJsonLine(r.out);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["released"], true);
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_EQ(j["address"], "0x60");
  EXPECT_DOUBLE_EQ(j["left"].get<double>(), 0.4);
  EXPECT_GE(j["duration_s"].get<double>(), 0.3);
  bool drove = false;
  for (const MotorSample& s : dev->history())
    drove |= !s.left.released && std::abs(s.left.value - 0.4) <= kQuantum &&
             std::abs(s.right.value + 0.6) <= kQuantum;
  EXPECT_TRUE(drove);
  EXPECT_TRUE(dev->left().released);
  EXPECT_TRUE(dev->right().released);
}

TEST_F(FuseI2c, SigintDuringADriveReleasesAndExits130) {
  auto dev = Mount(MotorBoard::kWaveshareJetbot);
  const std::string out_file = (dir_.path / "out.json").string();
  const pid_t pid =
      s2r::testing::SpawnCli({"motors", "drive", "--robot", "jetbot", "--i2c", dev->path(), "--board",
                              "waveshare", "--left", "0.5", "--right", "0.5", "--seconds", "60", "--json"},
                             out_file);
  ASSERT_GT(pid, 0);
  const auto start = std::chrono::steady_clock::now();
  // Waits for the child (another process) to start driving: real time is the child's, not a test clock.
  while (dev->left().released && std::chrono::steady_clock::now() - start < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NEAR(dev->left().value, 0.5, kQuantum);
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_TRUE(dev->left().released);
  EXPECT_TRUE(dev->right().released);
  std::ifstream in(out_file);
  std::stringstream s;
  s << in.rdbuf();
  const nlohmann::json j = LastJsonLine(s.str());
  ASSERT_TRUE(j.is_object()) << s.str();
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_EQ(j["released"], true);
}

TEST(DriveCli, BadFlagsExit2WithOneLineNamingTheFlag) {
  const std::pair<std::string, std::string> cases[] = {
      {"--left 1.5 --right 0 --seconds 1", "--left"},
      {"--left 0 --right nan --seconds 1", "--right"},
      {"--left 0 --right 0 --seconds -1", "--seconds"},
      {"--left 0 --right 0 --seconds 1 --address 0x99", "--address"},
      {"--left 0 --right 0 --seconds 1 --board sparkfun", "--board"},
      {"--left 0 --right 0 --seconds 1 --robot so100", "--robot"},
      {"--right 0 --seconds 1", "--left"},
  };
  for (const auto& [args, flag] : cases) {
    const auto r = testing::RunCli("motors drive --i2c /nonexistent/i2c-1 " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(flag)) << args;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  const auto r = testing::RunCli("motors drive --i2c /nonexistent/i2c-1 --left 0 --right 0 --seconds 1");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("/nonexistent/i2c-1"));
  const auto help = testing::RunCli("motors drive --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--watchdog-s"));
}

}  // namespace
}  // namespace s2r::hw
