// TensorBoard event files written by hand (no protobuf, no TensorFlow): TFRecord framing of
// tensorflow.Event protos, as TensorBoard, tensorboardX and `wandb sync --sync-tensorboard` read them.
// Depends only on the standard library and src/core.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

namespace s2r::metrics {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven. `crc` continues a previous
// result: Crc32c(b, nb, Crc32c(a, na)) == Crc32c(a + b). Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);
// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t MaskCrc32c(uint32_t crc);

// The current time as Unix seconds (what Event.wall_time holds).
double UnixSeconds();

// Writes one TensorBoard event file:
//   <dir>/events.out.tfevents.<unix seconds, 10 digits>.<hostname>.<pid>.<counter>
// (the folder is created if missing). The first event is file_version "brain.Event:2". Each event is one
// TFRecord: uint64 length (LE) | uint32 masked crc32c(length) | Event bytes | uint32 masked crc32c(bytes).
//
// Buffered: an Add* flushes to the OS when at least a second passed since the last flush, Flush() and the
// destructor always do (no fsync). Thread-safe. Write errors (disk full) throw s2r::IoError naming the file.
class TbWriter {
 public:
  // Creates the folder and the file and writes the file_version event. Throws s2r::IoError naming the
  // folder or file when either cannot be created.
  explicit TbWriter(const std::string& dir);
  ~TbWriter();
  TbWriter(const TbWriter&) = delete;
  TbWriter& operator=(const TbWriter&) = delete;

  // One scalar: Summary.Value{tag, simple_value}. TensorBoard stores float32, so `value` is rounded to
  // float (beyond +-3.4e38 it becomes +-inf; NaN stays NaN). wall_time: Unix seconds, default now.
  void AddScalar(const std::string& tag, double value, int64_t step,
                 std::optional<double> wall_time = std::nullopt);
  // One text summary (TensorBoard's Text tab renders it as markdown, e.g. a hyperparameter table):
  // a scalar DT_STRING tensor with plugin "text". `markdown` is stored as given (UTF-8 expected).
  void AddText(const std::string& tag, const std::string& markdown, int64_t step,
               std::optional<double> wall_time = std::nullopt);
  // A SessionLog{status: START} event at `step`: TensorBoard (purge_orphaned_data, on by default) then
  // discards every event of the run with step >= `step` that it read before this one, so a run resumed
  // from an older checkpoint shows each step once.
  void AddSessionStart(int64_t step, std::optional<double> wall_time = std::nullopt);
  // Hands buffered events to the OS (fflush). Throws s2r::IoError naming the file on failure.
  void Flush();

  // The event file's path.
  const std::string& path() const { return path_; }

 private:
  // Frames `event` (serialized Event bytes) as one TFRecord and writes it; flushes if one is due.
  void WriteRecord(const std::string& event);
  void FlushLocked();

  std::mutex mu_;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace s2r::metrics
