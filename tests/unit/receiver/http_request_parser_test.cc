#include "receiver/http_request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace spanprof::receiver {
namespace {

using namespace std::literals;

RequestHead parse_ok(std::string_view head) {
  auto parsed = parse_request_head(head);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  return parsed.value_or(RequestHead{});
}

std::string parse_error(std::string_view head) {
  auto parsed = parse_request_head(head);
  EXPECT_FALSE(parsed.has_value()) << head;
  return parsed ? "" : parsed.error().message;
}

// Feeds `wire` to a fresh decoder `step` bytes at a time.
Result<std::string> decode_chunked(std::string_view wire, size_t step, size_t* leftover = nullptr) {
  ChunkedDecoder decoder;
  std::string body;
  size_t pos = 0;
  while (pos < wire.size() && !decoder.done()) {
    std::string_view piece = wire.substr(pos, step);
    auto consumed = decoder.feed(piece, body);
    if (!consumed) return std::unexpected(consumed.error());
    pos += *consumed;
    if (*consumed < piece.size() && !decoder.done()) return make_error("stopped early");
  }
  if (!decoder.done()) return make_error("incomplete");
  if (leftover != nullptr) *leftover = wire.size() - pos;
  return body;
}

TEST(FindHeadEnd, FindsTheEmptyLine) {
  std::string request = "POST /v1/traces HTTP/1.1\r\nHost: x\r\n\r\nBODY";
  ASSERT_EQ(find_head_end(request), request.size() - 4);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\n\r\n"), 18u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: x\n\nrest"), 24u);
}

TEST(FindHeadEnd, ResumesAfterTheScannedPrefix) {
  for (std::string request : {std::string("\r\nPOST / HTTP/1.1\r\nA: b\r\n\r\nBODY"),
                              std::string("POST / HTTP/1.1\nA: b\n\nBODY")}) {
    size_t expected = request.size() - 4;
    size_t scanned = 0;
    std::optional<size_t> found;
    for (size_t size = 0; size <= request.size() && !found; ++size) {
      found = find_head_end(std::string_view(request).substr(0, size), scanned);
      scanned = size;
    }
    EXPECT_EQ(found, expected) << request;
  }
}

TEST(FindHeadEnd, NeedsMoreBytes) {
  EXPECT_FALSE(find_head_end(""));
  EXPECT_FALSE(find_head_end("POST /v1/traces HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_FALSE(find_head_end("POST /v1/traces HTTP/1.1\r\nHost: x\r\n\r"));
  // Empty lines before the request line are not the end of a head.
  EXPECT_FALSE(find_head_end("\r\n\r\n\n"));
  EXPECT_EQ(find_head_end("\r\nGET / HTTP/1.1\r\n\r\n"), 20u);
}

TEST(ParseRequestHead, RequestLineAndHeaders) {
  RequestHead head = parse_ok(
      "POST /v1/traces?x=1 HTTP/1.1\r\n"
      "Host: 127.0.0.1:4318\r\n"
      "CONTENT-TYPE:   application/x-protobuf  \r\n"
      "X-Empty:\r\n"
      "\r\n");
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/v1/traces?x=1");
  EXPECT_EQ(head.path(), "/v1/traces");
  EXPECT_EQ(head.minor_version, 1);
  ASSERT_EQ(head.headers.size(), 3u);
  EXPECT_EQ(head.header("content-type"), "application/x-protobuf");
  EXPECT_EQ(head.header("x-empty"), "");
  EXPECT_FALSE(head.header("content-length"));
  EXPECT_TRUE(head.keep_alive());
}

TEST(ParseRequestHead, HeaderNamesAreCaseInsensitive) {
  RequestHead head = parse_ok("POST / HTTP/1.1\r\ncOnNeCtIoN: Keep-Alive, CLOSE\r\n\r\n");
  EXPECT_TRUE(head.header_has_token("connection", "close"));
  EXPECT_TRUE(head.header_has_token("connection", "keep-alive"));
  EXPECT_FALSE(head.keep_alive());
  EXPECT_EQ(head.header_tokens("connection"), (std::vector<std::string>{"keep-alive", "close"}));
}

TEST(ParseRequestHead, KeepAliveDefaults) {
  EXPECT_TRUE(parse_ok("POST / HTTP/1.1\r\n\r\n").keep_alive());
  EXPECT_FALSE(parse_ok("POST / HTTP/1.0\r\n\r\n").keep_alive());
  EXPECT_TRUE(parse_ok("POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive());
}

TEST(ParseRequestHead, LeadingEmptyLinesAndBareLF) {
  RequestHead head = parse_ok("\r\n\nPOST /v1/traces HTTP/1.1\nA: b\n\n");
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.header("a"), "b");
}

TEST(ParseRequestHead, AbsoluteFormTarget) {
  EXPECT_EQ(parse_ok("POST http://localhost:4318/v1/traces HTTP/1.1\r\n\r\n").path(), "/v1/traces");
  EXPECT_EQ(parse_ok("POST http://localhost:4318 HTTP/1.1\r\n\r\n").path(), "/");
}

TEST(ParseRequestHead, Malformed) {
  parse_error("POST /v1/traces\r\n\r\n");
  parse_error("POST  /v1/traces HTTP/1.1\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1 extra\r\n\r\n");
  parse_error("POST /v1/traces HTTP/2.0\r\n\r\n");
  parse_error("POST /v1/traces HTTX/1.1\r\n\r\n");
  parse_error("PO(ST /v1/traces HTTP/1.1\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\nNo colon here\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\nName : value\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\nA: b\r\n folded\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\nA: b\rc\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\nA: b\0c\r\n\r\n"sv);
  parse_error("POST /v1/traces HTTP/1.1\r\nA: b\x01\r\n\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\nA: b\r\n");
  parse_error("POST /v1/traces HTTP/1.1\r\n\r\nextra");
  parse_error("");
}

TEST(BodyFraming, ContentLength) {
  auto framing = body_framing(parse_ok("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n"));
  ASSERT_TRUE(framing);
  EXPECT_EQ(framing->kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(framing->length, 42u);
  // Repeated equal values are one length (RFC 9112 6.3).
  framing = body_framing(
      parse_ok("POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n"));
  ASSERT_TRUE(framing);
  EXPECT_EQ(framing->length, 7u);
  framing =
      body_framing(parse_ok("POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n"));
  ASSERT_TRUE(framing);
  EXPECT_EQ(framing->length, 9999999999999999999u);
}

TEST(BodyFraming, NoBody) {
  auto framing = body_framing(parse_ok("POST / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(framing);
  EXPECT_EQ(framing->kind, BodyFraming::Kind::kNone);
}

TEST(BodyFraming, Chunked) {
  auto framing = body_framing(parse_ok("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"));
  ASSERT_TRUE(framing);
  EXPECT_EQ(framing->kind, BodyFraming::Kind::kChunked);
}

TEST(BodyFraming, Refused) {
  for (const char* head : {
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
       }) {
    EXPECT_FALSE(body_framing(parse_ok(head))) << head;
  }
}

TEST(MediaType, DropsParametersAndCase) {
  EXPECT_EQ(media_type("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type("  application/x-protobuf  "), "application/x-protobuf");
  EXPECT_EQ(media_type(""), "");
}

TEST(ChunkedDecoder, MultipleChunksAnyPieceSize) {
  std::string wire = "5\r\nhello\r\n1;name=value;x=\"q\"\r\n \r\nA\r\n0123456789\r\n0\r\n\r\nNEXT";
  for (size_t step : {1u, 2u, 3u, 7u, 1000u}) {
    size_t leftover = 0;
    auto body = decode_chunked(wire, step, &leftover);
    ASSERT_TRUE(body) << "step " << step << ": " << body.error().message;
    EXPECT_EQ(*body, "hello 0123456789") << step;
    EXPECT_EQ(leftover, 4u) << step;  // "NEXT" belongs to the next request
  }
}

TEST(ChunkedDecoder, TrailersAndLenientLineEnds) {
  auto body = decode_chunked("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nOther: 2\r\n\r\n", 1);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, "abc");
  body = decode_chunked("3\nabc\n0\n\n", 1);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, "abc");
  body = decode_chunked("3  ; ext\r\nabc\r\n000\r\n\r\n", 4);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, "abc");
}

TEST(ChunkedDecoder, EmptyBody) {
  auto body = decode_chunked("0\r\n\r\n", 100);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, "");
}

TEST(ChunkedDecoder, Malformed) {
  for (const char* wire : {
           "\r\n",                      // no size
           "g\r\n",                     // not hex
           "-1\r\n",                    // sign
           "5\r\nhello!\r\n0\r\n\r\n",  // data longer than its size
           "5\r\nhelloXX",              // no CRLF after data
           "5\rX",                      // bare CR
           "10000000000000000\r\n",     // 17 hex digits overflow 64 bits
           "0\r\nTrailer: x\rY",        // bare CR in trailer
           "0\r\n\rX",                  // bare CR at the end
           "5 x\r\n",                   // junk after the size
       }) {
    EXPECT_FALSE(decode_chunked(wire, 1)) << wire;
    EXPECT_FALSE(decode_chunked(wire, 100)) << wire;
  }
}

TEST(ChunkedDecoder, BoundsExtensionsAndTrailers) {
  std::string long_extension = "1;" + std::string(10'000, 'x') + "\r\na\r\n0\r\n\r\n";
  EXPECT_FALSE(decode_chunked(long_extension, 512));
  std::string long_trailer = "0\r\n" + std::string(100'000, 'x') + "\r\n\r\n";
  EXPECT_FALSE(decode_chunked(long_trailer, 4096));
  std::string many_zeros = std::string(10'000, '0') + "\r\n\r\n";
  EXPECT_FALSE(decode_chunked(many_zeros, 4096));
}

TEST(ChunkedDecoder, AnnouncesTheChunkSizeBeforeItsData) {
  ChunkedDecoder decoder;
  std::string body;
  auto consumed = decoder.feed("ffffffff\r\nab", body);
  ASSERT_TRUE(consumed);
  EXPECT_EQ(*consumed, 12u);
  EXPECT_EQ(body, "ab");
  EXPECT_EQ(decoder.chunk_remaining(), 0xffffffffu - 2);
  EXPECT_FALSE(decoder.done());
}

}  // namespace
}  // namespace spanprof::receiver

namespace spanprof::receiver {
namespace {

// Random and mutated inputs: no crash, no hang, and errors rather than reads past the end
// (the sanitizer build checks the latter).
TEST(ParserRobustness, RandomAndMutatedInputs) {
  const std::string valid_head =
      "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string valid_body = "5;a=b\r\nhello\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n";
  std::mt19937 random(12345);
  for (int round = 0; round < 3000; ++round) {
    std::string head = valid_head;
    std::string body = valid_body;
    if (round % 3 == 0) {
      head.assign(random() % 200, '\0');
      for (char& c : head) c = static_cast<char>(random());
    } else {
      for (int flips = 0; flips < 1 + round % 4; ++flips) {
        head[random() % head.size()] = static_cast<char>(random());
        body[random() % body.size()] = static_cast<char>(random());
      }
    }
    if (auto end = find_head_end(head)) {
      EXPECT_LE(*end, head.size());
      if (auto parsed = parse_request_head(std::string_view(head).substr(0, *end))) {
        (void)body_framing(*parsed);
        (void)parsed->path();
      }
    }
    ChunkedDecoder decoder;
    std::string decoded;
    size_t step = 1 + random() % 8;
    for (size_t pos = 0; pos < body.size() && !decoder.done(); pos += step) {
      auto consumed = decoder.feed(std::string_view(body).substr(pos, step), decoded);
      if (!consumed) break;
      EXPECT_LE(*consumed, step);
    }
    EXPECT_LE(decoded.size(), body.size());
  }
}

}  // namespace
}  // namespace spanprof::receiver
