// Protobuf wire encoding, the few field kinds sim2real writes by hand (TensorBoard event files, ONNX
// models). Appends to a std::string; little-endian whatever the host's byte order. A tiny reader walks the
// top-level fields of a message (enough to read an ONNX model's metadata back). Standard library only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace s2r::pb {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void PutVarint(std::string* out, uint64_t v);
void PutKey(std::string* out, uint32_t field, WireType type);
void PutLittleEndian(std::string* out, uint64_t v, int bytes);
void PutDouble(std::string* out, uint32_t field, double v);
void PutFloat(std::string* out, uint32_t field, float v);
// int64 (and enums, bools) as protobuf does: two's complement, so a negative value takes 10 bytes.
void PutInt64(std::string* out, uint32_t field, int64_t v);
// A string, bytes or embedded message field.
void PutBytes(std::string* out, uint32_t field, std::string_view bytes);

// One field of a message: its number, wire type, and either its varint/fixed value or its bytes.
struct Field {
  uint32_t number = 0;
  WireType type = kVarint;
  uint64_t value = 0;      // kVarint, kFixed32, kFixed64
  std::string_view bytes;  // kLengthDelimited (a view into the message)
};

// Reads the next field of `message` at *pos and advances *pos; false at the end. Throws IoError on a
// truncated or malformed message (what names it).
bool NextField(std::string_view message, size_t* pos, Field* field, const std::string& what);

}  // namespace s2r::pb
