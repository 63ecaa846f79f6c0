// A plain-text copy of the training scalars: a long-format CSV table `step,tag,value,wall_time`, one row per
// scalar, appended as they arrive and flushed row by row, so a crash keeps everything logged before it.
// Depends only on the standard library and src/core.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace s2r::metrics {

// The header line (without the newline).
inline constexpr char kCsvHeader[] = "step,tag,value,wall_time";

struct CsvRow {
  int64_t step = 0;
  std::string tag;
  double value = 0.0;
  double wall_time = 0.0;  // Unix seconds
  bool operator==(const CsvRow&) const = default;
};

// Appends rows to a CSV log. Numbers are written in the shortest form that reads back bit-exact ("0.1",
// "1e+20", "nan", "inf"); a tag holding a comma or quote is quoted as RFC 4180 says, line breaks in a tag
// become spaces.
// Thread-safe.
class CsvLog {
 public:
  // Creates the parent folder and the file (writing the header) or, when the file exists, appends to it
  // without a second header (resuming a run). A last line cut short by a crash (no newline) is dropped
  // first. Throws s2r::IoError naming the path if the folder or file cannot be created or opened, or if an
  // existing non-empty file does not start with the header.
  explicit CsvLog(const std::string& path);
  ~CsvLog();
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

  // Appends and flushes one row. wall_time: Unix seconds, default now. Throws s2r::IoError naming the
  // path on a write error.
  void AddScalar(const std::string& tag, double value, int64_t step,
                 std::optional<double> wall_time = std::nullopt);

  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;
  std::string path_;
  std::FILE* file_ = nullptr;
};

// Reads a log written by CsvLog, rows in file order (after a resume a step may appear twice). A last line
// without a newline that does not parse (a crash mid-write) is ignored. Throws s2r::IoError naming the
// path (and line) if the file cannot be read, lacks the header or has a malformed row.
std::vector<CsvRow> ReadCsvLog(const std::string& path);

// Drops the rows with step > last_step (a run resumed from an older checkpoint), keeping the others in
// order; the file is replaced atomically. Returns the number of rows dropped. Throws s2r::IoError as
// ReadCsvLog does, or naming the path if it cannot be written.
size_t TruncateCsvLog(const std::string& path, int64_t last_step);

}  // namespace s2r::metrics
