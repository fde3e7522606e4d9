// The receiver over real sockets on 127.0.0.1, with an ephemeral port.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "http_test_client.h"
#include "receiver/otlp_http_receiver.h"
#include "receiver/trace_sink.h"
#include "receiver_test_util.h"
#include "spans/span_reader.h"

namespace spanprof::receiver {
namespace {

using namespace std::chrono_literals;
using testing::chunked_post_request;
using testing::file_exists;
using testing::gzip;
using testing::make_json_request;
using testing::make_request;
using testing::post_request;
using testing::read_file;
using testing::split_length_prefixed;
using testing::TempDir;
using testing::TestClient;

constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kJson = "application/json";

class ReceiverTest : public ::testing::Test {
 protected:
  void start(ReceiverOptions options = {}) {
    options.output_dir = dir_.path();
    auto started = OtlpHttpReceiver::start(options);
    ASSERT_TRUE(started) << started.error().to_string();
    receiver_ = std::move(*started);
    ASSERT_NE(receiver_->port(), 0);
  }

  uint16_t port() const { return receiver_->port(); }
  std::string pb_path() const { return dir_.file(kProtobufFileName); }
  std::string jsonl_path() const { return dir_.file(kJsonFileName); }

  // One request on a new connection.
  std::optional<testing::TestResponse> exchange(std::string_view request) {
    TestClient client(port());
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.send(request));
    return client.read_response();
  }

  // Waits (bounded) until a counter reaches a value: connection threads count asynchronously.
  bool wait_for(const std::function<bool(const ReceiverStats&)>& condition) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition(receiver_->stats())) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  spans::SpanSet read_spans(const std::string& path) {
    spans::SpanSet set;
    spans::SpanReadStats stats;
    auto read = spans::read_span_file(path, {}, set, stats);
    EXPECT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(stats.bad_lines, 0u);
    EXPECT_EQ(stats.bad_spans, 0u);
    return set;
  }

  TempDir dir_;
  std::unique_ptr<OtlpHttpReceiver> receiver_;
};

TEST_F(ReceiverTest, EndpointNamesTheBoundPort) {
  start();
  EXPECT_EQ(receiver_->traces_endpoint(),
            "http://127.0.0.1:" + std::to_string(port()) + "/v1/traces");
}

TEST_F(ReceiverTest, ProtobufPostIsStoredAsLengthPrefixedTracesData) {
  start();
  std::string body = make_request(1).SerializeAsString();
  auto response = exchange(post_request("/v1/traces", kProtobuf, body));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), kProtobuf);
  EXPECT_EQ(response->body, "");

  auto records = split_length_prefixed(read_file(pb_path()));
  ASSERT_EQ(records.size(), 1u);
  otlp::TracesData stored;
  ASSERT_TRUE(stored.ParseFromString(records[0]));
  ASSERT_EQ(stored.resource_spans_size(), 1);
  EXPECT_EQ(stored.resource_spans(0).scope_spans(0).spans(0).name(), "work");

  spans::SpanSet set = read_spans(pb_path());
  ASSERT_EQ(set.spans.size(), 1u);
  EXPECT_EQ(spans::span_id_hex(set.spans[0].span_id), "0102030405060700");
  EXPECT_EQ(set.spans[0].os_tid, 4242u);

  ReceiverStats stats = receiver_->stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.accepted, 1u);
  EXPECT_EQ(stats.spans, 1u);
  EXPECT_EQ(stats.bytes_written, body.size() + 4);
  EXPECT_FALSE(file_exists(jsonl_path()));
}

TEST_F(ReceiverTest, JsonPostIsStoredAsOneLine) {
  start();
  std::string body = make_json_request(2);
  ASSERT_NE(body.find('\n'), std::string::npos);
  auto response = exchange(post_request("/v1/traces", "application/json; charset=utf-8", body));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), kJson);
  EXPECT_EQ(response->body, "{}");

  std::string stored = read_file(jsonl_path());
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.find('\n'), stored.size() - 1);
  EXPECT_EQ(stored.find('\r'), std::string::npos);

  spans::SpanSet set = read_spans(jsonl_path());
  ASSERT_EQ(set.spans.size(), 2u);
  EXPECT_EQ(spans::span_id_hex(set.spans[0].span_id), "0102030405060700");
  EXPECT_EQ(spans::span_id_hex(set.spans[1].span_id), "0102030405060701");
  EXPECT_EQ(receiver_->stats().spans, 2u);
  EXPECT_FALSE(file_exists(pb_path()));
}

TEST_F(ReceiverTest, GzipBodiesAreInflated) {
  start();
  std::string body = make_request(3).SerializeAsString();
  auto response =
      exchange(post_request("/v1/traces", kProtobuf, gzip(body), "Content-Encoding: gzip\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto records = split_length_prefixed(read_file(pb_path()));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], body);

  response = exchange(
      post_request("/v1/traces", kJson, gzip(make_json_request(2)), "Content-Encoding: GZIP\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(read_spans(jsonl_path()).spans.size(), 2u);
  EXPECT_EQ(receiver_->stats().spans, 5u);
}

TEST_F(ReceiverTest, ChunkedBodiesAsTheNodeSdkSendsThem) {
  start();
  std::string body = make_json_request(3);
  TestClient client(port());
  std::string request = chunked_post_request(kJson, body, 17);
  // In pieces, so the server sees chunk boundaries split across reads.
  for (size_t pos = 0; pos < request.size(); pos += 101) {
    ASSERT_TRUE(client.send(std::string_view(request).substr(pos, 101)));
    std::this_thread::sleep_for(1ms);
  }
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(read_spans(jsonl_path()).spans.size(), 3u);

  // Chunked and gzip together, with a trailer.
  std::string compressed = gzip(make_request(2).SerializeAsString());
  std::string chunked =
      chunked_post_request(kProtobuf, compressed, 10, "Content-Encoding: gzip\r\n");
  chunked.insert(chunked.size() - 2, "X-Trailer: 1\r\n");
  ASSERT_TRUE(client.send(chunked));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(read_spans(pb_path()).spans.size(), 2u);
}

TEST_F(ReceiverTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.send(
      post_request("/v1/traces", kProtobuf, make_request(1, "first").SerializeAsString())));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->header("connection"), "");
  ASSERT_TRUE(client.send(
      post_request("/v1/traces", kProtobuf, make_request(1, "second").SerializeAsString())));
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);

  // Pipelined: two requests in one write, two responses in order.
  std::string two = post_request("/v1/traces", kJson, "{}") +
                    post_request("/v1/traces", kJson, make_json_request(1));
  ASSERT_TRUE(client.send(two));
  for (int i = 0; i < 2; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  // Connection: close is honoured.
  ASSERT_TRUE(client.send(post_request("/v1/traces", kJson, "{}", "Connection: close\r\n")));
  auto last = client.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status, 200);
  EXPECT_EQ(last->header("connection"), "close");
  EXPECT_TRUE(client.closed_by_server(2000));

  auto records = split_length_prefixed(read_file(pb_path()));
  ASSERT_EQ(records.size(), 2u);
  otlp::TracesData second_stored;
  ASSERT_TRUE(second_stored.ParseFromString(records[1]));
  EXPECT_EQ(second_stored.resource_spans(0).scope_spans(0).spans(0).name(), "second");
  EXPECT_EQ(receiver_->stats().accepted, 5u);
}

TEST_F(ReceiverTest, Http10ClosesAfterTheResponse) {
  start();
  TestClient client(port());
  std::string body = "{}";
  ASSERT_TRUE(client.send(
      "POST /v1/traces HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.closed_by_server(2000));
}

TEST_F(ReceiverTest, ExpectContinueIsAnswered) {
  start();
  TestClient client(port());
  std::string body = make_request(1).SerializeAsString();
  std::string request = post_request("/v1/traces", kProtobuf, body, "Expect: 100-continue\r\n");
  ASSERT_TRUE(client.send(request.substr(0, request.size() - body.size())));
  auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send(body));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);

  // A rejected request gets its final answer instead, and the connection ends.
  ASSERT_TRUE(
      client.send("POST /v1/traces HTTP/1.1\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\n"
                  "Content-Length: 5\r\n\r\n"));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 415);
  EXPECT_TRUE(client.closed_by_server(3000));
}

TEST_F(ReceiverTest, UndecodableBodiesGet400) {
  start();
  auto response = exchange(post_request("/v1/traces", kProtobuf, "\xff\xff\xff\xff not protobuf"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("content-type"), kProtobuf);
  EXPECT_NE(response->body.find("ExportTraceServiceRequest"),
            std::string::npos);  // google.rpc.Status

  response = exchange(post_request("/v1/traces", kJson, "{\"resourceSpans\": [}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("content-type"), kJson);
  EXPECT_TRUE(response->body.starts_with("{\"code\":3,\"message\":\"body is not valid JSON"))
      << response->body;

  response = exchange(post_request("/v1/traces", kJson, "[1, 2]"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  response = exchange(post_request("/v1/traces", kJson, "not gzip", "Content-Encoding: gzip\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);

  EXPECT_EQ(receiver_->stats().bad_requests, 4u);
  EXPECT_EQ(receiver_->stats().accepted, 0u);
  EXPECT_FALSE(file_exists(pb_path()));
  EXPECT_FALSE(file_exists(jsonl_path()));
}

TEST_F(ReceiverTest, OtherContentTypesGet415) {
  start();
  auto response = exchange(post_request("/v1/traces", "text/plain", "hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 415);
  EXPECT_EQ(response->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_NE(response->body.find("application/x-protobuf"), std::string::npos);
  response = exchange(post_request("/v1/traces", kJson, "{}", "Content-Encoding: br\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 415);
  EXPECT_EQ(receiver_->stats().unsupported_type, 2u);
}

TEST_F(ReceiverTest, OtherPathsAndMethods) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.send(post_request("/v1/metrics", kProtobuf, "abc")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  // The body was drained: the connection still serves.
  ASSERT_TRUE(client.send("GET /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n"));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "POST");
  ASSERT_TRUE(client.send(post_request("/v1/traces", kJson, "{}")));
  response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(receiver_->stats().not_found, 2u);
}

TEST_F(ReceiverTest, BodiesOverTheLimitGet413) {
  ReceiverOptions options;
  options.max_body_bytes = 1000;
  start(options);
  auto response = exchange(post_request("/v1/traces", kJson, std::string(5000, ' ')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);

  // Chunked: refused as soon as a chunk size passes the limit.
  response = exchange(chunked_post_request(kJson, std::string(3000, ' '), 500));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  TestClient announced(port());
  ASSERT_TRUE(
      announced.send("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\nfffffffff\r\n"));
  response = announced.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);

  // A gzip bomb: 200 KiB of zeros in a few hundred bytes.
  std::string bomb = gzip("{\"a\":\"" + std::string(200 * 1024, '0') + "\"}");
  ASSERT_LT(bomb.size(), 1000u);
  response = exchange(post_request("/v1/traces", kJson, bomb, "Content-Encoding: gzip\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);

  EXPECT_EQ(receiver_->stats().too_large, 4u);
  EXPECT_FALSE(file_exists(jsonl_path()));
  // At the limit is fine.
  response = exchange(post_request("/v1/traces", kJson, "{}" + std::string(998, ' ')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ReceiverTest, MalformedRequestsGet400AndClose) {
  start();
  for (std::string request : {
           std::string("BLAH\r\n\r\n"),
           std::string("POST /v1/traces HTTP/1.1\r\nBad Header\r\n\r\n"),
           std::string(
               "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
               "Transfer-Encoding: chunked\r\n\r\n{}"),
           std::string("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
           std::string("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
       }) {
    TestClient client(port());
    ASSERT_TRUE(client.send(request));
    auto response = client.read_response();
    ASSERT_TRUE(response) << request;
    EXPECT_EQ(response->status, 400) << request;
    EXPECT_EQ(response->header("connection"), "close");
    EXPECT_TRUE(client.closed_by_server(3000)) << request;
  }
  // A header section past 64 KiB.
  TestClient client(port());
  ASSERT_TRUE(client.send("POST /v1/traces HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a')));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(receiver_->stats().bad_requests, 6u);
  EXPECT_FALSE(file_exists(jsonl_path()));
}

TEST_F(ReceiverTest, WriteFailureGets500) {
  start();
  // A directory where the span file should be: the append fails.
  std::filesystem::create_directory(pb_path());
  auto response =
      exchange(post_request("/v1/traces", kProtobuf, make_request(1).SerializeAsString()));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(receiver_->stats().write_errors, 1u);
  EXPECT_EQ(receiver_->stats().spans, 0u);
  // JSON goes to its own file and still works.
  response = exchange(post_request("/v1/traces", kJson, "{}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ReceiverTest, GarbageBytesAreRefusedAndTheReceiverServesOn) {
  ReceiverOptions options;
  options.read_timeout_ms = 300;
  start(options);
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    std::string garbage(1 + random() % 3000, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    garbage += "\r\n\r\n";
    TestClient client(port());
    ASSERT_TRUE(client.send(garbage));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_TRUE(client.closed_by_server(3000));
  }
  auto response = exchange(post_request("/v1/traces", kJson, "{}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ReceiverTest, ClientHangingUpMidBodyWritesNothing) {
  start();
  std::string body = make_request(5).SerializeAsString();
  {
    TestClient client(port());
    std::string request = post_request("/v1/traces", kProtobuf, body);
    ASSERT_TRUE(client.send(request.substr(0, request.size() - body.size() / 2)));
    std::this_thread::sleep_for(20ms);
  }
  {
    TestClient client(port());
    ASSERT_TRUE(client.send(chunked_post_request(kProtobuf, body, 64).substr(0, 200)));
  }
  ASSERT_TRUE(wait_for([](const ReceiverStats& stats) { return stats.aborted == 2; }));
  EXPECT_FALSE(file_exists(pb_path()));

  auto response = exchange(post_request("/v1/traces", kProtobuf, body));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(split_length_prefixed(read_file(pb_path())).size(), 1u);
  EXPECT_EQ(receiver_->stats().spans, 5u);
}

TEST_F(ReceiverTest, SilentClientIsDroppedWhileOthersAreServed) {
  ReceiverOptions options;
  options.read_timeout_ms = 1000;
  start(options);
  auto started = std::chrono::steady_clock::now();
  TestClient silent(port());
  TestClient half_head(port());
  ASSERT_TRUE(half_head.send("POST /v1/traces HTTP/1.1\r\nContent-"));

  auto response = exchange(post_request("/v1/traces", kJson, "{}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms) << "served while the others wait";

  EXPECT_TRUE(silent.closed_by_server(3000));
  EXPECT_TRUE(half_head.closed_by_server(3000));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 950ms);
  ASSERT_TRUE(wait_for([](const ReceiverStats& stats) { return stats.aborted == 2; }));

  // An idle keep-alive connection that times out after a request is not an abort.
  TestClient idle(port());
  ASSERT_TRUE(idle.send(post_request("/v1/traces", kJson, "{}")));
  ASSERT_TRUE(idle.read_response());
  EXPECT_TRUE(idle.closed_by_server(3000));
  EXPECT_EQ(receiver_->stats().aborted, 2u);
}

TEST_F(ReceiverTest, StopWithOpenConnectionsReturnsPromptly) {
  start();  // the default 10 s read timeout
  TestClient silent(port());
  TestClient idle(port());
  ASSERT_TRUE(idle.send(post_request("/v1/traces", kJson, "{}")));
  ASSERT_TRUE(idle.read_response());
  std::this_thread::sleep_for(20ms);
  auto started = std::chrono::steady_clock::now();
  receiver_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(silent.closed_by_server(1000));
  EXPECT_TRUE(idle.closed_by_server(1000));
  receiver_->stop();  // idempotent
  TestClient refused(receiver_->port());
  EXPECT_FALSE(refused.connected());
}

TEST_F(ReceiverTest, StopLetsARequestInFlightFinish) {
  start();
  std::string body = make_request(1).SerializeAsString();
  std::string request = post_request("/v1/traces", kProtobuf, body);
  TestClient client(port());
  ASSERT_TRUE(client.send(request.substr(0, request.size() - 10)));
  ASSERT_TRUE(wait_for([](const ReceiverStats& stats) { return stats.requests == 1; }));
  std::thread stopper([&] { receiver_->stop(); });
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(client.send(request.substr(request.size() - 10)));
  auto response = client.read_response();
  stopper.join();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_EQ(split_length_prefixed(read_file(pb_path())).size(), 1u);
}

TEST_F(ReceiverTest, ConcurrentClientsAppendWholeRecords) {
  start();
  constexpr int kThreads = 6;
  constexpr int kRequests = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestClient client(port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = make_request(1 + t, "thread" + std::to_string(t)).SerializeAsString();
        std::string request = t % 2 == 0 ? post_request("/v1/traces", kProtobuf, body)
                                         : chunked_post_request(kProtobuf, body, 33);
        if (!client.send(request)) return;
        auto response = client.read_response();
        if (response && response->status == 200) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
  auto records = split_length_prefixed(read_file(pb_path()));
  ASSERT_EQ(records.size(), static_cast<size_t>(kThreads * kRequests));
  for (const std::string& record : records) {
    otlp::TracesData data;
    ASSERT_TRUE(data.ParseFromString(record));
  }
  EXPECT_EQ(receiver_->stats().spans, static_cast<uint64_t>(kRequests * (1 + 2 + 3 + 4 + 5 + 6)));
}

TEST_F(ReceiverTest, ConnectionsOverTheCapGet503) {
  ReceiverOptions options;
  options.max_connections = 2;
  start(options);
  TestClient first(port());
  TestClient second(port());
  ASSERT_TRUE(first.send("P"));
  ASSERT_TRUE(second.send("P"));
  std::this_thread::sleep_for(50ms);
  auto response = exchange(post_request("/v1/traces", kJson, "{}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(receiver_->stats().refused_connections, 1u);
  first.close();
  second.close();
  ASSERT_TRUE(wait_for([&](const ReceiverStats& stats) { return stats.aborted == 2; }));
  response = exchange(post_request("/v1/traces", kJson, "{}"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(ReceiverStart, FailsWithAHint) {
  ReceiverOptions options;
  options.output_dir = "/nonexistent/spanprof-capture";
  auto missing = OtlpHttpReceiver::start(options);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().to_string().find("/nonexistent/spanprof-capture"), std::string::npos);

  TempDir dir;
  options.output_dir = dir.path();
  auto first = OtlpHttpReceiver::start(options);
  ASSERT_TRUE(first);
  options.port = (*first)->port();
  auto second = OtlpHttpReceiver::start(options);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().hint.find("port"), std::string::npos) << second.error().to_string();
}

}  // namespace
}  // namespace spanprof::receiver
