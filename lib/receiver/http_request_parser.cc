#include "receiver/http_request_parser.h"

#include <algorithm>
#include <limits>

namespace spanprof::receiver {
namespace {

// A chunk size line with extensions longer than this is refused; no client
// sends extensions to an OTLP endpoint.
constexpr size_t kMaxChunkLineBytes = 4096;
constexpr size_t kMaxTrailerBytes = 64 * 1024;

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 9110 5.6.2 tchar.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// Field values: visible characters, obs-text, SP and HTAB; no other controls.
bool is_field_value(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

// Calls fn for each trimmed, non-empty element of a comma-separated list.
template <class Fn>
void for_each_list_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view element = trim(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<uint64_t> parse_content_length(std::string_view text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error("invalid Content-Length '" + std::string(text.substr(0, 40)) + "'");
  }
  uint64_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint64_t>(c - '0');  // 19 digits fit
  return value;
}

Result<void> parse_request_line(std::string_view line, RequestHead& head) {
  size_t first = line.find(' ');
  size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos) return make_error("malformed request line");
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  std::string_view version = line.substr(second + 1);
  if (!is_token(method)) return make_error("malformed request method");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte != 0x7f;
      })) {
    return make_error("malformed request target");
  }
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return make_error("malformed HTTP version");
  }
  if (version[5] != '1') return make_error("unsupported HTTP version " + std::string(version));
  head.method = std::string(method);
  head.target = std::string(target);
  head.minor_version = version[7] - '0';
  return {};
}

Result<HttpHeader> parse_header_line(std::string_view line) {
  if (is_space(line.front())) return make_error("obsolete header line folding");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return make_error("header line without ':'");
  std::string_view name = line.substr(0, colon);
  // RFC 9112 5.1: no whitespace between the field name and the colon.
  if (!is_token(name)) return make_error("malformed header name");
  std::string_view value = trim(line.substr(colon + 1));
  if (!is_field_value(value)) return make_error("control character in header " + std::string(name));
  return HttpHeader{lowercase(name), std::string(value)};
}

}  // namespace

std::optional<std::string_view> RequestHead::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (h.name == name) return std::string_view(h.value);
  }
  return std::nullopt;
}

bool RequestHead::header_has_token(std::string_view name, std::string_view token) const {
  bool found = false;
  for (const HttpHeader& h : headers) {
    if (h.name != name) continue;
    for_each_list_element(h.value, [&](std::string_view element) {
      if (equals_ignore_case(element, token)) found = true;
    });
  }
  return found;
}

std::vector<std::string> RequestHead::header_tokens(std::string_view name) const {
  std::vector<std::string> tokens;
  for (const HttpHeader& h : headers) {
    if (h.name != name) continue;
    for_each_list_element(h.value,
                          [&](std::string_view element) { tokens.push_back(lowercase(element)); });
  }
  return tokens;
}

bool RequestHead::keep_alive() const {
  if (header_has_token("connection", "close")) return false;
  return minor_version >= 1 || header_has_token("connection", "keep-alive");
}

std::string_view RequestHead::path() const {
  std::string_view path = target;
  // Absolute form (RFC 9112 3.2.2): "http://host:port/path".
  if (size_t scheme = path.find("://"); scheme != std::string_view::npos && path[0] != '/') {
    size_t slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  return path.substr(0, path.find_first_of("?#"));
}

std::optional<size_t> find_head_end(std::string_view bytes, size_t scanned) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes[pos] == '\n') {
      ++pos;
    } else if (bytes[pos] == '\r' && pos + 1 < bytes.size() && bytes[pos + 1] == '\n') {
      pos += 2;
    } else {
      break;
    }
  }
  // The LF before a terminating "\r\n" or "\n" lies at most 3 bytes before new data.
  size_t resume = std::max(pos, scanned >= 3 ? scanned - 3 : 0);
  for (size_t lf = bytes.find('\n', resume); lf != std::string_view::npos;
       lf = bytes.find('\n', lf + 1)) {
    size_t next = lf + 1;
    if (next < bytes.size() && bytes[next] == '\n') return next + 1;
    if (next + 1 < bytes.size() && bytes[next] == '\r' && bytes[next + 1] == '\n') return next + 2;
  }
  return std::nullopt;
}

Result<RequestHead> parse_request_head(std::string_view head) {
  RequestHead out;
  bool have_request_line = false;
  while (!head.empty()) {
    size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (lf == std::string_view::npos)
      return make_error("header section does not end with an empty line");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return make_error("bare CR in header section");
    if (line.find('\0') != std::string_view::npos) return make_error("NUL in header section");
    if (line.empty()) {
      if (!have_request_line) continue;  // empty lines before the request line
      if (!head.empty()) return make_error("bytes after the end of the header section");
      return out;
    }
    if (!have_request_line) {
      if (auto ok = parse_request_line(line, out); !ok) return std::unexpected(ok.error());
      have_request_line = true;
      continue;
    }
    auto header = parse_header_line(line);
    if (!header) return std::unexpected(header.error());
    out.headers.push_back(std::move(*header));
  }
  return make_error("header section does not end with an empty line");
}

Result<BodyFraming> body_framing(const RequestHead& head) {
  bool has_transfer_encoding = false;
  int chunked_count = 0;
  std::string other_coding;
  std::optional<uint64_t> length;
  for (const HttpHeader& h : head.headers) {
    if (h.name == "transfer-encoding") {
      has_transfer_encoding = true;
      bool last_is_chunked = false;
      for_each_list_element(h.value, [&](std::string_view coding) {
        last_is_chunked = equals_ignore_case(coding, "chunked");
        if (last_is_chunked) {
          ++chunked_count;
        } else if (other_coding.empty()) {
          other_coding = std::string(coding.substr(0, 40));
        }
      });
    } else if (h.name == "content-length") {
      bool conflict = false;
      std::optional<Error> error;
      for_each_list_element(h.value, [&](std::string_view text) {
        auto value = parse_content_length(text);
        if (!value) {
          if (!error) error = value.error();
        } else if (length && *length != *value) {
          conflict = true;
        } else {
          length = *value;
        }
      });
      if (error) return std::unexpected(*error);
      if (conflict) return make_error("conflicting Content-Length values");
      if (!length) return make_error("empty Content-Length");
    }
  }
  if (has_transfer_encoding) {
    if (head.minor_version == 0) return make_error("Transfer-Encoding in an HTTP/1.0 request");
    if (length) return make_error("both Transfer-Encoding and Content-Length");
    if (!other_coding.empty())
      return make_error("unsupported transfer coding '" + other_coding + "'");
    if (chunked_count != 1) return make_error("Transfer-Encoding must name chunked once");
    return BodyFraming{BodyFraming::Kind::kChunked, 0};
  }
  if (length) return BodyFraming{BodyFraming::Kind::kLength, *length};
  return BodyFraming{};
}

std::string media_type(std::string_view content_type) {
  return lowercase(trim(content_type.substr(0, content_type.find(';'))));
}

void ChunkedDecoder::end_size_line() {
  if (size_ == 0) {
    state_ = State::kTrailerStart;
  } else {
    remaining_ = size_;
    state_ = State::kData;
  }
}

Result<size_t> ChunkedDecoder::feed(std::string_view input, std::string& body) {
  size_t pos = 0;
  while (pos < input.size() && state_ != State::kDone) {
    if (state_ == State::kData) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - pos));
      body.append(input.substr(pos, take));
      pos += take;
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::kDataCR;
      continue;
    }
    char c = input[pos++];
    switch (state_) {
      case State::kSize: {
        int digit = hex_value(c);
        if (digit >= 0) {
          if (size_ > (std::numeric_limits<uint64_t>::max() >> 4)) {
            return make_error("chunk size overflows 64 bits");
          }
          size_ = (size_ << 4) | static_cast<uint64_t>(digit);
          ++size_digits_;
          if (++line_bytes_ > kMaxChunkLineBytes) return make_error("chunk size line too long");
          break;
        }
        if (size_digits_ == 0) return make_error("chunk size is not a hex number");
        if (is_space(c)) {
          state_ = State::kSizeSpace;
        } else if (c == ';') {
          state_ = State::kExtension;
        } else if (c == '\r') {
          state_ = State::kSizeLineLF;
        } else if (c == '\n') {
          end_size_line();
        } else {
          return make_error("invalid character in chunk size");
        }
        break;
      }
      case State::kSizeSpace:
        if (c == ';') {
          state_ = State::kExtension;
        } else if (c == '\r') {
          state_ = State::kSizeLineLF;
        } else if (c == '\n') {
          end_size_line();
        } else if (!is_space(c)) {
          return make_error("invalid character after chunk size");
        }
        break;
      case State::kExtension:
        if (++line_bytes_ > kMaxChunkLineBytes) return make_error("chunk extension too long");
        if (c == '\r') {
          state_ = State::kSizeLineLF;
        } else if (c == '\n') {
          end_size_line();
        }
        break;
      case State::kSizeLineLF:
        if (c != '\n') return make_error("bare CR in chunk size line");
        end_size_line();
        break;
      case State::kDataCR:
        if (c == '\r') {
          state_ = State::kDataLF;
          break;
        }
        [[fallthrough]];
      case State::kDataLF:
        if (c != '\n') return make_error("chunk data longer than its size");
        state_ = State::kSize;
        size_ = 0;
        size_digits_ = 0;
        line_bytes_ = 0;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kEndLF;
        } else if (c == '\n') {
          state_ = State::kDone;
        } else {
          if (++trailer_bytes_ > kMaxTrailerBytes) return make_error("chunked trailer too long");
          state_ = State::kTrailer;
        }
        break;
      case State::kTrailer:
        if (++trailer_bytes_ > kMaxTrailerBytes) return make_error("chunked trailer too long");
        if (c == '\r') {
          state_ = State::kTrailerLF;
        } else if (c == '\n') {
          state_ = State::kTrailerStart;
        }
        break;
      case State::kTrailerLF:
        if (c != '\n') return make_error("bare CR in chunked trailer");
        state_ = State::kTrailerStart;
        break;
      case State::kEndLF:
        if (c != '\n') return make_error("bare CR after the last chunk");
        state_ = State::kDone;
        break;
      case State::kData:
      case State::kDone:
        break;  // handled above the switch
    }
  }
  return pos;
}

}  // namespace spanprof::receiver
