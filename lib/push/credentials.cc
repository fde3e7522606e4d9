#include "push/credentials.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace spanprof::push {

namespace {

// Files holding a secret are small; anything larger is the wrong file.
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

Result<std::string> read_env(std::string_view var, std::string_view flag) {
  if (var.empty()) {
    return make_error(fmt::format("{} needs the name of an environment variable", flag), {},
                      "give the variable's name, not its value");
  }
  std::string name(var);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    return make_error(fmt::format("environment variable {} is not set or empty", name), std::string(flag),
                      fmt::format("export {}=... before running spanprof", name));
  }
  return std::string(value);
}

// The file's content with one trailing newline (and CR) removed.
Result<std::string> read_secret_file(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(fmt::format("cannot read {} file: {}", flag, std::strerror(errno)), path,
                      "check the path and its permissions");
  }
  std::string text;
  text.resize(kMaxSecretFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxSecretFileBytes) {
    return make_error(fmt::format("{} file is larger than 64 KiB: not a credentials file", flag),
                      path, "the file should hold the secret alone");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) {
    return make_error(fmt::format("{} file is empty", flag), path, "write the secret into it");
  }
  if (text.find_first_of("\r\n") != std::string::npos) {
    return make_error(fmt::format("{} file holds more than one line", flag), path,
                      "the file should hold the secret alone, on one line");
  }
  return text;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Result<void> add_basic(Credentials& out, const std::string& user, const std::string& password,
                       std::string_view where) {
  if (user.find(':') != std::string::npos || has_control(user) || has_control(password)) {
    return make_error("basic auth user name holds ':' or a control character", std::string(where),
                      "RFC 7617: the user name cannot contain ':'");
  }
  std::string encoded = base64_encode(user + ":" + password);
  out.header_lines.push_back("Authorization: Basic " + encoded);
  out.secrets.push_back(password);
  out.secrets.push_back(encoded);
  out.has_auth = true;
  return {};
}

Result<void> add_bearer(Credentials& out, const std::string& token, std::string_view where) {
  if (has_control(token) || token.find(' ') != std::string::npos) {
    return make_error("bearer token holds a space or a control character", std::string(where),
                      "the token should be one word");
  }
  out.header_lines.push_back("Authorization: Bearer " + token);
  out.secrets.push_back(token);
  out.has_auth = true;
  return {};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> parse_header_line(std::string_view line, std::string_view flag) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(fmt::format("header \"{}\" is not \"Name: value\"", line), std::string(flag),
                      "example: -H 'X-Team: profiling'");
  }
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!std::all_of(name.begin(), name.end(), is_token_char)) {
    return make_error(fmt::format("header name \"{}\" holds characters HTTP does not allow", name),
                      std::string(flag), "letters, digits and -_. are safe");
  }
  if (has_control(value)) {
    return make_error(fmt::format("header {} holds a control character", name), std::string(flag),
                      "headers are one line");
  }
  if (iequals(name, "Authorization") || iequals(name, "Proxy-Authorization")) {
    // Not echoing the value: it is the secret.
    return make_error(fmt::format("{} would put a secret on the command line", name), std::string(flag),
                      "use --basic-auth-env/--basic-auth-file or --token-env/--token-file");
  }
  return fmt::format("{}: {}", name, value);
}

Result<void> check_url(std::string_view url, std::string_view flag) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return make_error(fmt::format("{} must be an http:// or https:// URL", flag), {},
                      "example: http://localhost:4040");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    // The URL is not repeated: its user info may hold a password.
    return make_error(fmt::format("{} holds user info (user:password@)", flag), {},
                      "credentials go in environment variables or files: --basic-auth-env, "
                      "--basic-auth-file, --token-env, --token-file");
  }
  if (authority.empty() || has_control(url) || url.find(' ') != std::string_view::npos) {
    return make_error(fmt::format("{} has no host or holds spaces or control characters", flag),
                      std::string(url), "example: http://localhost:4040");
  }
  return {};
}

Result<Credentials> load_credentials(const CredentialSources& sources,
                                     std::string_view flag_prefix) {
  Credentials out;
  int auth_sources = !sources.basic_auth_env.empty() + !sources.basic_auth_file.empty() +
                     !sources.token_env.empty() + !sources.token_file.empty();
  if (auth_sources > 1) {
    return make_error(
        fmt::format("more than one of {0}basic-auth-env, {0}basic-auth-file, {0}token-env, "
                    "{0}token-file given",
                    flag_prefix),
        {}, "a request carries one Authorization header: pick one");
  }
  if (!sources.basic_auth_env.empty()) {
    std::string flag = fmt::format("{}basic-auth-env", flag_prefix);
    size_t colon = sources.basic_auth_env.find(':');
    if (colon == std::string::npos) {
      return make_error(fmt::format("{} takes USER_VAR:PASS_VAR", flag), {},
                        "two environment variable names, e.g. PYROSCOPE_USER:PYROSCOPE_PASSWORD");
    }
    auto user = read_env(std::string_view(sources.basic_auth_env).substr(0, colon), flag);
    if (!user) return std::unexpected(user.error());
    auto password = read_env(std::string_view(sources.basic_auth_env).substr(colon + 1), flag);
    if (!password) return std::unexpected(password.error());
    if (auto ok = add_basic(out, *user, *password, flag); !ok) return std::unexpected(ok.error());
  }
  if (!sources.basic_auth_file.empty()) {
    std::string flag = fmt::format("{}basic-auth-file", flag_prefix);
    auto text = read_secret_file(sources.basic_auth_file, flag);
    if (!text) return std::unexpected(text.error());
    size_t colon = text->find(':');
    if (colon == std::string::npos) {
      return make_error(fmt::format("{} file is not \"user:password\"", flag),
                        sources.basic_auth_file, "one line: the user, a colon, the password");
    }
    if (auto ok = add_basic(out, text->substr(0, colon), text->substr(colon + 1),
                            sources.basic_auth_file);
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (!sources.token_env.empty()) {
    std::string flag = fmt::format("{}token-env", flag_prefix);
    auto token = read_env(sources.token_env, flag);
    if (!token) return std::unexpected(token.error());
    if (auto ok = add_bearer(out, *token, flag); !ok) return std::unexpected(ok.error());
  }
  if (!sources.token_file.empty()) {
    std::string flag = fmt::format("{}token-file", flag_prefix);
    auto token = read_secret_file(sources.token_file, flag);
    if (!token) return std::unexpected(token.error());
    if (auto ok = add_bearer(out, *token, sources.token_file); !ok) {
      return std::unexpected(ok.error());
    }
  }
  std::string header_flag = flag_prefix == "--" ? "-H/--header" : "--traces-header";
  for (const std::string& line : sources.headers) {
    auto header = parse_header_line(line, header_flag);
    if (!header) return std::unexpected(header.error());
    out.header_lines.push_back(*header);
  }
  return out;
}

std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    // Very short secrets would scrub ordinary words; they are still never printed
    // by spanprof itself, only a server could echo them.
    if (secret.size() < 4) continue;
    size_t at = 0;
    while ((at = text.find(secret, at)) != std::string::npos) {
      text.replace(at, secret.size(), "***");
      at += 3;
    }
  }
  return text;
}

}  // namespace spanprof::push
