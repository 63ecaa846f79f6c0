#include "metrics/tb_writer.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string_view>

#include "core/error.h"
#include "core/protobuf_wire.h"

namespace fs = std::filesystem;

namespace s2r::metrics {

// ---------------------------------------------------------------------------------------------
// CRC-32C

namespace {

constexpr std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrc32cTable = MakeCrc32cTable();

}  // namespace

uint32_t Crc32c(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  for (size_t i = 0; i < size; ++i) c = kCrc32cTable[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
  return ~c;
}

uint32_t MaskCrc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// Event protos (wire encoding: core/protobuf_wire.h)

namespace {

using namespace s2r::pb;

// Field numbers, from tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto.
namespace event {
constexpr uint32_t kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5, kSessionLog = 7;
}
namespace session_log {
constexpr uint32_t kStatus = 1;
constexpr int64_t kStart = 1;  // SessionLog.SessionStatus START
}  // namespace session_log
namespace summary {
constexpr uint32_t kValue = 1;
}
namespace value {
constexpr uint32_t kTag = 1, kSimpleValue = 2, kTensor = 8, kMetadata = 9;
}
namespace metadata {
constexpr uint32_t kPluginData = 1;
constexpr uint32_t kPluginName = 1;  // in PluginData
}  // namespace metadata
namespace tensor {
constexpr uint32_t kDtype = 1, kTensorShape = 2, kStringVal = 8;
constexpr uint64_t kDtString = 7;  // DataType DT_STRING
}  // namespace tensor

// Event{wall_time, step, <what>}; step is left out when 0, as proto3 serializers do.
std::string EventBytes(double wall_time, int64_t step, uint32_t what_field, std::string_view what) {
  std::string e;
  PutDouble(&e, event::kWallTime, wall_time);
  if (step != 0) PutInt64(&e, event::kStep, step);
  PutBytes(&e, what_field, what);
  return e;
}

// Summary{value: [value]}.
std::string SummaryOf(const std::string& value) {
  std::string s;
  PutBytes(&s, summary::kValue, value);
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TbWriter

TbWriter::TbWriter(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError("cannot create TensorBoard log folder '" + dir + "': " + ec.message());

  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  for (char* c = host; *c; ++c) {
    if (*c == '/') *c = '_';
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%010lld", static_cast<long long>(UnixSeconds()));
  // The counter keeps several writers of one process (and second) apart; "x" refuses an existing file.
  static std::atomic<unsigned> counter{0};
  int err = 0;
  for (int attempt = 0; attempt < 1000 && file_ == nullptr; ++attempt) {
    path_ = (fs::path(dir) / ("events.out.tfevents." + std::string(secs) + "." + host + "." +
                              std::to_string(::getpid()) + "." + std::to_string(counter++)))
                .string();
    file_ = std::fopen(path_.c_str(), "wbx");
    err = errno;
    if (file_ == nullptr && err != EEXIST) break;
  }
  if (file_ == nullptr)
    throw IoError("cannot create TensorBoard event file '" + path_ + "': " + std::strerror(err));

  try {
    std::lock_guard<std::mutex> lock(mu_);
    WriteRecord(EventBytes(UnixSeconds(), 0, event::kFileVersion, "brain.Event:2"));
    FlushLocked();
  } catch (...) {
    std::fclose(file_);
    std::remove(path_.c_str());
    file_ = nullptr;
    throw;
  }
}

TbWriter::~TbWriter() {
  if (file_ == nullptr) return;
  if (std::fclose(file_) != 0) {
    std::fprintf(stderr, "warning: closing TensorBoard event file '%s' failed: %s\n", path_.c_str(),
                 std::strerror(errno));
  }
}

void TbWriter::AddScalar(const std::string& tag, double value, int64_t step,
                         std::optional<double> wall_time) {
  std::string v;
  PutBytes(&v, value::kTag, tag);
  // Out of float range -> +-inf, explicitly (the plain conversion is undefined there). In a oneof, so
  // written even when 0.
  constexpr double kMax = std::numeric_limits<float>::max();
  const float f = value > kMax    ? std::numeric_limits<float>::infinity()
                  : value < -kMax ? -std::numeric_limits<float>::infinity()
                                  : static_cast<float>(value);
  PutFloat(&v, value::kSimpleValue, f);
  const std::string e = EventBytes(wall_time.value_or(UnixSeconds()), step, event::kSummary, SummaryOf(v));
  std::lock_guard<std::mutex> lock(mu_);
  WriteRecord(e);
}

void TbWriter::AddText(const std::string& tag, const std::string& markdown, int64_t step,
                       std::optional<double> wall_time) {
  // TensorProto{dtype: DT_STRING, tensor_shape: {} (rank 0, present but empty), string_val: [markdown]}.
  std::string t;
  PutKey(&t, tensor::kDtype, kVarint);
  PutVarint(&t, tensor::kDtString);
  PutBytes(&t, tensor::kTensorShape, "");
  PutBytes(&t, tensor::kStringVal, markdown);
  // SummaryMetadata{plugin_data: {plugin_name: "text"}}.
  std::string plugin;
  PutBytes(&plugin, metadata::kPluginName, "text");
  std::string meta;
  PutBytes(&meta, metadata::kPluginData, plugin);

  std::string v;
  PutBytes(&v, value::kTag, tag);
  PutBytes(&v, value::kTensor, t);
  PutBytes(&v, value::kMetadata, meta);
  const std::string e = EventBytes(wall_time.value_or(UnixSeconds()), step, event::kSummary, SummaryOf(v));
  std::lock_guard<std::mutex> lock(mu_);
  WriteRecord(e);
}

void TbWriter::AddSessionStart(int64_t step, std::optional<double> wall_time) {
  std::string log;
  PutInt64(&log, session_log::kStatus, session_log::kStart);
  const std::string e = EventBytes(wall_time.value_or(UnixSeconds()), step, event::kSessionLog, log);
  std::lock_guard<std::mutex> lock(mu_);
  WriteRecord(e);
  FlushLocked();
}

void TbWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
}

void TbWriter::FlushLocked() {
  if (std::fflush(file_) != 0) {
    throw IoError("cannot write TensorBoard event file '" + path_ + "': " + std::strerror(errno));
  }
  last_flush_ = std::chrono::steady_clock::now();
}

void TbWriter::WriteRecord(const std::string& event) {
  std::string rec;
  rec.reserve(event.size() + 16);
  PutLittleEndian(&rec, event.size(), 8);
  PutLittleEndian(&rec, MaskCrc32c(Crc32c(rec.data(), 8)), 4);
  rec.append(event);
  PutLittleEndian(&rec, MaskCrc32c(Crc32c(event.data(), event.size())), 4);
  if (std::fwrite(rec.data(), 1, rec.size(), file_) != rec.size()) {
    throw IoError("cannot write TensorBoard event file '" + path_ + "': " + std::strerror(errno));
  }
  if (std::chrono::steady_clock::now() - last_flush_ >= std::chrono::seconds(1)) FlushLocked();
}

}  // namespace s2r::metrics
