// HTTP/1.1 request framing (RFC 9112) as pure functions over bytes.
//
// Takes: the bytes a client sent. Gives: where the header section ends, the
// parsed request line and headers, how the body is framed (Content-Length or
// chunked), and the chunked body decoded. No sockets here: the connection code
// feeds these, and the tests call them directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spanprof::receiver {

struct HttpHeader {
  std::string name;   // lowercase: field names are case-insensitive (RFC 9110 5.1)
  std::string value;  // without surrounding whitespace
};

struct RequestHead {
  std::string method;
  std::string target;
  int minor_version = 1;  // HTTP/1.<minor_version>
  std::vector<HttpHeader> headers;

  // The first value of a header, by lowercase name.
  std::optional<std::string_view> header(std::string_view name) const;
  // Whether any value of the comma-separated list header `name` holds `token`
  // (case-insensitive), e.g. header_has_token("connection", "close").
  bool header_has_token(std::string_view name, std::string_view token) const;
  // All elements of the comma-separated list header `name`, lowercase, in order.
  std::vector<std::string> header_tokens(std::string_view name) const;
  // RFC 9112 9.3: HTTP/1.1 keeps the connection unless "Connection: close";
  // HTTP/1.0 closes it unless "Connection: keep-alive".
  bool keep_alive() const;
  // The target's path: query and fragment removed, absolute-form reduced to its path.
  std::string_view path() const;
};

// Where the header section ends: the offset just past its empty line, or
// nullopt while more bytes are needed. Empty lines before the request line are
// part of the head (RFC 9112 2.2 asks servers to ignore them). LF alone is
// accepted as a line end. `scanned` is the size of a prefix already searched
// in vain: a client sending a byte at a time does not cost a rescan each time.
std::optional<size_t> find_head_end(std::string_view bytes, size_t scanned = 0);

// Parses a complete header section, as delimited by find_head_end.
Result<RequestHead> parse_request_head(std::string_view head);

struct BodyFraming {
  enum class Kind { kNone, kLength, kChunked };
  Kind kind = Kind::kNone;
  uint64_t length = 0;  // for kLength
};

// RFC 9112 6.3: Transfer-Encoding chunked, else Content-Length, else no body.
// Requests with both, with conflicting lengths, or with a transfer coding other
// than chunked are refused: they are how request smuggling starts.
Result<BodyFraming> body_framing(const RequestHead& head);

// A Content-Type value's media type, lowercase, parameters removed:
// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type);

// Decodes a chunked body (RFC 9112 7.1) fed in pieces of any size.
class ChunkedDecoder {
 public:
  // Consumes bytes of `input`, appending chunk data to `body`. Returns how many
  // bytes were consumed: all of them unless the body ended (done()), in which
  // case the rest belongs to the next request. Fails on malformed framing.
  Result<size_t> feed(std::string_view input, std::string& body);

  bool done() const { return state_ == State::kDone; }
  // Bytes of the current chunk still to come: lets a caller refuse an
  // oversized body as soon as its chunk size is announced.
  uint64_t chunk_remaining() const { return state_ == State::kData ? remaining_ : 0; }

 private:
  enum class State {
    kSize,        // hex digits
    kSizeSpace,   // whitespace after the size
    kExtension,   // ";name=value" up to the line end
    kSizeLineLF,  // CR seen, LF expected
    kData,
    kDataCR,  // CRLF after the chunk data
    kDataLF,
    kTrailerStart,  // start of a trailer line, or the final empty line
    kTrailer,
    kTrailerLF,
    kEndLF,  // CR of the final empty line seen
    kDone,
  };

  void end_size_line();

  State state_ = State::kSize;
  uint64_t size_ = 0;
  int size_digits_ = 0;
  uint64_t remaining_ = 0;
  size_t line_bytes_ = 0;     // of the current size line, to bound extensions
  size_t trailer_bytes_ = 0;  // of the whole trailer section
};

}  // namespace spanprof::receiver
