#include "push/outbox.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace spanprof::push {
namespace {

namespace fs = std::filesystem;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-outbox-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Batch batch(std::string id, std::string body) {
    Batch b;
    b.info.id = std::move(id);
    b.info.kind = BatchKind::kPyroscopeIngest;
    b.info.path_and_query = "/ingest?name=app%7B%7D&from=1&until=2&format=pprof";
    b.info.content_type = "application/octet-stream";
    b.info.profiles = 1;
    b.info.samples = 7;
    b.info.window_start_ns = 1'700'000'000'000'000'000;
    b.info.window_end_ns = 1'700'000'010'000'000'000;
    b.body = std::move(body);
    return b;
  }

  fs::path dir_;
};

TEST_F(OutboxTest, EmptyWhenNothingWasWritten) {
  Outbox outbox(dir_.string());
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->empty());
}

TEST_F(OutboxTest, RoundTripsBatchesInIdOrder) {
  Outbox outbox(dir_.string());
  std::string binary("\0\x01\xff\"quote\"", 10);
  ASSERT_TRUE(outbox.write(batch("000002-traces", "second")).has_value());
  ASSERT_TRUE(outbox.write(batch("000001-profile", binary)).has_value());
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, "000001-profile");
  EXPECT_EQ((*pending)[0].kind, BatchKind::kPyroscopeIngest);
  EXPECT_EQ((*pending)[0].path_and_query, "/ingest?name=app%7B%7D&from=1&until=2&format=pprof");
  EXPECT_EQ((*pending)[0].samples, 7u);
  EXPECT_EQ((*pending)[0].window_start_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ((*pending)[0].body_bytes, binary.size());
  auto body = outbox.read_body((*pending)[0]);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, binary);
}

TEST_F(OutboxTest, AcknowledgedBatchesAreGone) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  ASSERT_TRUE(outbox.write(batch("000002-profile", "b")).has_value());
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  ASSERT_TRUE(outbox.acknowledge((*pending)[0]).has_value());
  pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, "000002-profile");
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000001-profile.body"));
}

TEST_F(OutboxTest, OrphanBodiesAndTemporariesAreRemoved) {
  Outbox outbox(dir_.string());
  fs::create_directories(dir_ / "outbox");
  std::ofstream(dir_ / "outbox" / "000009-profile.body") << "orphan";
  std::ofstream(dir_ / "outbox" / "000010-profile.json.tmp") << "{";
  std::ofstream(dir_ / "outbox" / "000011-profile.body.tmp-4242-7") << "half";
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->empty());
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000009-profile.body"));
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000010-profile.json.tmp"));
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "000011-profile.body.tmp-4242-7"));
}

TEST_F(OutboxTest, DamagedEntryIsAnErrorNamingTheFile) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  std::ofstream(dir_ / "outbox" / "000001-profile.json", std::ios::trunc) << "{\"schema\":";
  auto pending = outbox.pending();
  ASSERT_FALSE(pending.has_value());
  EXPECT_NE(pending.error().where.find("000001-profile.json"), std::string::npos);
}

TEST_F(OutboxTest, TruncatedBodyIsDetected) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "abcdef")).has_value());
  std::ofstream(dir_ / "outbox" / "000001-profile.body", std::ios::trunc) << "abc";
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  auto body = outbox.read_body((*pending)[0]);
  EXPECT_FALSE(body.has_value());
}

TEST_F(OutboxTest, RejectsIdsThatAreNotPlainNames) {
  Outbox outbox(dir_.string());
  EXPECT_FALSE(outbox.write(batch("../escape", "a")).has_value());
  EXPECT_FALSE(outbox.write(batch("", "a")).has_value());
}

TEST_F(OutboxTest, ClearDropsEverything) {
  Outbox outbox(dir_.string());
  ASSERT_TRUE(outbox.write(batch("000001-profile", "a")).has_value());
  ASSERT_TRUE(outbox.clear().has_value());
  auto pending = outbox.pending();
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->empty());
}

}  // namespace
}  // namespace spanprof::push
