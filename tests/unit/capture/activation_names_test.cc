// The capture layout's activation files (docs/activations.md): their names,
// that spanprof counts them as its own, and that open_capture lists them.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "capture/capture_dir.h"
#include "capture/layout.h"

namespace spanprof::capture {
namespace {

namespace fs = std::filesystem;

TEST(ActivationNames, OnePerProcessByPid) {
  EXPECT_EQ(activation_file_name(1234), "activations-1234.bin");
  EXPECT_EQ(activation_file_name(0), "activations-0.bin");
  EXPECT_EQ(activation_file_name(4294967295u), "activations-4294967295.bin");
  EXPECT_TRUE(is_activation_file_name(activation_file_name(4294967295u)));
  EXPECT_EQ(activation_error_note_name(1234), "activations-1234.error");
  EXPECT_TRUE(is_activation_error_note_name(activation_error_note_name(4294967295u)));
  EXPECT_FALSE(is_activation_file_name(activation_error_note_name(1234)));
}

TEST(ActivationNames, AFileNameIsPrefixDecimalDigitsSuffix) {
  EXPECT_TRUE(is_activation_file_name("activations-1.bin"));
  EXPECT_TRUE(is_activation_file_name("activations-0012.bin"));
  EXPECT_FALSE(is_activation_file_name("activations-.bin"));
  EXPECT_FALSE(is_activation_file_name("activations-12a.bin"));
  EXPECT_FALSE(is_activation_file_name("activations--12.bin"));
  EXPECT_FALSE(is_activation_file_name("activations-+12.bin"));
  EXPECT_FALSE(is_activation_file_name("activations-1 .bin"));
  EXPECT_FALSE(is_activation_file_name("activations-12.bin.gz"));
  EXPECT_FALSE(is_activation_file_name("activations-12.error"));
  EXPECT_FALSE(is_activation_file_name("xactivations-12.bin"));
  EXPECT_FALSE(is_activation_file_name("activations.bin"));
  EXPECT_FALSE(is_activation_file_name("activations-12345678901.bin"));  // 11 digits: no pid
  EXPECT_TRUE(is_activation_file_name("activations-1234567890.bin"));
}

TEST(ActivationNames, ErrorNotesHaveTheirOwnSuffix) {
  EXPECT_TRUE(is_activation_error_note_name("activations-77.error"));
  EXPECT_FALSE(is_activation_error_note_name("activations-77.bin"));
  EXPECT_FALSE(is_activation_error_note_name("activations-.error"));
  EXPECT_FALSE(is_activation_error_note_name("activations-77.errors"));
  EXPECT_FALSE(is_activation_error_note_name("activations-7x.error"));
}

TEST(ActivationNames, AreCaptureFilesWithTheirLeftovers) {
  EXPECT_TRUE(is_capture_file_name("activations-77.bin"));
  EXPECT_TRUE(is_capture_file_name("activations-77.error"));
  EXPECT_TRUE(is_capture_file_name("activations-77.bin.old"));
  EXPECT_FALSE(is_capture_file_name("activations-x.bin"));
  EXPECT_FALSE(is_capture_file_name("activations-77.txt"));
}

class ActivationListing : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-capture-activations-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    touch("perf.data");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void touch(const std::string& name) { std::ofstream(dir_ / name) << "x"; }
  std::string at(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(ActivationListing, OpenCaptureListsFilesAndNotesSorted) {
  for (const char* name : {"activations-9.bin", "activations-10.bin", "activations-10.error",
                           "activations-x.bin", "activations-9.bin.old", "notes.bin"}) {
    touch(name);
  }
  fs::create_directory(dir_ / "activations-11.bin");  // not a regular file
  auto capture = open_capture(dir_.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  EXPECT_EQ(capture->activation_files,
            (std::vector<std::string>{at("activations-10.bin"), at("activations-9.bin")}));
  EXPECT_EQ(capture->activation_error_notes, std::vector<std::string>{at("activations-10.error")});
  EXPECT_TRUE(capture->span_files.empty());
}

TEST_F(ActivationListing, NoActivationFilesIsNothingListed) {
  auto capture = open_capture(dir_.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  EXPECT_TRUE(capture->activation_files.empty());
  EXPECT_TRUE(capture->activation_error_notes.empty());
}

}  // namespace
}  // namespace spanprof::capture
