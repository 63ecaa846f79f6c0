// Tests of src/metrics: TensorBoard event files (checked byte for byte and through the independent Python
// reader tests/tools/read_tfevents.py), the CSV log, and PNG plots. Every test works in its own temporary
// folder, removed afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/image.h"
#include "metrics/csv_log.h"
#include "metrics/plot.h"
#include "metrics/tb_writer.h"

namespace s2r::metrics {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kReader = std::string(S2R_SOURCE_DIR) + "/tests/tools/read_tfevents.py";

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("s2r_metrics_test_" + std::to_string(::getpid()) + "_" +
                                        info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout (stderr merged when asked)
};

// Runs the Python reader on `file`.
RunResult RunReader(const std::string& file, bool merge_stderr = false) {
  const std::string cmd =
      "python3 '" + kReader + "' '" + file + "'" + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << cmd;
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) lines.push_back(nlohmann::json::parse(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return lines;
}

// The event files in `dir`.
std::vector<std::string> EventFiles(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---------------------------------------------------------------------------------------------
// CRC-32C

TEST(Crc32cTest, KnownVectors) {
  const std::string digits = "123456789";
  EXPECT_EQ(Crc32c(digits.data(), digits.size()), 0xE3069283u);
  const std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  std::vector<uint8_t> inc(32);
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(inc.data(), inc.size()), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
}

TEST(Crc32cTest, ContinuesAPreviousCrcAndMasksAsTfRecord) {
  const std::string a = "hello, ", b = "tensorboard";
  const std::string ab = a + b;
  EXPECT_EQ(Crc32c(b.data(), b.size(), Crc32c(a.data(), a.size())), Crc32c(ab.data(), ab.size()));
  EXPECT_EQ(MaskCrc32c(0), 0xa282ead8u);
  // 0xE3069283 rotated right by 15 = 0x2507C60D, plus 0xa282ead8 (mod 2^32).
  EXPECT_EQ(MaskCrc32c(0xE3069283u), 0xC78AB0E5u);
}

// ---------------------------------------------------------------------------------------------
// TensorBoard event files

struct Written {
  std::string tag;
  double value;
  int64_t step;
  double wall_time;  // NaN: "now"
};

TEST_F(MetricsTest, EventsReadBackThroughTheIndependentPythonReader) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Written> scalars = {
      {"train/loss", 0.25, 0, 1700000000.5},
      {"train/loss", -1.5, 1, 1700000001.25},
      {"eval/return", 14.98, 1000, nan},
      {"eval/success_once", 0.875, 1000, nan},
      {"train/big", 3.0e38, int64_t{1} << 40, 1700000002.0},
      {"train/tiny", -2.5e-8, 123456789, 1700000003.0},
      {"train/zero", 0.0, 7, 1700000004.0},
      {"train/negative_step", 123456.789, -5, 1700000005.0},
      {"train/pi", 3.14159265358979, 2000, nan},
      {"train/overflow", -1e300, 2001, nan},  // beyond float: -inf
  };
  const std::string text = "| key | value |\n|---|---|\n| lr | 3e-4 |\n| env | SO100GraspCube-v1 (µ) |";

  const double before = UnixSeconds();
  std::string path;
  {
    TbWriter w(Path("runs/exp1"));  // created
    path = w.path();
    for (const Written& s : scalars) {
      if (std::isnan(s.wall_time)) {
        w.AddScalar(s.tag, s.value, s.step);
      } else {
        w.AddScalar(s.tag, s.value, s.step, s.wall_time);
      }
    }
    w.AddText("hyperparameters", text, 3);
  }  // destructor flushes
  const double after = UnixSeconds();

  // The name TensorBoard uses: events.out.tfevents.<seconds>.<host>.<pid>.<counter>.
  EXPECT_EQ(EventFiles(dir_ / "runs/exp1"), std::vector<std::string>{path});
  const std::string name = fs::path(path).filename().string();
  EXPECT_THAT(name,
              StartsWith("events.out.tfevents." + std::to_string(static_cast<int64_t>(before)).substr(0, 5)));
  EXPECT_THAT(name, HasSubstr("." + std::to_string(::getpid()) + "."));

  const RunResult r = RunReader(path, /*merge_stderr=*/true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::vector<nlohmann::json> events = JsonLines(r.out);
  ASSERT_EQ(events.size(), scalars.size() + 2) << r.out;

  // file_version first.
  EXPECT_EQ(events[0].value("file_version", ""), "brain.Event:2");
  EXPECT_EQ(events[0]["step"].get<int64_t>(), 0);
  EXPECT_GE(events[0]["wall_time"].get<double>(), before - 1);
  EXPECT_LE(events[0]["wall_time"].get<double>(), after + 1);

  for (size_t i = 0; i < scalars.size(); ++i) {
    const nlohmann::json& e = events[i + 1];
    const Written& s = scalars[i];
    SCOPED_TRACE(s.tag);
    EXPECT_EQ(e["tag"].get<std::string>(), s.tag);
    EXPECT_EQ(e["step"].dump(), std::to_string(s.step));  // as text: a missed sign shows
    // float32 on disk: the reader prints the float exactly, so compare with the float-rounded value.
    if (std::abs(s.value) > std::numeric_limits<float>::max()) {
      EXPECT_EQ(e["value"], s.value > 0 ? "inf" : "-inf");
    } else {
      EXPECT_EQ(e["value"].get<double>(), static_cast<double>(static_cast<float>(s.value)));
    }
    if (std::isnan(s.wall_time)) {
      EXPECT_GE(e["wall_time"].get<double>(), before);
      EXPECT_LE(e["wall_time"].get<double>(), after);
    } else {
      EXPECT_EQ(e["wall_time"].get<double>(), s.wall_time);  // double on disk: exact
    }
  }
  const nlohmann::json& t = events.back();
  EXPECT_EQ(t["tag"].get<std::string>(), "hyperparameters");
  EXPECT_EQ(t["step"].get<int64_t>(), 3);
  EXPECT_EQ(t["text"].get<std::string>(), text);
}

// A TFRecord around `event`, with the CRCs from Crc32c (checked against known vectors above).
std::string Record(const std::string& event) {
  auto le = [](uint64_t v, int n) {
    std::string s(n, '\0');
    for (int i = 0; i < n; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
  };
  const std::string len = le(event.size(), 8);
  return len + le(MaskCrc32c(Crc32c(len.data(), 8)), 4) + event +
         le(MaskCrc32c(Crc32c(event.data(), event.size())), 4);
}

// A length-delimited field with a one-byte length.
std::string Field(char key, const std::string& bytes) {
  return std::string(1, key) + static_cast<char>(bytes.size()) + bytes;
}

TEST_F(MetricsTest, RecordsAreByteExact) {
  // Hand-assembled from the format description:
  //   Event{wall_time: 2.0 (09 + 8 bytes LE), step: 300 (10 ac 02), summary (2a): Summary{value (0a):
  //     Value{tag (0a): "a/b", simple_value (15): 1.0f (00 00 80 3f)}}}
  //   Event{wall_time: 2.0, step: 0 (left out), summary: Summary{value: Value{tag: "t",
  //     tensor (42): TensorProto{dtype (08): 7, tensor_shape (12): {} (present, empty), string_val (42):
  //     "hi"}, metadata (4a): SummaryMetadata{plugin_data (0a): PluginData{plugin_name (0a): "text"}}}}}
  std::string path;
  {
    TbWriter w(Path("tb"));
    path = w.path();
    w.AddScalar("a/b", 1.0, 300, 2.0);
    w.AddText("t", "hi", 0, 2.0);
  }
  const std::string wall_time("\x09\x00\x00\x00\x00\x00\x00\x00\x40", 9);
  const std::string scalar =
      wall_time + std::string("\x10\xac\x02", 3) +
      Field('\x2a', Field('\x0a', Field('\x0a', "a/b") + std::string("\x15\x00\x00\x80\x3f", 5)));
  const std::string tensor = std::string("\x08\x07\x12\x00", 4) + Field('\x42', "hi");
  const std::string meta = Field('\x0a', Field('\x0a', "text"));
  const std::string text =
      wall_time +
      Field('\x2a', Field('\x0a', Field('\x0a', "t") + Field('\x42', tensor) + Field('\x4a', meta)));
  const std::string want = Record(scalar) + Record(text);
  const std::string bytes = ReadBytes(path);
  ASSERT_GT(bytes.size(), want.size());
  EXPECT_EQ(bytes.substr(bytes.size() - want.size()), want);
  // The file_version record comes first.
  const size_t first = bytes.size() - want.size();
  EXPECT_NE(bytes.substr(0, first).find("brain.Event:2"), std::string::npos);
  EXPECT_EQ(bytes.substr(0, first), Record(bytes.substr(12, first - 16)));
}

TEST_F(MetricsTest, PythonReaderRejectsAFlippedByteAndATruncatedFile) {
  std::string path;
  {
    TbWriter w(Path("tb"));
    path = w.path();
    w.AddScalar("train/loss", 0.5, 10, 1700000000.0);
    w.AddText("notes", "hello", 10, 1700000000.0);
  }
  const std::string good = ReadBytes(path);
  ASSERT_EQ(RunReader(path).exit_code, 0);  // the unmodified file passes
  const size_t first_len = static_cast<uint8_t>(good[0]);
  const size_t second = 12 + first_len + 4;  // offset of the second record
  // A byte in: the length, the length CRC, the payload, the payload CRC; and in the last record's text.
  for (size_t pos : {size_t{0}, size_t{9}, size_t{14}, 12 + first_len + 2, second + 3, second + 20,
                     good.size() - 7, good.size() - 1}) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    const std::string p = Path("bad.tfevents");
    WriteBytes(p, bad);
    const RunResult r = RunReader(p, /*merge_stderr=*/true);
    EXPECT_NE(r.exit_code, 0) << "flipped byte " << pos << " of " << good.size();
    EXPECT_THAT(r.out, HasSubstr("read_tfevents:")) << "flipped byte " << pos;
  }
  const std::string p = Path("short.tfevents");
  WriteBytes(p, good.substr(0, good.size() - 1));
  const RunResult r = RunReader(p, /*merge_stderr=*/true);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("truncated"));
}

TEST(ReadTfeventsTest, SelfTestPasses) {
  // The reader's own CRC-32C (against the catalogue check values) and varint decoding.
  FILE* pipe = popen(("python3 '" + kReader + "' --self-test 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[256] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, pipe);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << std::string(buf, n);
  EXPECT_THAT(std::string(buf, n), HasSubstr("self-test passed"));
}

TEST_F(MetricsTest, WritersInOneFolderGetTheirOwnFiles) {
  TbWriter a(Path("tb"));
  TbWriter b(Path("tb"));
  EXPECT_NE(a.path(), b.path());
  a.AddScalar("x", 1, 1);
  b.AddScalar("x", 2, 1);
  a.Flush();
  b.Flush();
  EXPECT_EQ(EventFiles(dir_ / "tb").size(), 2u);
  // Flush makes the events visible while the writer lives.
  const RunResult r = RunReader(a.path());
  ASSERT_EQ(r.exit_code, 0);
  const auto events = JsonLines(r.out);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["value"].get<double>(), 1.0);
}

TEST_F(MetricsTest, TbWriterErrorNamesThePath) {
  WriteBytes(Path("file"), "x");
  const std::string dir = Path("file") + "/sub";  // a folder below a regular file cannot exist
  try {
    TbWriter w(dir);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir));
  }
}

// ---------------------------------------------------------------------------------------------
// CSV log

TEST_F(MetricsTest, CsvRowsReadBackExactly) {
  const std::vector<CsvRow> rows = {
      {0, "train/loss", 0.1, 1700000000.123456},
      {1, "train/loss", -1.5e-300, 1700000001.0},
      {1000000000000, "eval/return", 1e20, 1700000002.5},
      {-3, "odd, \"tag\"", 3.141592653589793, 1700000003.0},
      {5, "inf", std::numeric_limits<double>::infinity(), 1700000004.0},
  };
  {
    CsvLog log(Path("logs/metrics.csv"));  // folder created
    for (const CsvRow& r : rows) log.AddScalar(r.tag, r.value, r.step, r.wall_time);
    // Flushed per row: readable while the log is open.
    EXPECT_EQ(ReadCsvLog(Path("logs/metrics.csv")), rows);
  }
  EXPECT_EQ(ReadCsvLog(Path("logs/metrics.csv")), rows);
  const std::string text = ReadBytes(Path("logs/metrics.csv"));
  EXPECT_THAT(text, StartsWith(std::string(kCsvHeader) + "\n0,train/loss,0.1,1700000000.123456\n"));
}

TEST_F(MetricsTest, CsvNanAndDefaultWallTime) {
  const double before = UnixSeconds();
  {
    CsvLog log(Path("m.csv"));
    log.AddScalar("x", std::numeric_limits<double>::quiet_NaN(), 4);
  }
  const auto rows = ReadCsvLog(Path("m.csv"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(std::isnan(rows[0].value));
  EXPECT_GE(rows[0].wall_time, before);
  EXPECT_LE(rows[0].wall_time, UnixSeconds());
}

TEST_F(MetricsTest, CsvReopenAppendsWithoutASecondHeader) {
  const std::string p = Path("m.csv");
  { CsvLog(p).AddScalar("a", 1, 1, 10.0); }
  {
    CsvLog log(p);
    log.AddScalar("a", 2, 2, 11.0);
    log.AddScalar("b", 3, 2, 12.0);
  }
  const std::vector<CsvRow> want = {{1, "a", 1, 10}, {2, "a", 2, 11}, {2, "b", 3, 12}};
  EXPECT_EQ(ReadCsvLog(p), want);
  const std::string text = ReadBytes(p);
  size_t headers = 0;
  for (size_t pos = 0; (pos = text.find(kCsvHeader, pos)) != std::string::npos; ++pos) ++headers;
  EXPECT_EQ(headers, 1u);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

TEST_F(MetricsTest, CsvResumeDropsARowCutShortByACrash) {
  const std::string p = Path("m.csv");
  WriteBytes(p, std::string(kCsvHeader) + "\n1,a,1,10\n2,a,0.12");   // the crash cut the last row
  EXPECT_EQ(ReadCsvLog(p), (std::vector<CsvRow>{{1, "a", 1, 10}}));  // the reader skips it too
  { CsvLog(p).AddScalar("a", 2.5, 2, 11.0); }
  EXPECT_EQ(ReadCsvLog(p), (std::vector<CsvRow>{{1, "a", 1, 10}, {2, "a", 2.5, 11}}));
}

TEST_F(MetricsTest, CsvErrorsNameThePath) {
  const std::string p = Path("other.csv");
  WriteBytes(p, "a,b,c\n1,2,3\n");
  EXPECT_THROW(
      {
        try {
          CsvLog log(p);
        } catch (const IoError& e) {
          EXPECT_THAT(e.what(), HasSubstr(p));
          throw;
        }
      },
      IoError);
  EXPECT_EQ(ReadBytes(p), "a,b,c\n1,2,3\n");  // untouched
  EXPECT_THROW(ReadCsvLog(p), IoError);
  EXPECT_THROW(ReadCsvLog(Path("missing.csv")), IoError);
  WriteBytes(p, std::string(kCsvHeader) + "\n1,a,notanumber,3\n2,a,1,1\n");
  try {
    ReadCsvLog(p);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(p + "' line 2"));
  }
}

TEST(SeriesFromCsvTest, SortsByStepAndKeepsTheLastValueOfARepeatedStep) {
  const std::vector<CsvRow> rows = {{20, "a", 2, 0}, {10, "a", 1, 0}, {10, "b", 9, 0}, {20, "a", 3, 0}};
  const Series s = SeriesFromCsv(rows, "a");
  EXPECT_EQ(s.label, "a");
  EXPECT_EQ(s.x, (std::vector<double>{10, 20}));
  EXPECT_EQ(s.y, (std::vector<double>{1, 3}));
  EXPECT_EQ(SeriesFromCsv(rows, "b", "B").label, "B");
}

// ---------------------------------------------------------------------------------------------
// Plots

bool IsWhite(const uint8_t* p) { return p[0] == 255 && p[1] == 255 && p[2] == 255; }
bool IsRed(const uint8_t* p) { return p[0] > 200 && p[1] < 60 && p[2] < 60; }
bool IsGrey(const uint8_t* p) { return p[0] == p[1] && p[1] == p[2]; }

TEST_F(MetricsTest, PlotPngHasTheSizeAndARedLineAcrossTheMiddle) {
  Series red{"", {}, {}, std::array<uint8_t, 3>{255, 0, 0}};
  for (int i = 0; i <= 20; ++i) red.x.push_back(i * 50000.0), red.y.push_back(0.5);
  PlotSpec spec{"success rate", "env steps", "eval/success_once", 640, 400};
  PixelRect area;
  const media::Image img = RenderPlot({red}, spec, &area);
  ASSERT_EQ(img.width, 640);
  ASSERT_EQ(img.height, 400);
  ASSERT_EQ(img.channels, 3);
  // The plot area leaves room for text on every side but the right.
  EXPECT_GT(area.x0, 20);
  EXPECT_GT(area.y0, 20);
  EXPECT_LT(area.y1, 400 - 20);
  EXPECT_GT(area.x1 - area.x0, 400);
  EXPECT_GT(area.y1 - area.y0, 250);

  const int mid = (area.y0 + area.y1) / 2;
  int red_columns = 0, columns = 0;
  for (int x = area.x0 + 2; x < area.x1 - 2; ++x) {
    ++columns;
    bool found = false;
    for (int y = mid - 3; y <= mid + 3; ++y) found |= IsRed(img.at(y, x));
    red_columns += found;
  }
  EXPECT_EQ(red_columns, columns);  // the line crosses the whole plot area at mid height
  int white = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.at(y, x);
      white += IsWhite(p);
      const bool inside = x >= area.x0 && x < area.x1 && y >= area.y0 && y < area.y1;
      if (!inside || std::abs(y - mid) > 4) {
        // No legend (empty label): away from the line only white, grid grey, and black text/axes.
        ASSERT_TRUE(IsGrey(p)) << "pixel " << x << "," << y << " = " << int{p[0]} << "," << int{p[1]} << ","
                               << int{p[2]};
      }
    }
  }
  EXPECT_GT(white, img.width * img.height * 8 / 10);
  for (auto [x, y] : {std::pair{0, 0}, {639, 0}, {0, 399}, {639, 399}, {area.x0 + 5, area.y0 + 5}}) {
    EXPECT_TRUE(IsWhite(img.at(y, x))) << x << "," << y;
  }
  // Some text is drawn: black pixels above (title), below (ticks, x label) and left (ticks, y label).
  auto black_in = [&](int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) n += img.at(y, x)[0] == 0 && IsGrey(img.at(y, x));
    return n;
  };
  EXPECT_GT(black_in(0, 0, 640, area.y0 - 2), 50);
  EXPECT_GT(black_in(0, area.y1 + 2, 640, 400), 100);
  EXPECT_GT(black_in(0, 0, area.x0 - 2, 400), 100);

  // The written PNG has the requested size.
  WritePlotPng(Path("plots/p.png"), {red}, spec);
  const media::Image back = media::ReadImage(Path("plots/p.png"), "plot");
  EXPECT_EQ(back.width, 640);
  EXPECT_EQ(back.height, 400);
  EXPECT_EQ(back.pixels, img.pixels);
}

TEST_F(MetricsTest, PlotDefaultColoursAreDistinct) {
  Series a{"", {0, 1, 2, 3}, {0, 1, 2, 3}}, b{"", {0, 1, 2, 3}, {3, 2, 1, 0}};
  const media::Image img = RenderPlot({a, b}, PlotSpec{"", "", "", 400, 300});
  // Count pixels of each series' colour: both present and different.
  std::vector<std::array<uint8_t, 3>> colours;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.at(y, x);
      if (IsGrey(p)) continue;
      const std::array<uint8_t, 3> c = {p[0], p[1], p[2]};
      if (std::find(colours.begin(), colours.end(), c) == colours.end()) colours.push_back(c);
    }
  }
  EXPECT_EQ(colours.size(), 2u);
}

TEST_F(MetricsTest, PlotLegendGoesToAFreeCornerOfThePlotArea) {
  // Lines from bottom-left to top-right: the legend must avoid the top-right corner and show both colours.
  Series a{"", {0, 1}, {0, 1}, std::array<uint8_t, 3>{255, 0, 0}}, b{"", {0, 1}, {0.1, 1}};
  const PlotSpec spec{"", "", "", 400, 300};
  PixelRect area;
  const media::Image plain = RenderPlot({a, b}, spec, &area);
  a.label = "train/success";
  b.label = "eval/success_once";
  const media::Image legend = RenderPlot({a, b}, spec);
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1, red = 0;
  for (int y = 0; y < plain.height; ++y) {
    for (int x = 0; x < plain.width; ++x) {
      if (std::equal(plain.at(y, x), plain.at(y, x) + 3, legend.at(y, x))) continue;
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
      red += IsRed(legend.at(y, x));
    }
  }
  ASSERT_GE(x1, 0) << "no legend drawn";
  EXPECT_GE(red, 20);  // the red swatch
  // Inside the plot area, in its top-left corner (the lines run through the top-right and bottom-left
  // corners; top-left comes before bottom-right in the order of preference when both are free).
  EXPECT_GE(x0, area.x0);
  EXPECT_GE(y0, area.y0);
  EXPECT_LT(x1, (area.x0 + area.x1) / 2);
  EXPECT_LT(y1, (area.y0 + area.y1) / 2);
}

TEST_F(MetricsTest, PlotEdgeCasesDoNotCrash) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  PlotSpec spec{"edge", "x", "y", 300, 200};
  const std::vector<std::vector<Series>> cases = {
      {},                                                         // no series
      {Series{"empty", {}, {}}},                                  // an empty series
      {Series{"nan", {nan, 1, 2}, {nan, nan, nan}}},              // only NaNs
      {Series{"one", {5}, {7}}},                                  // a single point
      {Series{"zero", {0}, {0}}},                                 // a single point at 0
      {Series{"gap", {0, 1, 2, 3, 4}, {0, 1, nan, 1, inf}}},      // NaN and inf skipped
      {Series{"huge", {0, 5e7, 1e8}, {-1e300, 0, 1e300}}},        // huge ranges
      {Series{"flat", {1, 1, 1}, {-2, -2, -2}}},                  // degenerate x range
      {Series{"tiny", {0, 1e-9}, {1e-12, 2e-12}}},                // tiny ranges
      {Series{"max", {-1.7e308, 1.7e308}, {1.7e308, -1.7e308}}},  // spans overflowing to inf
  };
  for (const auto& series : cases) {
    const media::Image img = RenderPlot(series, spec);
    EXPECT_EQ(img.width, 300);
    EXPECT_EQ(img.height, 200);
  }
  // Empty axes still have tick labels below and left of the plot area.
  PixelRect area;
  const media::Image empty = RenderPlot({}, PlotSpec{"", "", "", 300, 200}, &area);
  int below = 0, left = 0;
  for (int y = 0; y < 200; ++y) {
    for (int x = 0; x < 300; ++x) {
      const bool black = empty.at(y, x)[0] == 0;
      below += black && y > area.y1 + 1 && x >= area.x0;
      left += black && x < area.x0 - 1 && y >= area.y0 && y < area.y1;
    }
  }
  EXPECT_GT(below, 20);
  EXPECT_GT(left, 20);
  // A single point is drawn (as a marker) in its colour.
  const media::Image one = RenderPlot({Series{"", {5}, {7}, std::array<uint8_t, 3>{255, 0, 0}}}, spec);
  int red = 0;
  for (int y = 0; y < one.height; ++y)
    for (int x = 0; x < one.width; ++x) red += IsRed(one.at(y, x));
  EXPECT_GE(red, 9);
  // Tiny images still render.
  EXPECT_EQ(RenderPlot({Series{"a", {0, 1}, {0, 1}}}, PlotSpec{"t", "x", "y", 10, 10}).width, 10);
  EXPECT_THROW(RenderPlot({}, PlotSpec{"", "", "", 0, 100}), ConfigError);
  // Non-ASCII text is drawn as '?', not read out of stb_easy_font's table.
  RenderPlot({Series{"µ é \x01\xff", {0, 1}, {0, 1}}}, PlotSpec{"Ünïcode", "x\ty", "", 200, 150});
}

TEST_F(MetricsTest, PlotGridStacksPanels) {
  const std::vector<std::pair<PlotSpec, std::vector<Series>>> panels = {
      {PlotSpec{"eval/success_once", "env steps", "", 400, 300, true}, {Series{"s", {0, 1e6}, {0.1, 0.9}}}},
      {PlotSpec{"eval/return", "env steps", "", 500, 200}, {Series{"r", {0, 1e6}, {2, 15}}}},
  };
  WritePlotGridPng(Path("grid.png"), panels);
  const media::Image img = media::ReadImage(Path("grid.png"), "grid");
  EXPECT_EQ(img.width, 500);
  EXPECT_EQ(img.height, 500);
  // Each panel is exactly RenderPlot's image; right of the narrower first one is white.
  const media::Image first = RenderPlot(panels[0].second, panels[0].first);
  const media::Image second = RenderPlot(panels[1].second, panels[1].first);
  for (int y = 0; y < 300; ++y) {
    ASSERT_TRUE(std::equal(first.at(y, 0), first.at(y, 0) + first.row_bytes(), img.at(y, 0))) << "row " << y;
    for (int x = 400; x < 500; ++x) ASSERT_TRUE(IsWhite(img.at(y, x))) << x << "," << y;
  }
  for (int y = 0; y < 200; ++y) {
    ASSERT_TRUE(std::equal(second.at(y, 0), second.at(y, 0) + second.row_bytes(), img.at(300 + y, 0)))
        << "row " << y;
  }
}

}  // namespace
}  // namespace s2r::metrics
