#include "hw/feetech/protocol.h"

#include <cstdio>
#include <cstdlib>

namespace s2r::hw::feetech {

std::string InstructionName(uint8_t code) {
  switch (code) {
    case 0x01:
      return "PING";
    case 0x02:
      return "READ";
    case 0x03:
      return "WRITE";
    case 0x04:
      return "REG_WRITE";
    case 0x05:
      return "ACTION";
    case 0x82:
      return "SYNC_READ";
    case 0x83:
      return "SYNC_WRITE";
  }
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02X", code);
  return buf;
}

std::string ServoErrorNames(uint8_t error) {
  static constexpr struct {
    uint8_t bit;
    const char* name;
  } kNames[] = {{kErrInputVoltage, "input voltage"},
                {kErrAngleSensor, "angle sensor"},
                {kErrOverheat, "overheat"},
                {kErrOverCurrent, "over-current"},
                {kErrOverload, "overload"}};
  std::string out;
  for (int b = 0; b < 8; ++b) {
    const uint8_t bit = static_cast<uint8_t>(1u << b);
    if (!(error & bit)) continue;
    if (!out.empty()) out += ", ";
    const char* name = nullptr;
    for (const auto& n : kNames) {
      if (n.bit == bit) name = n.name;
    }
    if (name) {
      out += name;
    } else {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "bit 0x%02X", bit);
      out += buf;
    }
  }
  return out;
}

uint8_t Checksum(std::span<const uint8_t> body) {
  unsigned sum = 0;
  for (uint8_t b : body) sum += b;
  return static_cast<uint8_t>(~sum & 0xFF);
}

std::vector<uint8_t> EncodePacket(uint8_t id, uint8_t code, std::span<const uint8_t> params) {
  if (params.size() + kMinPacketBytes > kMaxPacketBytes) {
    throw std::invalid_argument("Feetech packet of " + std::to_string(params.size() + kMinPacketBytes) +
                                " bytes exceeds the " + std::to_string(kMaxPacketBytes) + "-byte maximum");
  }
  std::vector<uint8_t> p;
  p.reserve(params.size() + kMinPacketBytes);
  p.push_back(0xFF);
  p.push_back(0xFF);
  p.push_back(id);
  p.push_back(static_cast<uint8_t>(params.size() + 2));
  p.push_back(code);
  p.insert(p.end(), params.begin(), params.end());
  p.push_back(Checksum(std::span<const uint8_t>(p).subspan(2)));
  return p;
}

std::vector<uint8_t> MakePing(uint8_t id) { return EncodePacket(id, Code(Instruction::kPing), {}); }

std::vector<uint8_t> MakeRead(uint8_t id, uint8_t address, uint8_t length) {
  const uint8_t params[2] = {address, length};
  return EncodePacket(id, Code(Instruction::kRead), params);
}

std::vector<uint8_t> MakeWrite(uint8_t id, uint8_t address, std::span<const uint8_t> data) {
  std::vector<uint8_t> params;
  params.reserve(data.size() + 1);
  params.push_back(address);
  params.insert(params.end(), data.begin(), data.end());
  return EncodePacket(id, Code(Instruction::kWrite), params);
}

std::vector<uint8_t> MakeSyncRead(uint8_t address, uint8_t length, std::span<const uint8_t> ids) {
  std::vector<uint8_t> params;
  params.reserve(ids.size() + 2);
  params.push_back(address);
  params.push_back(length);
  params.insert(params.end(), ids.begin(), ids.end());
  return EncodePacket(kBroadcastId, Code(Instruction::kSyncRead), params);
}

std::vector<uint8_t> MakeSyncWrite(uint8_t address, uint8_t length, std::span<const uint8_t> ids,
                                   std::span<const uint8_t> data) {
  if (data.size() != ids.size() * length) {
    throw std::invalid_argument("SYNC_WRITE: " + std::to_string(data.size()) + " data bytes for " +
                                std::to_string(ids.size()) + " ids of " + std::to_string(length) + " bytes");
  }
  std::vector<uint8_t> params;
  params.reserve(ids.size() * (1 + length) + 2);
  params.push_back(address);
  params.push_back(length);
  for (size_t i = 0; i < ids.size(); ++i) {
    params.push_back(ids[i]);
    params.insert(params.end(), data.begin() + i * length, data.begin() + (i + 1) * length);
  }
  return EncodePacket(kBroadcastId, Code(Instruction::kSyncWrite), params);
}

std::vector<uint8_t> MakeStatus(uint8_t id, uint8_t error, std::span<const uint8_t> params) {
  return EncodePacket(id, error, params);
}

ParseResult ParsePacket(std::span<const uint8_t> bytes) {
  ParseResult r;
  size_t i = 0;
  while (true) {
    // Find FF FF at i.
    while (i + 1 < bytes.size() && !(bytes[i] == 0xFF && bytes[i + 1] == 0xFF)) ++i;
    if (i + 1 >= bytes.size()) {
      // Keep a trailing FF: it may start a header.
      r.consumed = (i < bytes.size() && bytes[i] == 0xFF) ? i : bytes.size();
      return r;
    }
    if (i + 4 > bytes.size()) {  // header seen, ID/LEN not yet
      r.consumed = i;
      return r;
    }
    const uint8_t id = bytes[i + 2];
    const uint8_t len = bytes[i + 3];
    if (id == 0xFF || len < 2 || len > kMaxLengthField) {
      ++i;  // not a real header: resync
      continue;
    }
    const size_t total = static_cast<size_t>(len) + 4;
    if (i + total > bytes.size()) {
      r.consumed = i;
      return r;
    }
    const auto body = bytes.subspan(i + 2, total - 3);
    r.packet.id = id;
    r.packet.code = bytes[i + 4];
    if (Checksum(body) != bytes[i + total - 1]) {
      r.status = ParseStatus::kBadChecksum;
      r.consumed = i + 2;
      return r;
    }
    r.packet.params.assign(bytes.begin() + i + 5, bytes.begin() + i + total - 1);
    r.status = ParseStatus::kPacket;
    r.consumed = i + total;
    return r;
  }
}

void PutLittleEndian(uint32_t value, int size, uint8_t* out) {
  for (int i = 0; i < size; ++i) out[i] = static_cast<uint8_t>((value >> (8 * i)) & 0xFF);
}

uint32_t GetLittleEndian(const uint8_t* bytes, int size) {
  uint32_t v = 0;
  for (int i = 0; i < size; ++i) v |= static_cast<uint32_t>(bytes[i]) << (8 * i);
  return v;
}

uint32_t EncodeSignMagnitude(int32_t value, int sign_bit) {
  const int64_t max_magnitude = (static_cast<int64_t>(1) << sign_bit) - 1;
  const int64_t magnitude = std::llabs(static_cast<int64_t>(value));
  if (magnitude > max_magnitude) {
    throw RangeError("Magnitude " + std::to_string(magnitude) + " exceeds " + std::to_string(max_magnitude) +
                     " (max for sign bit " + std::to_string(sign_bit) + ")");
  }
  return (value < 0 ? (static_cast<uint32_t>(1) << sign_bit) : 0u) | static_cast<uint32_t>(magnitude);
}

int32_t DecodeSignMagnitude(uint32_t raw, int sign_bit) {
  if (sign_bit < 31 && (static_cast<uint64_t>(raw) >> (sign_bit + 1)) != 0) {
    throw RangeError("Sign-magnitude value 0x" +
                     [&] {
                       char buf[16];
                       std::snprintf(buf, sizeof(buf), "%X", raw);
                       return std::string(buf);
                     }() +
                     " has bits above sign bit " + std::to_string(sign_bit));
  }
  const int32_t magnitude = static_cast<int32_t>(raw & ((uint32_t(1) << sign_bit) - 1));
  return ((raw >> sign_bit) & 1) ? -magnitude : magnitude;
}

uint32_t EncodeRegisterValue(Register reg, int32_t value) {
  const RegisterInfo& info = Info(reg);
  if (info.sign_bit >= 0) {
    try {
      return EncodeSignMagnitude(value, info.sign_bit);
    } catch (const RangeError& e) {
      throw RangeError(std::string(info.name) + ": " + e.what());
    }
  }
  const int64_t max = (static_cast<int64_t>(1) << (8 * info.size)) - 1;
  if (value < 0 || value > max) {
    throw RangeError(std::string(info.name) + ": value " + std::to_string(value) + " does not fit " +
                     std::to_string(info.size) + " unsigned byte(s) (0.." + std::to_string(max) + ")");
  }
  return static_cast<uint32_t>(value);
}

int32_t DecodeRegisterValue(Register reg, uint32_t raw) {
  const RegisterInfo& info = Info(reg);
  if (info.sign_bit < 0) return static_cast<int32_t>(raw);
  try {
    return DecodeSignMagnitude(raw, info.sign_bit);
  } catch (const RangeError& e) {
    throw RangeError(std::string(info.name) + ": " + e.what());
  }
}

void CheckWritable(Register reg, int32_t value) {
  const RegisterInfo& info = Info(reg);
  if (info.read_only) throw std::invalid_argument(std::string(info.name) + " is read-only");
  if (value < info.min_value || value > info.max_value) {
    throw RangeError(std::string(info.name) + ": value " + std::to_string(value) + " is outside " +
                     std::to_string(info.min_value) + ".." + std::to_string(info.max_value) +
                     "; nothing was sent");
  }
}

}  // namespace s2r::hw::feetech
