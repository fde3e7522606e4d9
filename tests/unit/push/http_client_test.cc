#include "push/http_client.h"

#include <gtest/gtest.h>

#include "scripted_http_server.h"

namespace spanprof::push {
namespace {

using testing::ScriptedHttpServer;
using testing::ScriptedReply;

TEST(HttpClient, PostsBodyAndHeadersAndReadsStatusRetryAfterAndBody) {
  ScriptedHttpServer server;
  server.script({ScriptedReply{429, "Retry-After: 7\r\nContent-Type: application/json\r\n",
                               R"({"code":"resource_exhausted","message":"slow down"})", false},
                 ScriptedReply{200, "", "", false}});
  HttpClient client(HttpOptions{});
  std::string body("\x00\x01binary\xff", 9);
  auto first = client.post(server.url() + "/push.v1.PusherService/Push",
                           {"Content-Type: application/proto", "X-Scope-OrgID: team-a"}, body);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->status, 429);
  EXPECT_EQ(first->retry_after, "7");
  EXPECT_EQ(first->content_type, "application/json");
  EXPECT_NE(first->body.find("slow down"), std::string::npos);
  auto second = client.post(server.url() + "/x", {}, "abc");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->retry_after, "");

  auto received = server.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].request_line, "POST /push.v1.PusherService/Push HTTP/1.1");
  EXPECT_EQ(received[0].body, body);
  EXPECT_NE(received[0].headers.find("X-Scope-OrgID: team-a"), std::string::npos);
  EXPECT_NE(received[0].headers.find("Content-Type: application/proto"), std::string::npos);
  EXPECT_EQ(received[0].headers.find("Expect:"), std::string::npos);
  EXPECT_EQ(received[1].body, "abc");
}

TEST(HttpClient, KeepsOnlyABoundedSliceOfALargeBody) {
  ScriptedHttpServer server;
  server.script({ScriptedReply{500, "", std::string(1 << 20, 'x'), false}});
  HttpClient client(HttpOptions{});
  auto response = client.post(server.url(), {}, "a");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body.size(), kMaxKeptBodyBytes);
}

TEST(HttpClient, ConnectionRefusedIsATransportErrorWithoutHeaders) {
  uint16_t port;
  {
    ScriptedHttpServer closed;  // a port that was just free, now closed again
    port = static_cast<uint16_t>(std::stoi(closed.url().substr(closed.url().rfind(':') + 1)));
  }
  HttpClient client(HttpOptions{});
  auto response = client.post("http://127.0.0.1:" + std::to_string(port) + "/p",
                              {"Authorization: Bearer tok-SECRET"}, "a");
  ASSERT_FALSE(response);
  std::string text = response.error().to_string();
  EXPECT_NE(text.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(text.find("SECRET"), std::string::npos);
}

TEST(HttpClient, AServerThatNeverAnswersTimesOut) {
  ScriptedHttpServer server;
  ScriptedReply hang;
  hang.hang = true;
  server.script({hang});
  HttpOptions options;
  options.timeout_ms = 300;
  HttpClient client(options);
  auto response = client.post(server.url(), {}, "a");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().to_string().find("--timeout"), std::string::npos)
      << response.error().to_string();
}

TEST(HttpClient, TlsIsVerifiedByDefault) {
  // A plain-HTTP server spoken to over https: the handshake fails, and the
  // failure is a transport error naming TLS, never a silent success.
  ScriptedHttpServer server;
  std::string url = server.url();
  url.replace(0, 4, "https");
  HttpOptions options;
  options.timeout_ms = 2000;
  HttpClient client(options);
  auto response = client.post(url, {}, "a");
  ASSERT_FALSE(response);
}

TEST(SplitUrl, NamesSchemeHostPortAndPathWithoutUserInfoOrQuery) {
  auto parts = split_url("HTTPS://User:Pw@Pyro.Example:8443/a/b/?token=x#frag");
  ASSERT_TRUE(parts) << parts.error().to_string();
  EXPECT_EQ(parts->scheme, "https");
  EXPECT_EQ(parts->host, "pyro.example");
  EXPECT_EQ(parts->port, 8443);
  EXPECT_EQ(parts->path, "/a/b");
  EXPECT_EQ(parts->display(), "https://pyro.example:8443/a/b");

  auto defaults = split_url("http://[::1]/");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->host, "[::1]");
  EXPECT_EQ(defaults->port, 80);
  EXPECT_FALSE(defaults->port_given);
  EXPECT_EQ(defaults->display(), "http://[::1]");

  auto bad = split_url("http://exa mple:99999");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().to_string().find("exa mple"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::push
