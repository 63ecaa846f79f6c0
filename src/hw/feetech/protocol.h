// Feetech "protocol 0" (STS series) packets, as the scservo SDK and LeRobot use them:
//   instruction: FF FF | ID | LEN | INSTR | P1..Pn | CHK      (LEN = n + 2)
//   status:      FF FF | ID | LEN | ERR   | P1..Pn | CHK
//   CHK = ~(ID + LEN + INSTR/ERR + sum(P)) & 0xFF
// plus little-endian and sign-magnitude value coding and the servo error bits. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hw/feetech/control_table.h"

namespace s2r::hw::feetech {

inline constexpr uint8_t kBroadcastId = 0xFE;
inline constexpr uint8_t kMaxId = 0xFC;          // highest normal ID (252)
inline constexpr size_t kMaxPacketBytes = 250;   // longest packet the SDK sends
inline constexpr size_t kMinPacketBytes = 6;     // FF FF ID LEN CODE CHK
inline constexpr uint8_t kMaxLengthField = 250;  // largest LEN a receiver accepts (SDK RXPACKET_MAX_LEN)

enum class Instruction : uint8_t {
  kPing = 0x01,
  kRead = 0x02,
  kWrite = 0x03,
  kRegWrite = 0x04,  // in the SDK, not used by LeRobot (the emulator ignores it)
  kAction = 0x05,    // idem
  kSyncRead = 0x82,
  kSyncWrite = 0x83,
};
constexpr uint8_t Code(Instruction i) { return static_cast<uint8_t>(i); }
std::string InstructionName(uint8_t code);  // "PING", ..., "0x42" for unknown codes

// Servo ERR byte bits.
inline constexpr uint8_t kErrInputVoltage = 0x01;
inline constexpr uint8_t kErrAngleSensor = 0x02;
inline constexpr uint8_t kErrOverheat = 0x04;
inline constexpr uint8_t kErrOverCurrent = 0x08;
inline constexpr uint8_t kErrOverload = 0x20;
// "overload" / "input voltage, overheat"; unnamed bits as "bit 0x10"; "" for 0.
std::string ServoErrorNames(uint8_t error);

// A value that does not fit a register or its encoding. Thrown before anything is sent.
class RangeError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

// ---------------------------------------------------------------------------------------------
// Packets

uint8_t Checksum(std::span<const uint8_t> body);  // body = ID..last param (no header, no CHK)

// FF FF id LEN code params CHK. Throws std::invalid_argument if the packet would exceed 250 bytes.
std::vector<uint8_t> EncodePacket(uint8_t id, uint8_t code, std::span<const uint8_t> params);

std::vector<uint8_t> MakePing(uint8_t id);
std::vector<uint8_t> MakeRead(uint8_t id, uint8_t address, uint8_t length);
std::vector<uint8_t> MakeWrite(uint8_t id, uint8_t address, std::span<const uint8_t> data);
// SYNC_READ to 0xFE: addr, length, ids...
std::vector<uint8_t> MakeSyncRead(uint8_t address, uint8_t length, std::span<const uint8_t> ids);
// SYNC_WRITE to 0xFE: addr, length, then [id, data(length)] per id; data holds ids.size() * length bytes.
std::vector<uint8_t> MakeSyncWrite(uint8_t address, uint8_t length, std::span<const uint8_t> ids,
                                   std::span<const uint8_t> data);
std::vector<uint8_t> MakeStatus(uint8_t id, uint8_t error, std::span<const uint8_t> params);

struct Packet {
  uint8_t id = 0;
  uint8_t code = 0;  // instruction (host -> servo) or ERR (servo -> host)
  std::vector<uint8_t> params;
};

enum class ParseStatus {
  kPacket,       // a valid packet; consumed = garbage before it + the packet
  kNeedMore,     // no complete packet yet; consumed = garbage that can be dropped
  kBadChecksum,  // a complete packet with a wrong CHK; consumed = garbage + its 2 header bytes (resync)
};
struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;
  Packet packet;  // kPacket: the packet; kBadChecksum: its (untrusted) id and code
};
// Finds the first packet in `bytes`. Garbage before an FF FF header is skipped, and so is a header whose
// ID is 0xFF or whose LEN is < 2 or > 250 (the parser then resyncs on the next FF FF).
ParseResult ParsePacket(std::span<const uint8_t> bytes);

// ---------------------------------------------------------------------------------------------
// Values

// Little-endian, size 1..4 bytes.
void PutLittleEndian(uint32_t value, int size, uint8_t* out);
uint32_t GetLittleEndian(const uint8_t* bytes, int size);

// Sign-magnitude with the sign at `sign_bit`: (neg << sign_bit) | |v|. Throws RangeError if
// |value| >= 2^sign_bit (e.g. "Magnitude 2114 exceeds 2047").
uint32_t EncodeSignMagnitude(int32_t value, int sign_bit);
// Throws RangeError if raw has bits above sign_bit set (not a valid encoding).
int32_t DecodeSignMagnitude(uint32_t raw, int sign_bit);

// Register value <-> raw register bytes value (sign-magnitude where the register has a sign bit). Encode
// checks that the value fits the register's size/encoding, not the register's write range.
uint32_t EncodeRegisterValue(Register reg, int32_t value);
int32_t DecodeRegisterValue(Register reg, uint32_t raw);
// Throws RangeError (value outside the register's write range) or std::invalid_argument (read-only),
// naming the register, the value and the range.
void CheckWritable(Register reg, int32_t value);

}  // namespace s2r::hw::feetech
