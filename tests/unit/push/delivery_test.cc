#include "push/delivery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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

  void write_batch(const std::string& id, BatchKind kind, const std::string& body) {
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
    ASSERT_TRUE(Outbox(dir_.string()).write(batch));
  }

  std::vector<std::string> pending_ids() {
    std::vector<std::string> ids;
    auto pending = Outbox(dir_.string()).pending();
    EXPECT_TRUE(pending.has_value());
    if (pending) {
      for (const BatchInfo& info : *pending) ids.push_back(info.id);
    }
    return ids;
  }

  static std::vector<std::string> bodies(ScriptedHttpServer& server) {
    std::vector<std::string> out;
    for (const auto& request : server.received()) out.push_back(request.body);
    return out;
  }

  fs::path dir_;
  DeliveryOptions options_;
};

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
  EXPECT_TRUE(pending_ids().empty());
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
  EXPECT_TRUE(pending_ids().empty());
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
  EXPECT_EQ(pending_ids(), (std::vector<std::string>{"000002-profile", "000003-profile"}));

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
  EXPECT_EQ(pending_ids().size(), 2u);
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

TEST_F(DeliveryTest, TraceBatchesWaitWhenNoEndpointIsGiven) {
  ScriptedHttpServer server;
  write_batch("000001-profile", BatchKind::kPyroscopePush, "p1");
  write_batch("000002-traces", BatchKind::kOtlpTraces, "t1");
  options_.profiles.url = server.url();
  auto report = deliver_outbox(dir_.string(), options_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->profiles.sent, 1u);
  EXPECT_EQ(report->traces.left, 1u);
  EXPECT_FALSE(report->all_delivered());
  EXPECT_EQ(pending_ids(), (std::vector<std::string>{"000002-traces"}));
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
