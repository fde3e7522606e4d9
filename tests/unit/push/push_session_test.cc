// push::run_push, the whole `spanprof push DIR` without a process: settings
// checked first, shaping, delivery to a real HTTP server on 127.0.0.1,
// resuming, and what a --force'd or moved capture means for it.
#include "push/push_session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "push/outbox.h"
#include "scripted_http_server.h"
#include "shape_test_util.h"

namespace spanprof::push {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::ScriptedHttpServer;
using testing::ScriptedReply;

const fs::path kDemo = fs::path(SPANPROF_SOURCE_ROOT) / "testdata/captures/demo-spans";

class PushSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy_file(kDemo / "perf.data", dir_.path() / "perf.data");
    fs::copy_file(kDemo / "spans.jsonl", dir_.path() / "spans.jsonl");
    settings_.server = server_.url();
    settings_.shift_to_now = true;  // the committed capture is older than the server accepts
    settings_.buildid_dir = (kDemo / "buildid").string();
    settings_.max_attempts = 1;
  }
  std::string dir() const { return dir_.path().string(); }

  ScratchDir dir_;
  ScriptedHttpServer server_;
  PushSettings settings_;
};

TEST_F(PushSessionTest, ShapesDeliversAndThenHasNothingLeft) {
  int shaped_calls = 0;
  PushObserver observer;
  observer.on_shaped = [&](const ShapeReport& report) {
    ++shaped_calls;
    EXPECT_GT(report.batches, 0u);
  };
  auto outcome = run_push(dir(), settings_, observer);
  ASSERT_TRUE(outcome) << outcome.error().error.to_string();
  EXPECT_EQ(shaped_calls, 1);
  EXPECT_EQ(outcome->status, PushStatus::kDelivered);
  ASSERT_TRUE(outcome->shaped.has_value());
  EXPECT_FALSE(outcome->resumed.has_value());
  // Trace batches (shaped when the capture has spans) wait for a --traces-endpoint.
  uint64_t sent = outcome->delivery.profiles.sent;
  EXPECT_EQ(sent + outcome->delivery.traces.not_forwarded, outcome->shaped->batches);
  EXPECT_EQ(server_.received().size(), sent);

  // Again: resumed, nothing pending, nothing sent.
  auto again = run_push(dir(), settings_);
  ASSERT_TRUE(again) << again.error().error.to_string();
  ASSERT_TRUE(again->resumed.has_value());
  EXPECT_EQ(again->resumed->pending, 0u);
  EXPECT_EQ(again->resumed->delivered, sent);
  EXPECT_EQ(again->resumed->plan.profiles.summary(),
            fmt::format("profiles -> {}: 0 pending, {} delivered earlier", server_.url(), sent));
  EXPECT_EQ(again->status, PushStatus::kDelivered);
  EXPECT_EQ(server_.received().size(), sent);
}

TEST_F(PushSessionTest, AnotherServerGetsEverythingWithoutReshaping) {
  auto first = run_push(dir(), settings_);
  ASSERT_TRUE(first) << first.error().error.to_string();
  uint64_t sent = first->delivery.profiles.sent;
  ASSERT_GT(sent, 0u);

  ScriptedHttpServer other;
  settings_.server = other.url();
  auto second = run_push(dir(), settings_);
  ASSERT_TRUE(second) << second.error().error.to_string();
  ASSERT_TRUE(second->resumed.has_value());
  EXPECT_TRUE(second->resumed->plan.profiles.new_destination);
  EXPECT_EQ(second->resumed->pending, sent);
  EXPECT_EQ(second->status, PushStatus::kDelivered);
  EXPECT_EQ(other.received().size(), sent);
  EXPECT_EQ(server_.received().size(), sent);  // the first server got nothing again
}

TEST_F(PushSessionTest, APushJsonOfTheEarlierVersionNeedsReshape) {
  ASSERT_TRUE(run_push(dir(), settings_));
  std::ofstream(dir_.path() / "push.json", std::ios::trunc)
      << R"({"schema":"spanprof.push/1","fingerprint":"x","shaped_at_unix_ns":1,"batches":1,"shift_ns":0})";
  auto refused = run_push(dir(), settings_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, PushFailureKind::kUnusableInput);
  EXPECT_NE(refused.error().error.hint.find("--reshape"), std::string::npos)
      << refused.error().error.to_string();

  settings_.reshape = true;
  auto reshaped = run_push(dir(), settings_);
  ASSERT_TRUE(reshaped) << reshaped.error().error.to_string();
  EXPECT_TRUE(reshaped->shaped.has_value());
  EXPECT_EQ(reshaped->status, PushStatus::kDelivered);
}

TEST_F(PushSessionTest, AFailedDeliveryIsIncompleteAndResumesWithWhatIsLeft) {
  server_.script({ScriptedReply{503, "", "busy", false}});
  auto outcome = run_push(dir(), settings_);
  ASSERT_TRUE(outcome) << outcome.error().error.to_string();
  EXPECT_EQ(outcome->status, PushStatus::kIncomplete);
  uint64_t left = outcome->delivery.profiles.left;
  EXPECT_GT(left, 0u);

  settings_.shaping_given = true;
  settings_.labels = {"env=other"};  // other shaping options: noted, not reshaped
  auto resumed = run_push(dir(), settings_);
  ASSERT_TRUE(resumed) << resumed.error().error.to_string();
  ASSERT_TRUE(resumed->resumed.has_value());
  EXPECT_EQ(resumed->resumed->pending, left);
  EXPECT_TRUE(resumed->resumed->options_changed);
  EXPECT_EQ(resumed->status, PushStatus::kDelivered);
}

TEST_F(PushSessionTest, ARejectionIsRejected) {
  server_.script({ScriptedReply{400, "", "bad profile", false}});
  auto outcome = run_push(dir(), settings_);
  ASSERT_TRUE(outcome) << outcome.error().error.to_string();
  EXPECT_EQ(outcome->status, PushStatus::kRejected);
  EXPECT_NE(outcome->delivery.profiles.stop_reason.find("bad profile"), std::string::npos);
}

TEST_F(PushSessionTest, BadSettingsAreUsageErrorsBeforeAnythingIsRead) {
  const std::vector<std::pair<std::function<void(PushSettings&)>, std::string>> cases = {
      {[](PushSettings& s) { s.server.clear(); }, "--server"},
      {[](PushSettings& s) { s.server = "ftp://x"; }, "--server"},
      {[](PushSettings& s) { s.protocol = "grpc"; }, "--protocol"},
      {[](PushSettings& s) { s.labels = {"novalue"}; }, "--label"},
      {[](PushSettings& s) { s.matching.span_scope = "leaf"; }, "--span-scope"},
      {[](PushSettings& s) { s.max_age_s = 0; }, "--max-age"},
      {[](PushSettings& s) { s.timeout_s = 0; }, "--timeout"},
      {[](PushSettings& s) { s.max_attempts = 0; }, "--max-attempts"},
      {[](PushSettings& s) { s.tenant = "two words"; }, "--tenant"},
      {[](PushSettings& s) { s.credentials.token_env = "SPANPROF_TEST_NO_SUCH_VAR"; },
       "SPANPROF_TEST_NO_SUCH_VAR"},
  };
  for (const auto& [change, mentioned] : cases) {
    PushSettings settings = settings_;
    change(settings);
    auto outcome = run_push((dir_.path() / "not-even-read").string(), settings);
    ASSERT_FALSE(outcome) << mentioned;
    EXPECT_EQ(outcome.error().kind, PushFailureKind::kUsage) << mentioned;
    EXPECT_NE(outcome.error().error.to_string().find(mentioned), std::string::npos)
        << outcome.error().error.to_string();
  }
  EXPECT_TRUE(server_.received().empty());
}

TEST_F(PushSessionTest, AnUnusableDirectoryIsUnusableInput) {
  auto outcome = run_push((dir_.path() / "nonexistent").string(), settings_);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, PushFailureKind::kUnusableInput);
  EXPECT_NE(outcome.error().error.message.find("no such directory"), std::string::npos);
}

TEST_F(PushSessionTest, TheSummaryIsWrittenWithTheExitCode) {
  auto outcome = run_push(dir(), settings_);
  ASSERT_TRUE(outcome);
  std::string path = (dir_.path() / "push-summary.json").string();
  ASSERT_TRUE(write_push_summary(path, outcome->delivery, 0));
  std::string text = testing::read_file(path);
  EXPECT_NE(text.find("\"schema\":\"spanprof.push-summary/2\",\"exit_code\":0,\"delivered\":true"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"profiles\":{\"destination\":\"" + server_.url() +
                      "\",\"new_destination\":true,\"delivered_earlier\":0,"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace spanprof::push
