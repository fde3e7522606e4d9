// load_activations on files written to a temporary directory: grouping by
// thread, time order, the clock pair, and that every damaged or missing file
// and every writer's error note is counted and reported, never fatal.
#include "activations/activation_set.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "activation_bytes.h"

namespace spanprof::activations {
namespace {

namespace fs = std::filesystem;
using testing::ActivationBytes;
using Header = ActivationBytes::Header;

class ActivationSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-activations-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path.string();
  }
  std::string write_text(const std::string& name, const std::string& text) {
    return write(name, std::vector<uint8_t>(text.begin(), text.end()));
  }

  static bool mentions(const ActivationSet& set, const std::string& where, const std::string& text) {
    for (const Warning& warning : set.warnings) {
      EXPECT_EQ(warning.kind, WarningKind::kActivations);
      if (warning.where == where && warning.message.find(text) != std::string::npos) return true;
    }
    return false;
  }

  fs::path dir_;
};

TEST_F(ActivationSetTest, GroupsByThreadAndSortsEachByTime) {
  ActivationBytes a;  // pid 100
  // Threads interleave in the file; each thread's own records are in order.
  a.record(20, 101, 1, 2).record(10, 100, 1, 1).record(30, 101, 1, 3).none(40, 100);
  Header other;
  other.pid = 50;
  ActivationBytes b(other);
  b.record(5, 50, 2, 9);
  std::string a_path = write("activations-100.bin", a.data());
  std::string b_path = write("activations-50.bin", b.data());
  ActivationSet set = load_activations({a_path, b_path}, {});
  EXPECT_TRUE(set.warnings.empty());
  EXPECT_EQ(set.stats.files, 2u);
  EXPECT_EQ(set.stats.files_skipped, 0u);
  EXPECT_EQ(set.stats.records, 5u);
  EXPECT_EQ(set.stats.threads, 3u);
  EXPECT_EQ(set.stats.records_out_of_order, 0u);
  ASSERT_EQ(set.threads.size(), 3u);
  // Sorted by (pid, tid).
  EXPECT_EQ(set.threads[0].pid, 50u);
  EXPECT_EQ(set.threads[1].tid, 100u);
  EXPECT_EQ(set.threads[2].tid, 101u);
  ASSERT_EQ(set.threads[1].records.size(), 2u);
  EXPECT_EQ(set.threads[1].records[0].time_ns, 10u);
  EXPECT_TRUE(set.threads[1].records[1].is_none());
  ASSERT_EQ(set.threads[2].records.size(), 2u);
  EXPECT_EQ(set.threads[2].records[0].span_id, 2u);
  EXPECT_EQ(set.threads[2].records[1].time_ns, 30u);
  EXPECT_FALSE(set.empty());
}

TEST_F(ActivationSetTest, RecordsOutOfOrderOnTheirThreadAreSortedAndCounted) {
  ActivationBytes file;
  file.record(30, 100, 1, 3).record(10, 100, 1, 1).record(20, 100, 1, 2).record(20, 100, 1, 4);
  ActivationSet set = load_activations({write("activations-100.bin", file.data())}, {});
  // 10 is earlier than 30; 20 is not earlier than 10, the record before it.
  EXPECT_EQ(set.stats.records_out_of_order, 1u);
  ASSERT_EQ(set.threads.size(), 1u);
  const auto& records = set.threads[0].records;
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].span_id, 1u);
  // Equal times keep file order.
  EXPECT_EQ(records[1].span_id, 2u);
  EXPECT_EQ(records[2].span_id, 4u);
  EXPECT_EQ(records[3].span_id, 3u);
  EXPECT_TRUE(mentions(set, "", "1 activation records were earlier"));
}

TEST_F(ActivationSetTest, TheClockPairGivesRealtimeMinusMonotonic) {
  ActivationBytes file;
  file.record(1, 100, 1, 1);
  ActivationSet set = load_activations({write("activations-100.bin", file.data())}, {});
  ASSERT_EQ(set.threads.size(), 1u);
  EXPECT_EQ(set.threads[0].realtime_minus_monotonic_ns,
            int64_t{1'700'000'000'000'000'000} - 5'000'000'000);

  for (auto [mono, real] : {std::pair<uint64_t, uint64_t>{0, 1'700'000'000'000'000'000},
                            std::pair<uint64_t, uint64_t>{5'000'000'000, 0}}) {
    Header header;
    header.monotonic_ns = mono;
    header.realtime_ns = real;
    ActivationBytes without(header);
    without.record(1, 100, 1, 1);
    ActivationSet unset = load_activations({write("activations-100.bin", without.data())}, {});
    ASSERT_EQ(unset.threads.size(), 1u);
    EXPECT_FALSE(unset.threads[0].realtime_minus_monotonic_ns.has_value()) << mono << " " << real;
  }
}

TEST_F(ActivationSetTest, AClockPairBeyondSignedRangeIsNoClockPair) {
  // Garbage in a header: times no clock reads (past 2^63 ns, 292 years).
  // The difference does not fit an int64_t, so there is no way to Unix time.
  for (auto [mono, real] :
       {std::pair<uint64_t, uint64_t>{0x8000000000000001u, 0x7fffffffffffffffu},
        std::pair<uint64_t, uint64_t>{1, 0xffffffffffffffffu},
        std::pair<uint64_t, uint64_t>{0xfffffffffffffff0u, 5}}) {
    Header header;
    header.monotonic_ns = mono;
    header.realtime_ns = real;
    ActivationBytes file(header);
    file.record(1, 100, 1, 1);
    ActivationSet set = load_activations({write("activations-100.bin", file.data())}, {});
    ASSERT_EQ(set.threads.size(), 1u);
    EXPECT_FALSE(set.threads[0].realtime_minus_monotonic_ns.has_value())
        << std::hex << mono << " " << real << " gave " << *set.threads[0].realtime_minus_monotonic_ns;
  }
}

TEST_F(ActivationSetTest, UnusableFilesAreSkippedWithAWarningNamingThem) {
  ActivationBytes good;
  good.record(1, 100, 1, 1);
  Header v2;
  v2.version = 2;
  Header bad_magic;
  bad_magic.magic = std::string("NOTSPANS", 8);
  std::string good_path = write("activations-100.bin", good.data());
  std::string empty = write("activations-1.bin", {});
  std::string version = write("activations-2.bin", ActivationBytes(v2).record(1, 100, 1, 1).data());
  std::string magic = write("activations-3.bin", ActivationBytes(bad_magic).data());
  std::string missing = (dir_ / "activations-4.bin").string();
  fs::create_directory(dir_ / "activations-5.bin");
  std::string directory = (dir_ / "activations-5.bin").string();

  ActivationSet set = load_activations({empty, good_path, version, magic, missing, directory}, {});
  EXPECT_EQ(set.stats.files, 1u);
  EXPECT_EQ(set.stats.files_skipped, 5u);
  EXPECT_EQ(set.stats.records, 1u);
  EXPECT_EQ(set.threads.size(), 1u);
  EXPECT_EQ(set.warnings.size(), 5u);
  EXPECT_TRUE(mentions(set, empty, "shorter than the 40-byte header"));
  EXPECT_TRUE(mentions(set, version, "version 2"));
  EXPECT_TRUE(mentions(set, magic, "first 8 bytes"));
  EXPECT_TRUE(mentions(set, missing, "cannot open"));
  EXPECT_TRUE(mentions(set, directory, "not a regular file"));
}

TEST_F(ActivationSetTest, TornTailsAndForeignRecordsAreCountedPerFile) {
  ActivationBytes torn;
  torn.record(1, 100, 1, 1).raw({1, 2, 3, 4, 5});
  Header other;
  other.pid = 200;
  ActivationBytes foreign(other);
  foreign.record(1, 200, 1, 2).record(2, 201, 1, 3, /*pid=*/999).record(3, 202, 1, 4, 998);
  std::string torn_path = write("activations-100.bin", torn.data());
  std::string foreign_path = write("activations-200.bin", foreign.data());
  ActivationSet set = load_activations({torn_path, foreign_path}, {});
  // The file with foreign records is damaged: none of it is used.
  EXPECT_EQ(set.stats.files, 1u);
  EXPECT_EQ(set.stats.files_skipped, 1u);
  EXPECT_EQ(set.stats.files_torn, 1u);
  EXPECT_EQ(set.stats.torn_bytes, 5u);
  EXPECT_EQ(set.stats.records_wrong_pid, 2u);
  EXPECT_EQ(set.stats.records, 1u);
  EXPECT_EQ(set.threads.size(), 1u);
  EXPECT_TRUE(mentions(set, torn_path, "partial record of 5 bytes"));
  EXPECT_TRUE(mentions(set, foreign_path, "2 records name another process than the file's (200): "
                                          "the file is damaged and none of it is used"));
}

TEST_F(ActivationSetTest, AHeaderOnlyFileIsReadAndGivesNoThreads) {
  ActivationSet set = load_activations({write("activations-100.bin", ActivationBytes{}.data())}, {});
  EXPECT_EQ(set.stats.files, 1u);
  EXPECT_EQ(set.stats.records, 0u);
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.warnings.empty());
}

TEST_F(ActivationSetTest, WritersErrorNotesBecomeOneLineWarnings) {
  std::string note = write_text("activations-100.error",
                                "cannot create activations-100.bin: No space left on device\n"
                                "second line is not the writer's\n");
  std::string long_note = write_text("activations-101.error", std::string(1000, 'x'));
  std::string gone = (dir_ / "activations-102.error").string();
  ActivationSet set = load_activations({}, {note, long_note, gone});
  EXPECT_EQ(set.stats.writer_errors, 3u);
  EXPECT_TRUE(set.empty());
  ASSERT_EQ(set.warnings.size(), 3u);
  EXPECT_TRUE(mentions(set, note, "No space left on device"));
  EXPECT_EQ(set.warnings[0].message.find("second line"), std::string::npos);
  EXPECT_TRUE(mentions(set, long_note, std::string(300, 'x')));
  EXPECT_EQ(set.warnings[1].message.find(std::string(301, 'x')), std::string::npos);
  EXPECT_TRUE(mentions(set, gone, "cannot be read"));
}

// summary.json carries the note as text: the cut must not split a UTF-8
// character (a path with non-ASCII names in the writer's line).
TEST_F(ActivationSetTest, ALongNoteIsCutBetweenCharacters) {
  std::string text = std::string(299, 'x') + "\xc3\xa9" + "tail";  // U+00E9 at bytes 299..300
  std::string note = write_text("activations-100.error", text);
  ActivationSet set = load_activations({}, {note});
  ASSERT_EQ(set.warnings.size(), 1u);
  const std::string& message = set.warnings[0].message;
  EXPECT_TRUE(message.ends_with(": " + std::string(299, 'x'))) << message;
}

}  // namespace
}  // namespace spanprof::activations
