#include "push/delivery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "push/outbox.h"
#include "scripted_http_server.h"

namespace spanprof::push {
namespace {

namespace fs = std::filesystem;
using testing::ScriptedHttpServer;
using testing::ScriptedReply;

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-delivery-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.retry.initial_delay_ms = 10;
    options_.retry.max_delay_ms = 50;
    options_.retry.max_attempts = 4;
    options_.retry_seed = 5;
    options_.http.timeout_ms = 2000;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_batch(const std::string& id, BatchKind kind, const std::string& body,
                   const std::function<void(BatchInfo&)>& change = {}) {
    Batch batch;
    batch.info.id = id;
    batch.info.kind = kind;
    batch.info.path_and_query = kind == BatchKind::kOtlpTraces ? "" : "/push.v1.PusherService/Push";
    batch.info.content_type =
        kind == BatchKind::kOtlpTraces ? "application/x-protobuf" : "application/proto";
    batch.info.profiles = kind == BatchKind::kOtlpTraces ? 0 : 1;
    batch.info.samples = kind == BatchKind::kOtlpTraces ? 0 : 3;
    batch.info.spans = kind == BatchKind::kOtlpTraces ? 2 : 0;
    batch.body = body;
    if (change) change(batch.info);
    ASSERT_TRUE(Outbox(dir_.string()).write(batch));
  }

  // Batches of the class its ledger does not hold, in id order.
  std::vector<std::string> pending_ids(DeliveryClass what, const std::string& url,
                                       const std::string& tenant = "") {
    Outbox outbox(dir_.string());
    auto destination = destination_for(what, url, tenant);
    EXPECT_TRUE(destination.has_value());
    auto ledger = outbox.ledger(*destination);
    auto batches = outbox.batches();
    EXPECT_TRUE(ledger.has_value() && batches.has_value());
    std::vector<std::string> ids;
    for (const BatchInfo& info : *batches) {
      if (info.delivery_class() == what && !ledger->contains(info.id)) ids.push_back(info.id);
    }
    return ids;
  }

  // A clock that only moves when delivery sleeps.
  void use_fake_clock(int64_t unix_now_ns) {
    unix_now_ns_ = unix_now_ns;
    options_.clock.steady_ns = [this] { return steady_now_ns_; };
    options_.clock.unix_ns = [this] { return unix_now_ns_ + steady_now_ns_; };
    options_.clock.sleep_ns = [this](int64_t ns) {
      sleeps_.push_back(ns);
      steady_now_ns_ += ns;
    };
  }

  static std::vector<std::string> bodies(ScriptedHttpServer& server) {
    std::vector<std::string> out;
    for (const auto& request : server.received()) out.push_back(request.body);
    return out;
  }

  fs::path dir_;
  DeliveryOptions options_;
  int64_t steady_now_ns_ = 0;
  int64_t unix_now_ns_ = 0;
  std::vector<int64_t> sleeps_;
};

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kHour = 3600'000'000'000;
constexpr int64_t kWindowStart = 1'800'000'000'000'000'000;

TEST_F(DeliveryTest, SendsInIdOrderToEachDestinationAndAcknowledges) {
  ScriptedHttpServer pyroscope;
  ScriptedHttpServer tempo;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-profile", BatchKind::kPyroscopePush, "p2");
  write_batch("000003-traces", BatchKind::kOtlpTraces, "t1");
  options_.profiles.url = pyroscope.url() + "/";
  options_.profiles.tenant = "team-a";
  options_.traces.url = tempo.url() + "/v1/traces";
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->all_delivered());
  EXPECT_EQ(report->profiles.sent, 2u);
  EXPECT_EQ(report->profiles.samples, 6u);
  EXPECT_EQ(report->traces.sent, 1u);
  EXPECT_EQ(report->traces.spans, 2u);
  EXPECT_EQ(bodies(pyroscope), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(bodies(tempo), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(pyroscope.received()[0].request_line, "POST /push.v1.PusherService/Push HTTP/1.1");
  EXPECT_NE(pyroscope.received()[0].headers.find("X-Scope-OrgID: team-a"), std::string::npos);
  EXPECT_EQ(tempo.received()[0].request_line, "POST /v1/traces HTTP/1.1");
  EXPECT_TRUE(report->profiles.plan.new_destination);
  EXPECT_EQ(report->profiles.plan.pending, 2u);
  EXPECT_TRUE(pending_ids(DeliveryClass::kProfiles, options_.profiles.url, "team-a").empty());
  EXPECT_TRUE(pending_ids(DeliveryClass::kTraces, options_.traces.url).empty());
  EXPECT_TRUE(fs::exists(dir_ / "outbox" / "000001-profile.body"));  // kept for other destinations
}

TEST_F(DeliveryTest, RetriesA500AndA429WithRetryAfterThenDeliversOnce) {
  ScriptedHttpServer server;
  server.script({ScriptedReply{500, "", "boom", false},
                 ScriptedReply{429, "Retry-After: 0\r\n", "", false}});
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  options_.profiles.url = server.url();
  std::vector<std::string> events;
  options_.on_event = [&](const std::string& line) { events.push_back(line); };
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.sent, 1u);
  EXPECT_EQ(report->profiles.retried, 2u);
  EXPECT_EQ(bodies(server), (std::vector<std::string>{"p1", "p1", "p1"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].find("HTTP 500: boom"), std::string::npos) << events[0];
  EXPECT_TRUE(pending_ids(DeliveryClass::kProfiles, server.url()).empty());
}

TEST_F(DeliveryTest, ARefusalStopsThatDestinationKeepsTheBatchAndQuotesTheServer) {
  ScriptedHttpServer server;
  ScriptedHttpServer tempo;
  server.script({ScriptedReply{200, "", "", false},
                 ScriptedReply{400, "Content-Type: application/json\r\n",
                               R"({"code":"invalid_argument","message":"service_name is missing"})",
                               false}});
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-profile", BatchKind::kPyroscopePush, "p2");
  write_batch("000003-profile", BatchKind::kPyroscopePush, "p3");
  write_batch("000004-traces", BatchKind::kOtlpTraces, "t1");
  options_.profiles.url = server.url();
  options_.traces.url = tempo.url();
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.sent, 1u);
  EXPECT_EQ(report->profiles.rejected, 1u);
  EXPECT_EQ(report->profiles.left, 2u);
  EXPECT_EQ(report->profiles.retried, 0u);
  EXPECT_TRUE(report->profiles.stopped_by_rejection);
  EXPECT_NE(report->profiles.stop_reason.find("service_name is missing (invalid_argument)"),
            std::string::npos)
      << report->profiles.stop_reason;
  EXPECT_EQ(report->traces.sent, 1u);  // the other destination goes on
  EXPECT_EQ(bodies(server), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(pending_ids(DeliveryClass::kProfiles, server.url()),
            (std::vector<std::string>{"000002-profile", "000003-profile"}));

  // The next push sends exactly what is left.
  auto again = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->all_delivered());
  EXPECT_EQ(bodies(server), (std::vector<std::string>{"p1", "p2", "p2", "p3"}));
  EXPECT_EQ(bodies(tempo), (std::vector<std::string>{"t1"}));
}

TEST_F(DeliveryTest, AnUnreachableServerLeavesEverythingPending) {
  std::string url;
  {
    ScriptedHttpServer closed;
    url = closed.url();
  }
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-profile", BatchKind::kPyroscopePush, "p2");
  options_.profiles.url = url;
  options_.retry.max_attempts = 2;
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->all_delivered());
  EXPECT_FALSE(report->any_rejected());
  EXPECT_EQ(report->profiles.left, 2u);
  EXPECT_EQ(report->profiles.retried, 1u);  // the second batch is not tried
  EXPECT_NE(report->profiles.stop_reason.find("gave up"), std::string::npos);
  EXPECT_EQ(pending_ids(DeliveryClass::kProfiles, url).size(), 2u);
}

TEST_F(DeliveryTest, ATimeoutIsRetriedAndCredentialsNeverReachMessages) {
  ScriptedHttpServer server;
  ScriptedReply hang;
  hang.hang = true;
  server.script({hang, ScriptedReply{401, "", "bad token: Bearer tok-SECRET-1234", false}});
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  options_.profiles.url = server.url();
  options_.http.timeout_ms = 300;
  options_.profiles.credentials.header_lines = {"Authorization: Bearer tok-SECRET-1234"};
  options_.profiles.credentials.secrets = {"tok-SECRET-1234"};
  std::vector<std::string> events;
  options_.on_event = [&](const std::string& line) { events.push_back(line); };
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.retried, 1u);
  EXPECT_EQ(report->profiles.rejected, 1u);
  EXPECT_EQ(report->profiles.stop_reason.find("SECRET"), std::string::npos);
  EXPECT_NE(report->profiles.stop_reason.find("bad token: Bearer ***"), std::string::npos)
      << report->profiles.stop_reason;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].find("timed out"), std::string::npos) << events[0];
  EXPECT_EQ(server.received().size(), 2u);
  EXPECT_NE(server.received()[1].headers.find("Authorization: Bearer tok-SECRET-1234"),
            std::string::npos);
}

TEST_F(DeliveryTest, TraceBatchesWithoutAnEndpointAreNotForwardedAndNotLeft) {
  ScriptedHttpServer server;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-traces", BatchKind::kOtlpTraces, "t1");
  options_.profiles.url = server.url();
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.sent, 1u);
  EXPECT_EQ(report->traces.left, 0u);
  EXPECT_EQ(report->traces.not_forwarded, 1u);
  EXPECT_TRUE(report->traces.stop_reason.empty());
  EXPECT_EQ(report->traces.note,
            "traces: 1 batches (2 spans) not forwarded: no --traces-endpoint; a later push with "
            "it sends them");
  EXPECT_TRUE(report->all_delivered());
}

TEST_F(DeliveryTest, ASecondServerGetsEverythingAndTheFirstNothingTwice) {
  ScriptedHttpServer a;
  ScriptedHttpServer b;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-profile", BatchKind::kPyroscopePush, "p2");
  options_.profiles.url = a.url();
  ASSERT_TRUE(deliver_outbox(dir_.string(), options_));

  auto plan = plan_delivery(dir_.string(), options_);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->profiles.pending, 0u);
  EXPECT_EQ(plan->profiles.delivered_earlier, 2u);
  EXPECT_EQ(plan->profiles.summary(), "profiles -> " + a.url() + ": 0 pending, 2 delivered earlier");
  auto again = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->profiles.sent, 0u);
  EXPECT_TRUE(again->all_delivered());
  EXPECT_EQ(bodies(a), (std::vector<std::string>{"p1", "p2"}));

  options_.profiles.url = b.url();
  plan = plan_delivery(dir_.string(), options_);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->profiles.summary(), "profiles -> " + b.url() + ": 2 pending (new destination)");
  auto to_b = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(to_b);
  EXPECT_EQ(to_b->profiles.sent, 2u);
  EXPECT_EQ(bodies(b), (std::vector<std::string>{"p1", "p2"}));

  // Another tenant on the same server is another destination too.
  options_.profiles.url = a.url();
  options_.profiles.tenant = "team-b";
  auto other_tenant = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(other_tenant);
  EXPECT_EQ(other_tenant->profiles.sent, 2u);
  EXPECT_EQ(bodies(a).size(), 4u);
}

TEST_F(DeliveryTest, ATracesEndpointAddedLaterGetsOnlyTheSpans) {
  ScriptedHttpServer pyroscope;
  ScriptedHttpServer tempo;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-traces", BatchKind::kOtlpTraces, "t1");
  options_.profiles.url = pyroscope.url();
  ASSERT_TRUE(deliver_outbox(dir_.string(), options_));
  options_.traces.url = tempo.url() + "/v1/traces";
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.sent, 0u);
  EXPECT_EQ(report->profiles.plan.delivered_earlier, 1u);
  EXPECT_EQ(report->traces.sent, 1u);
  EXPECT_TRUE(report->traces.plan.new_destination);
  EXPECT_EQ(bodies(pyroscope), (std::vector<std::string>{"p1"}));
  EXPECT_EQ(bodies(tempo), (std::vector<std::string>{"t1"}));
}

TEST_F(DeliveryTest, PacingWaitsForTheBucketToHoldEachRequestsBytes) {
  ScriptedHttpServer server;
  for (const char* id : {"000001-profile", "000002-profile", "000003-profile"}) {
    write_batch(id, BatchKind::kPyroscopePush, "p", [](BatchInfo& info) {
      info.uncompressed_bytes = 600;
    });
  }
  write_batch("000004-traces", BatchKind::kOtlpTraces, "t");  // not paced
  options_.profiles.url = server.url();
  options_.traces.url = server.url();
  options_.rate_bytes_per_s = 1000;
  options_.burst_bytes = 1000;
  use_fake_clock(kWindowStart);
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->all_delivered());
  // Full bucket (1000): the first goes at once, leaving 400; the second waits
  // for 200 bytes at 1000 B/s, the third for all its 600.
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{200 * kMs, 600 * kMs}));
  EXPECT_EQ(report->profiles.paced_requests, 2u);
  EXPECT_EQ(report->profiles.paced_ns, 800 * kMs);
  EXPECT_EQ(report->traces.paced_requests, 0u);
}

TEST_F(DeliveryTest, A429DrainsTheBucketSoTheRetryWaitsForItsBytes) {
  ScriptedHttpServer server;
  server.script({ScriptedReply{429, "Retry-After: 0\r\n", "", false}});
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1", [](BatchInfo& info) {
    info.uncompressed_bytes = 500;
  });
  options_.profiles.url = server.url();
  options_.rate_bytes_per_s = 1000;
  options_.burst_bytes = 1000;
  use_fake_clock(kWindowStart);
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.sent, 1u);
  EXPECT_EQ(report->profiles.retried, 1u);
  // Without the drain 500 bytes would still be in the bucket: no wait at all.
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{500 * kMs}));
  EXPECT_EQ(bodies(server), (std::vector<std::string>{"p1", "p1"}));
}

TEST_F(DeliveryTest, A429OnARequestOfSeveralProfilesIsNotRetried) {
  ScriptedHttpServer server;
  server.script({ScriptedReply{429, "Retry-After: 0\r\n", "", false}});
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1",
              [](BatchInfo& info) { info.profiles = 3; });
  write_batch("000002-profile", BatchKind::kPyroscopePush, "p2");
  options_.profiles.url = server.url();
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(server.received().size(), 1u);
  EXPECT_EQ(report->profiles.retried, 0u);
  EXPECT_EQ(report->profiles.rejected, 1u);
  EXPECT_EQ(report->profiles.left, 2u);
  EXPECT_NE(report->profiles.stop_reason.find("holds 3 profiles"), std::string::npos)
      << report->profiles.stop_reason;
  EXPECT_NE(report->profiles.stop_reason.find("--reshape"), std::string::npos);
}

TEST_F(DeliveryTest, ABatchOverTheBurstIsNeverSent) {
  ScriptedHttpServer server;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1", [](BatchInfo& info) {
    info.uncompressed_bytes = 3u << 20;
  });
  options_.profiles.url = server.url();
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_TRUE(server.received().empty());
  EXPECT_EQ(report->profiles.left, 1u);
  EXPECT_TRUE(report->any_rejected());
  EXPECT_NE(report->profiles.stop_reason.find("3145728 uncompressed profile bytes, more than the "
                                              "tenant's burst of 2097152 bytes (--burst)"),
            std::string::npos)
      << report->profiles.stop_reason;

  options_.rate_bytes_per_s = 0;  // no limiter: no check either
  auto unlimited = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(unlimited->profiles.sent, 1u);
}

TEST_F(DeliveryTest, ABatchOlderThanMaxAgeStopsWithTheFix) {
  ScriptedHttpServer server;
  ScriptedHttpServer tempo;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1",
              [](BatchInfo& info) { info.window_start_ns = kWindowStart; });
  write_batch("000002-traces", BatchKind::kOtlpTraces, "t1");
  options_.profiles.url = server.url();
  options_.traces.url = tempo.url();
  use_fake_clock(kWindowStart + 2 * kHour + 5 * 60'000 * kMs);
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_TRUE(server.received().empty());
  EXPECT_TRUE(report->profiles.too_old);
  EXPECT_EQ(report->profiles.left, 1u);
  EXPECT_NE(report->profiles.stop_reason.find("starts 2h 5m ago, more than --max-age 1h 0m"),
            std::string::npos)
      << report->profiles.stop_reason;
  EXPECT_NE(report->profiles.stop_reason.find("spanprof push " + dir_.string() +
                                              " --reshape --shift-to-now"),
            std::string::npos);
  EXPECT_EQ(report->traces.sent, 1u);  // spans have no such limit

  use_fake_clock(kWindowStart + kHour - 1);
  auto in_time = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(in_time);
  EXPECT_EQ(in_time->profiles.sent, 1u);
}

TEST_F(DeliveryTest, AServersTooOldRefusalNamesTheFix) {
  ScriptedHttpServer server;
  server.script({ScriptedReply{
      400, "Content-Type: application/json\r\n",
      R"json({"code":"invalid_argument","message":"profile with labels '{}' is outside of ingestion window (profile timestamp: 2026-12-01 10:00:00 +0000 UTC, the ingestion window starts at 2026-12-01 11:00:00 +0000 UTC)"})json",
      false}});
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  options_.profiles.url = server.url();
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->profiles.too_old);
  EXPECT_EQ(report->profiles.rejected, 1u);
  EXPECT_NE(report->profiles.stop_reason.find("--reshape --shift-to-now"), std::string::npos)
      << report->profiles.stop_reason;
}

TEST(SaysTooOld, MatchesPyroscopesIngestionWindowMessagesOnly) {
  EXPECT_TRUE(says_too_old("profile with labels '{}' is outside of ingestion window (...)"));
  EXPECT_TRUE(says_too_old("sample timestamp Out Of Bounds"));
  EXPECT_FALSE(says_too_old("service_name is missing"));
  EXPECT_FALSE(says_too_old(""));
}

TEST(ServerMessage, ConnectJsonPlainTextAndControlCharacters) {
  HttpResponse response;
  response.body = R"({"code":"invalid_argument","message":"profile too old"})";
  EXPECT_EQ(server_message(response), "profile too old (invalid_argument)");
  response.body = "plain failure\nsecond line";
  EXPECT_EQ(server_message(response), "plain failure");
  response.body = std::string("bad\x01" "byte");
  EXPECT_EQ(server_message(response), "bad byte");
  response.body = std::string(1000, 'y');
  EXPECT_EQ(server_message(response).size(), 303u);
}

}  // namespace
}  // namespace spanprof::push
