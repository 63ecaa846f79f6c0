#include "core/protobuf_wire.h"

#include <cstring>

#include "core/error.h"

namespace s2r::pb {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutKey(std::string* out, uint32_t field, WireType type) { PutVarint(out, (field << 3) | type); }

void PutLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutDouble(std::string* out, uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  PutKey(out, field, kFixed64);
  PutLittleEndian(out, bits, 8);
}

void PutFloat(std::string* out, uint32_t field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  PutKey(out, field, kFixed32);
  PutLittleEndian(out, bits, 4);
}

void PutInt64(std::string* out, uint32_t field, int64_t v) {
  PutKey(out, field, kVarint);
  PutVarint(out, static_cast<uint64_t>(v));
}

void PutBytes(std::string* out, uint32_t field, std::string_view bytes) {
  PutKey(out, field, kLengthDelimited);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

namespace {

uint64_t ReadVarint(std::string_view m, size_t* pos, const std::string& what) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= m.size()) throw IoError(what + ": truncated protobuf message (a varint runs past its end)");
    const auto byte = static_cast<uint8_t>(m[(*pos)++]);
    v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return v;
  }
  throw IoError(what + ": malformed protobuf message (a varint longer than 10 bytes)");
}

uint64_t ReadLittleEndian(std::string_view m, size_t* pos, int bytes, const std::string& what) {
  if (m.size() - *pos < static_cast<size_t>(bytes)) throw IoError(what + ": truncated protobuf message");
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(m[*pos + i])) << (8 * i);
  *pos += bytes;
  return v;
}

}  // namespace

bool NextField(std::string_view m, size_t* pos, Field* f, const std::string& what) {
  if (*pos >= m.size()) return false;
  const uint64_t key = ReadVarint(m, pos, what);
  f->number = static_cast<uint32_t>(key >> 3);
  f->type = static_cast<WireType>(key & 7);
  f->bytes = {};
  switch (f->type) {
    case kVarint:
      f->value = ReadVarint(m, pos, what);
      return true;
    case kFixed64:
      f->value = ReadLittleEndian(m, pos, 8, what);
      return true;
    case kFixed32:
      f->value = ReadLittleEndian(m, pos, 4, what);
      return true;
    case kLengthDelimited: {
      const uint64_t size = ReadVarint(m, pos, what);
      if (size > m.size() - *pos)
        throw IoError(what + ": truncated protobuf message (a field runs past its end)");
      f->bytes = m.substr(*pos, size);
      *pos += size;
      return true;
    }
  }
  throw IoError(what + ": malformed protobuf message (wire type " + std::to_string(key & 7) + ")");
}

}  // namespace s2r::pb
