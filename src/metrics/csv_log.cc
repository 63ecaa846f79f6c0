#include "metrics/csv_log.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "core/atomic_file.h"
#include "core/error.h"
#include "metrics/tb_writer.h"

namespace fs = std::filesystem;

namespace s2r::metrics {

namespace {

std::string FormatDouble(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, r.ptr);
}

// RFC 4180: quote a field holding a comma or quote; double the quotes inside. Line breaks become spaces
// (one row per line keeps the file readable line by line).
std::string CsvField(const std::string& s) {
  std::string f = s;
  for (char& c : f) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (f.find_first_of(",\"") == std::string::npos) return f;
  std::string q = "\"";
  for (char c : f) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// Splits one CSV record (RFC 4180 quoting) into fields; false if a quote is malformed.
bool SplitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  size_t i = 0;
  while (true) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // unterminated quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          cur += line[i++];
        }
      }
      if (i < line.size() && line[i] != ',') return false;
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return false;
        cur += line[i++];
      }
    }
    fields->push_back(cur);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

bool ParseDouble(const std::string& s, double* v) {
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, *v);
  return r.ec == std::errc() && r.ptr == end;
}

bool ParseInt64(const std::string& s, int64_t* v) {
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, *v);
  return r.ec == std::errc() && r.ptr == end;
}

bool ParseRow(std::string_view line, CsvRow* row) {
  std::vector<std::string> f;
  if (!SplitCsv(line, &f) || f.size() != 4) return false;
  row->tag = f[1];
  return ParseInt64(f[0], &row->step) && ParseDouble(f[2], &row->value) && ParseDouble(f[3], &row->wall_time);
}

std::string ReadAll(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  if (!in) return {};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  *ok = !in.bad();
  return bytes;
}

// The first line without its line break.
std::string_view FirstLine(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CsvLog

CsvLog::CsvLog(const std::string& path) : path_(path) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create the folder of CSV log '" + path + "': " + ec.message());
  }
  bool write_header = true;
  if (fs::exists(path, ec)) {
    bool ok = false;
    const std::string text = ReadAll(path, &ok);
    if (!ok) throw IoError("cannot read CSV log '" + path + "': " + std::strerror(errno));
    const size_t last_newline = text.rfind('\n');
    if (last_newline == std::string::npos) {
      // Empty, or a header cut short: start over.
      if (!text.empty() && std::string_view(kCsvHeader).substr(0, text.size()) != text) {
        throw IoError("'" + path + "' exists but is not a metrics CSV log (it does not start with '" +
                      kCsvHeader + "')");
      }
      fs::resize_file(path, 0, ec);
    } else {
      if (FirstLine(text) != kCsvHeader) {
        throw IoError("'" + path + "' exists but is not a metrics CSV log (first line '" +
                      std::string(FirstLine(text)) + "', expected '" + kCsvHeader + "')");
      }
      write_header = false;
      // Drop a last row cut short by a crash, so the next row starts on a line of its own.
      if (last_newline + 1 != text.size()) fs::resize_file(path, last_newline + 1, ec);
    }
    if (ec) throw IoError("cannot truncate CSV log '" + path + "': " + ec.message());
  }
  file_ = std::fopen(path.c_str(), "ab");
  if (file_ == nullptr) throw IoError("cannot open CSV log '" + path + "': " + std::strerror(errno));
  if (write_header) {
    const std::string header = std::string(kCsvHeader) + "\n";
    if (std::fwrite(header.data(), 1, header.size(), file_) != header.size() || std::fflush(file_) != 0) {
      const int err = errno;
      std::fclose(file_);
      throw IoError("cannot write CSV log '" + path + "': " + std::strerror(err));
    }
  }
}

CsvLog::~CsvLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvLog::AddScalar(const std::string& tag, double value, int64_t step, std::optional<double> wall_time) {
  const std::string row = std::to_string(step) + "," + CsvField(tag) + "," + FormatDouble(value) + "," +
                          FormatDouble(wall_time.value_or(UnixSeconds())) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  // One fwrite + fflush per row: a crash leaves whole rows (or at worst one cut row, dropped on resume).
  if (std::fwrite(row.data(), 1, row.size(), file_) != row.size() || std::fflush(file_) != 0) {
    throw IoError("cannot write CSV log '" + path_ + "': " + std::strerror(errno));
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

std::vector<CsvRow> ReadCsvLog(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError("CSV log '" + path + "' does not exist");
  bool ok = false;
  const std::string text = ReadAll(path, &ok);
  if (!ok) throw IoError("cannot read CSV log '" + path + "': " + std::strerror(errno));
  if (FirstLine(text) != kCsvHeader) {
    throw IoError("'" + path + "' is not a metrics CSV log (first line '" + std::string(FirstLine(text)) +
                  "', expected '" + kCsvHeader + "')");
  }
  std::vector<CsvRow> rows;
  size_t pos = text.find('\n');
  int line_no = 1;
  while (pos != std::string::npos && pos + 1 < text.size()) {
    const size_t begin = pos + 1;
    const size_t end = text.find('\n', begin);
    ++line_no;
    std::string_view line(text.data() + begin, (end == std::string::npos ? text.size() : end) - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end;
    if (line.empty()) continue;
    CsvRow row;
    if (!ParseRow(line, &row)) {
      if (end == std::string::npos) break;  // a last row cut short by a crash
      throw IoError("CSV log '" + path + "' line " + std::to_string(line_no) + ": expected step,tag,value," +
                    "wall_time, got '" + std::string(line) + "'");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

size_t TruncateCsvLog(const std::string& path, int64_t last_step) {
  const std::vector<CsvRow> rows = ReadCsvLog(path);
  std::string text = std::string(kCsvHeader) + "\n";
  size_t dropped = 0;
  for (const CsvRow& r : rows) {
    if (r.step > last_step) {
      ++dropped;
      continue;
    }
    text += std::to_string(r.step) + "," + CsvField(r.tag) + "," + FormatDouble(r.value) + "," +
            FormatDouble(r.wall_time) + "\n";
  }
  if (dropped > 0) WriteFileAtomic(path, text);
  return dropped;
}

}  // namespace s2r::metrics
