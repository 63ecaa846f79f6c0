// Tests of src/media: PNG/JPEG files, OpenCV-exact bilinear resize, the camera crop, and MP4 video through
// ffmpeg. Every test works on real files in its own temporary folder, removed afterwards.
#include "media/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "media/video_writer.h"

namespace s2r::media {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class MediaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("s2r_media_test_" + std::to_string(::getpid()) + "_" +
                                        info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // The names in the test folder (to catch leftover temporary files).
  std::vector<std::string> Listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

// A deterministic pattern with every byte value appearing.
Image Pattern(int width, int height, int channels) {
  Image img(width, height, channels);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * 37 + i / 7) % 256);
  return img;
}

// A one-channel image from rows of values.
Image Grey(const std::vector<std::vector<int>>& rows) {
  Image img(static_cast<int>(rows[0].size()), static_cast<int>(rows.size()), 1);
  for (int r = 0; r < img.height; ++r)
    for (int c = 0; c < img.width; ++c) *img.at(r, c) = static_cast<uint8_t>(rows[r][c]);
  return img;
}

std::vector<std::vector<int>> Rows(const Image& img) {
  std::vector<std::vector<int>> rows(img.height, std::vector<int>(img.width));
  for (int r = 0; r < img.height; ++r)
    for (int c = 0; c < img.width; ++c) rows[r][c] = *img.at(r, c);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Reading and writing images

TEST_F(MediaTest, PngRoundTripRgbIsExact) {
  const Image src = Pattern(7, 5, 3);
  WritePng(Path("a.png"), src);
  const Image back = ReadImage(Path("a.png"), "test_key");
  EXPECT_EQ(back.width, 7);
  EXPECT_EQ(back.height, 5);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, src.pixels);
}

TEST_F(MediaTest, PngRgbaReadsAsRgbWithAlphaDropped) {
  const Image src = Pattern(6, 4, 4);  // alpha varies over 0..255, so nothing may be premultiplied
  WritePng(Path("rgba.png"), src.data(), src.width, src.height, 4);
  const Image back = ReadImage(Path("rgba.png"), "test_key");
  ASSERT_EQ(back.channels, 3);
  ASSERT_EQ(back.width, 6);
  ASSERT_EQ(back.height, 4);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c)
      for (int k = 0; k < 3; ++k) EXPECT_EQ(back.at(r, c)[k], src.at(r, c)[k]) << r << "," << c << "," << k;
}

TEST_F(MediaTest, GreyPngExpandsToRgb) {
  const Image src = Pattern(5, 3, 1);
  WritePng(Path("grey.png"), src);
  const Image back = ReadImage(Path("grey.png"), "test_key");
  ASSERT_EQ(back.channels, 3);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 5; ++c)
      for (int k = 0; k < 3; ++k) EXPECT_EQ(back.at(r, c)[k], *src.at(r, c));
}

TEST_F(MediaTest, JpegReadsCloseToWhatWasWritten) {
  // A smooth gradient survives JPEG at quality 95 within a few levels.
  Image src(32, 24, 3);
  for (int r = 0; r < 24; ++r)
    for (int c = 0; c < 32; ++c) {
      src.at(r, c)[0] = static_cast<uint8_t>(c * 8);
      src.at(r, c)[1] = static_cast<uint8_t>(r * 10);
      src.at(r, c)[2] = 128;
    }
  ASSERT_NE(stbi_write_jpg(Path("g.jpg").c_str(), 32, 24, 3, src.data(), 95), 0);
  const Image back = ReadImage(Path("g.jpg"), "test_key");
  ASSERT_EQ(back.width, 32);
  ASSERT_EQ(back.height, 24);
  ASSERT_EQ(back.channels, 3);
  int max_err = 0;
  double sum_err = 0;
  for (size_t i = 0; i < src.pixels.size(); ++i) {
    const int e = std::abs(int{back.pixels[i]} - int{src.pixels[i]});
    max_err = std::max(max_err, e);
    sum_err += e;
  }
  EXPECT_LE(max_err, 16);
  EXPECT_LT(sum_err / src.pixels.size(), 3.0);
}

TEST_F(MediaTest, ReadImageErrorsNameTheKeyAndThePath) {
  const std::string missing = Path("nope.png");
  try {
    ReadImage(missing, "greenscreen_overlay_path");
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("greenscreen_overlay_path"), HasSubstr(missing),
                                HasSubstr("does not exist")));
  }
  const std::string text = Path("notes.png");
  std::ofstream(text) << "this is not a PNG\n";
  try {
    ReadImage(text, "greenscreen_overlay_path");
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("greenscreen_overlay_path"), HasSubstr(text),
                                HasSubstr("not a readable image")));
  }
  const std::string empty = Path("empty.jpg");
  std::ofstream{empty};
  EXPECT_THROW(ReadImage(empty, "k"), ConfigError);
  EXPECT_THAT([&] { ReadImage(dir_.string(), "k"); },
              ::testing::ThrowsMessage<ConfigError>(AllOf(HasSubstr("k: "), HasSubstr(dir_.string()))));
}

TEST_F(MediaTest, DecodeImageReportsFailureWithoutThrowing) {
  const uint8_t junk[] = {1, 2, 3, 4, 5};
  Image out;
  std::string error;
  EXPECT_FALSE(DecodeImage(junk, sizeof(junk), &out, &error));
  EXPECT_FALSE(error.empty());
}

TEST_F(MediaTest, WritePngIntoMissingFolderThrowsIoErrorNamingThePath) {
  const std::string path = Path("no/such/folder/x.png");
  EXPECT_THAT([&] { WritePng(path, Pattern(4, 4, 3)); },
              ::testing::ThrowsMessage<IoError>(AllOf(HasSubstr(path), HasSubstr("No such file"))));
  EXPECT_THAT(Listing(), ::testing::IsEmpty());
}

TEST_F(MediaTest, WritePngLeavesOnlyTheFileAndReplacesAnOldOne) {
  WritePng(Path("x.png"), Pattern(4, 4, 3));
  const Image second(3, 2, 3, 200);
  WritePng(Path("x.png"), second);
  EXPECT_THAT(Listing(), ::testing::ElementsAre("x.png"));  // no temporary file
  EXPECT_EQ(ReadImage(Path("x.png"), "k").pixels, second.pixels);
}

// ---------------------------------------------------------------------------------------------
// Resize (expected values from OpenCV's INTER_LINEAR formula: src = (dst + 0.5) * scale - 0.5, border
// clamped, result rounded to nearest)

TEST(ResizeBilinearTest, Upsample2x2To4x4MatchesCv2) {
  // scale 0.5: dst 0,1,2,3 -> src -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1), so per axis the
  // weights are (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1).
  // Rows after the x pass: [0, 25, 75, 100] and [200, 160, 80, 40].
  // Row 1 = 0.75 * row 0 + 0.25 * row 1 = [50, 58.75, 76.25, 85] -> [50, 59, 76, 85];
  // row 2 = 0.25 * row 0 + 0.75 * row 1 = [150, 126.25, 78.75, 55] -> [150, 126, 79, 55].
  const Image out = ResizeBilinear(Grey({{0, 100}, {200, 40}}), 4, 4);
  ASSERT_EQ(out.width, 4);
  ASSERT_EQ(out.height, 4);
  ASSERT_EQ(out.channels, 1);
  const std::vector<std::vector<int>> expected = {
      {0, 25, 75, 100}, {50, 59, 76, 85}, {150, 126, 79, 55}, {200, 160, 80, 40}};
  EXPECT_EQ(Rows(out), expected);
}

TEST(ResizeBilinearTest, Downsample4x4To2x2IsTheBlockMeanRoundedHalfUp) {
  // scale 2: dst 0, 1 -> src 0.5, 2.5: the mean of each 2x2 block (cv2 takes its INTER_AREA path here,
  // (a + b + c + d + 2) >> 2). (10+11+10+11)/4 = 10.5 -> 11, (50+60+70+80)/4 = 65,
  // (0+255+255+0)/4 = 127.5 -> 128, (1+2+3+3)/4 = 2.25 -> 2.
  const Image out =
      ResizeBilinear(Grey({{10, 11, 50, 60}, {10, 11, 70, 80}, {0, 255, 1, 2}, {255, 0, 3, 3}}), 2, 2);
  const std::vector<std::vector<int>> expected = {{11, 65}, {128, 2}};
  EXPECT_EQ(Rows(out), expected);
}

TEST(ResizeBilinearTest, FractionalDownsampleMatchesCv2) {
  // 6 -> 4 (scale 1.5): dst 0..3 -> src 0.25, 1.75, 3.25, 4.75:
  // 0.75*0 + 0.25*60 = 15, 0.25*60 + 0.75*120 = 105, 0.75*180 + 0.25*240 = 195, 0.25*240 + 0.75*32 = 84.
  const Image out = ResizeBilinear(Grey({{0, 60, 120, 180, 240, 32}}), 4, 1);
  const std::vector<std::vector<int>> expected = {{15, 105, 195, 84}};
  EXPECT_EQ(Rows(out), expected);
}

TEST(ResizeBilinearTest, BorderRowsKeepTheirFractionalWeightsAsInCv2) {
  // Recorded from cv2.resize (OpenCV 4.6). Column 2 is the tie 0.5*131 + 0.5*184 = 157.5 in every row, but
  // OpenCV clamps the border rows' indices, not their weights: rows 0 and 2 (src y -1/3 and 1/3) mix row 0
  // with itself at weights 1/3, 2/3 in 11-bit fixed point and round down, row 1 (src y 0) rounds up. A port
  // that clamps the y coordinate like x gives 158 everywhere.
  const Image out = ResizeBilinear(Grey({{131, 184}}), 5, 3);
  const std::vector<std::vector<int>> expected = {
      {131, 136, 157, 179, 184}, {131, 136, 158, 179, 184}, {131, 136, 157, 179, 184}};
  EXPECT_EQ(Rows(out), expected);
}

// FNV-1a of the pixel bytes.
uint64_t Fnv(const Image& img) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t v : img.pixels) h = (h ^ v) * 1099511628211ull;
  return h;
}

TEST(ResizeBilinearTest, BitExactWithCv2OnLargerImages) {
  // Hashes of cv2.resize(..., interpolation=INTER_LINEAR) outputs (OpenCV 4.6) on Pattern images: the
  // camera preprocessing (640x480 -> crop 480x480 -> 128x128), an upsample, and odd sizes in 4 and 1
  // channels.
  EXPECT_EQ(Fnv(CropAndResize(Pattern(640, 480, 3), 128, 128)), 0x10dab5f71caf3873ull);
  EXPECT_EQ(Fnv(ResizeBilinear(Pattern(640, 480, 3), 128, 128)), 0xbb62e53901ce0209ull);
  EXPECT_EQ(Fnv(ResizeBilinear(Pattern(128, 128, 3), 640, 480)), 0xfc45c94bcccba6e7ull);
  EXPECT_EQ(Fnv(ResizeBilinear(Pattern(37, 23, 4), 50, 31)), 0x500fbe19be074e97ull);
  EXPECT_EQ(Fnv(ResizeBilinear(Pattern(100, 75, 1), 33, 41)), 0xe4212832592e902cull);
}

TEST(ResizeBilinearTest, IdentityIsExactAndConstantStaysConstant) {
  const Image src = Pattern(13, 9, 3);
  EXPECT_EQ(ResizeBilinear(src, 13, 9).pixels, src.pixels);
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{128, 128}, {5, 3}, {1, 1}, {40, 9}}) {
    const Image out = ResizeBilinear(Image(37, 23, 3, 173), w, h);
    ASSERT_EQ(out.width, w);
    ASSERT_EQ(out.height, h);
    for (uint8_t v : out.pixels) ASSERT_EQ(v, 173) << w << "x" << h;
  }
  // 255 must not overflow in the fixed-point sums.
  for (uint8_t v : ResizeBilinear(Image(7, 5, 1, 255), 11, 3).pixels) ASSERT_EQ(v, 255);
}

TEST(ResizeBilinearTest, ChannelsAreResizedIndependently) {
  const Image rgba = Pattern(9, 7, 4);
  const Image out = ResizeBilinear(rgba, 5, 11);
  ASSERT_EQ(out.channels, 4);
  for (int k = 0; k < 4; ++k) {
    Image plane(9, 7, 1);
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 9; ++c) *plane.at(r, c) = rgba.at(r, c)[k];
    const Image plane_out = ResizeBilinear(plane, 5, 11);
    for (int r = 0; r < 11; ++r)
      for (int c = 0; c < 5; ++c) ASSERT_EQ(out.at(r, c)[k], *plane_out.at(r, c)) << k;
  }
}

TEST(ResizeBilinearTest, NonPositiveSizeIsAConfigError) {
  EXPECT_THROW(ResizeBilinear(Image(4, 4, 3), 0, 4), ConfigError);
  EXPECT_THROW(ResizeBilinear(Image(4, 4, 3), 4, -1), ConfigError);
}

// ---------------------------------------------------------------------------------------------
// Crops

// Channel 0 = column, channel 1 = row (mod 256), channel 2 = column / 256, so a pixel tells where it was.
Image Coordinates(int width, int height) {
  Image img(width, height, 3);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      img.at(r, c)[0] = static_cast<uint8_t>(c % 256);
      img.at(r, c)[1] = static_cast<uint8_t>(r % 256);
      img.at(r, c)[2] = static_cast<uint8_t>(c / 256);
    }
  return img;
}

TEST(CropTest, CenterCropSquareLandscapeDrops80ColumnsEachSide) {
  const Image out = CenterCropSquare(Coordinates(640, 480));
  ASSERT_EQ(out.width, 480);
  ASSERT_EQ(out.height, 480);
  EXPECT_EQ(out.at(0, 0)[0], 80);  // column 80
  EXPECT_EQ(out.at(0, 0)[1], 0);
  EXPECT_EQ(out.at(479, 479)[0] + 256 * out.at(479, 479)[2], 559);  // column 640 - 80 - 1
  EXPECT_EQ(out.at(479, 479)[1], 479 % 256);
}

TEST(CropTest, CenterCropSquarePortraitDropsRows) {
  const Image out = CenterCropSquare(Coordinates(48, 64));
  ASSERT_EQ(out.width, 48);
  ASSERT_EQ(out.height, 48);
  EXPECT_EQ(out.at(0, 0)[1], 8);  // row 8
  EXPECT_EQ(out.at(0, 0)[0], 0);
  EXPECT_EQ(out.at(47, 47)[1], 55);
  const Image square = Coordinates(10, 10);
  EXPECT_EQ(CenterCropSquare(square).pixels, square.pixels);
}

TEST(CropTest, CropAndResizeIsCropThenResize) {
  const Image cam = Pattern(640, 480, 3);
  const Image out = CropAndResize(cam, 128, 128);
  EXPECT_EQ(out.width, 128);
  EXPECT_EQ(out.height, 128);
  EXPECT_EQ(out.channels, 3);
  EXPECT_EQ(out.pixels, ResizeBilinear(CenterCropSquare(cam), 128, 128).pixels);
  // An odd difference keeps one extra column, as numpy's img[80:-80] does on 641 columns.
  const Image odd = Pattern(641, 480, 3);
  EXPECT_EQ(CropAndResize(odd, 64, 64).pixels, ResizeBilinear(Crop(odd, 80, 0, 481, 480), 64, 64).pixels);
  const Image portrait = CropAndResize(Pattern(480, 640, 3), 96, 96);
  EXPECT_EQ(portrait.width, 96);
  EXPECT_EQ(portrait.height, 96);
}

// ---------------------------------------------------------------------------------------------
// Video

// Frame k of a 64x48 clip: black with an 8x8 orange square (240, 120, 20) moving right along the top rows.
Image SquareFrame(int k, int width = 64, int height = 48) {
  constexpr uint8_t kOrange[3] = {240, 120, 20};
  Image f(width, height, 3, 0);
  const int x0 = (k * 2) % (width - 8);
  for (int r = 2; r < 10; ++r)
    for (int c = x0; c < x0 + 8; ++c) std::copy(kOrange, kOrange + 3, f.at(r, c));
  return f;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(MediaTest, Mp4WriterWritesAPlayableH264Video) {
  const std::string path = Path("videos/clip one.mp4");  // the folder is created; a space is fine
  {
    Mp4Writer writer(path, 64, 48, 15);
    for (int k = 0; k < 30; ++k) writer.AddFrame(SquareFrame(k));
    EXPECT_EQ(writer.frames(), 30);
    EXPECT_FALSE(fs::exists(path));  // only the partial file until Close
    writer.Close();
    writer.Close();  // a second Close does nothing
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_THAT(Listing(), ::testing::ElementsAre("videos"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "videos"), fs::directory_iterator()), 1);

  const VideoInfo info = ProbeVideo(path);
  EXPECT_EQ(info.frames, 30);
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_DOUBLE_EQ(info.fps, 15.0);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.pix_fmt, "yuv420p");

  // The content comes back: the square is where it was drawn (top rows, so no flip), the rest is dark.
  const std::vector<Image> frames = ReadVideoFrames(path);
  ASSERT_EQ(frames.size(), 30u);
  for (int k : {0, 7, 29}) {
    const int x0 = (k * 2) % 56;
    const uint8_t* centre = frames[k].at(6, x0 + 4);  // colours survive yuv420p and x264 roughly
    EXPECT_NEAR(centre[0], 240, 20) << "frame " << k;
    EXPECT_NEAR(centre[1], 120, 20) << "frame " << k;
    EXPECT_NEAR(centre[2], 20, 20) << "frame " << k;
    EXPECT_LT(frames[k].at(40, x0 + 4)[0], 40) << "frame " << k;
    EXPECT_LT(frames[k].at(6, (x0 + 32) % 64)[0], 40) << "frame " << k;
  }
}

TEST_F(MediaTest, Mp4WriterDestroyedWithoutCloseLeavesNoFile) {
  const std::string path = Path("aborted.mp4");
  try {
    Mp4Writer writer(path, 64, 48, 15);
    for (int k = 0; k < 5; ++k) writer.AddFrame(SquareFrame(k));
    EXPECT_TRUE(fs::exists(path + ".partial.mp4"));
    throw std::runtime_error("episode failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_THAT(Listing(), ::testing::IsEmpty());
}

TEST_F(MediaTest, Mp4WriterPadsOddSizesByRepeatingTheLastColumnAndRow) {
  const std::string path = Path("odd.mp4");
  Mp4Writer writer(path, 33, 25, 10);
  EXPECT_EQ(writer.video_width(), 34);
  EXPECT_EQ(writer.video_height(), 26);
  // White right column and bottom row, the rest black: the padding repeats them.
  Image frame(33, 25, 3, 0);
  for (int r = 0; r < 25; ++r)
    for (int ch = 0; ch < 3; ++ch) frame.at(r, 32)[ch] = 255;
  for (int c = 0; c < 33; ++c)
    for (int ch = 0; ch < 3; ++ch) frame.at(24, c)[ch] = 255;
  for (int k = 0; k < 3; ++k) writer.AddFrame(frame);
  writer.Close();
  const VideoInfo info = ProbeVideo(path);
  EXPECT_EQ(info.width, 34);
  EXPECT_EQ(info.height, 26);
  EXPECT_EQ(info.frames, 3);
  const std::vector<Image> frames = ReadVideoFrames(path);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_GT(frames[0].at(10, 33)[0], 200);  // padded column
  EXPECT_GT(frames[0].at(25, 10)[0], 200);  // padded row
  EXPECT_LT(frames[0].at(10, 10)[0], 40);
}

TEST_F(MediaTest, Mp4WriterBadPathThrowsIoErrorNamingIt) {
  std::ofstream(Path("file")) << "x";
  const std::string path = Path("file/sub/v.mp4");  // a folder cannot be created under a regular file
  EXPECT_THAT([&] { Mp4Writer(path, 64, 48, 15); }, ::testing::ThrowsMessage<IoError>(HasSubstr(path)));
  EXPECT_THAT([&] { Mp4Writer(Path("v.mp4"), 64, 48, 0); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("fps")));
  EXPECT_THAT([&] { Mp4Writer(Path("v.mp4"), 0, 48, 15); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("0x48")));
  EXPECT_THAT(Listing(), ::testing::ElementsAre("file"));
}

TEST_F(MediaTest, Mp4WriterWithoutFramesOrWithoutFfmpegThrowsIoError) {
  {
    Mp4Writer writer(Path("empty.mp4"), 64, 48, 15);
    EXPECT_THAT([&] { writer.Close(); }, ::testing::ThrowsMessage<IoError>(HasSubstr("no frames")));
  }
  {
    ScopedEnv env("SIM2REAL_FFMPEG", "/nonexistent/ffmpeg");
    EXPECT_THAT(
        [&] { Mp4Writer(Path("v.mp4"), 64, 48, 15); },
        ::testing::ThrowsMessage<IoError>(
            AllOf(HasSubstr(Path("v.mp4")), HasSubstr("/nonexistent/ffmpeg"), HasSubstr("SIM2REAL_FFMPEG"))));
  }
  EXPECT_THAT(Listing(), ::testing::IsEmpty());
}

TEST_F(MediaTest, Mp4WriterSurvivesFfmpegDyingMidStream) {
  // A stand-in ffmpeg that complains and exits without reading: writing must give IoError with its
  // message, not kill us with SIGPIPE.
  const std::string fake = Path("fake-ffmpeg");
  std::ofstream(fake) << "#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 3\n";
  fs::permissions(fake, fs::perms::owner_all);
  ScopedEnv env("SIM2REAL_FFMPEG", fake.c_str());
  const std::string path = Path("dead.mp4");
  Mp4Writer writer(path, 64, 48, 15);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const Image frame = SquareFrame(0);
  EXPECT_THAT(
      [&] {
        for (int k = 0; k < 100; ++k) writer.AddFrame(frame);
        writer.Close();
      },
      ::testing::ThrowsMessage<IoError>(
          AllOf(HasSubstr(path), HasSubstr("exit code 3"), HasSubstr("Unknown encoder libx264"))));
  EXPECT_THROW(writer.AddFrame(frame), IoError);  // stays failed
  EXPECT_THROW(writer.Close(), IoError);
  EXPECT_THAT(Listing(), ::testing::ElementsAre("fake-ffmpeg"));
}

TEST_F(MediaTest, ProbeVideoErrorsNameThePath) {
  EXPECT_THAT([&] { ProbeVideo(Path("missing.mp4")); },
              ::testing::ThrowsMessage<IoError>(HasSubstr(Path("missing.mp4"))));
  // ffprobe itself fails on the first and "finds" a 0x0 PNG stream in the second.
  for (const char* name : {"text.mp4", "text.png"}) {
    std::ofstream(Path(name)) << "not a video";
    EXPECT_THAT([&] { ProbeVideo(Path(name)); }, ::testing::ThrowsMessage<IoError>(HasSubstr(Path(name))));
  }
}

}  // namespace
}  // namespace s2r::media
