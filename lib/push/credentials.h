// Credentials and extra headers for one destination (the Pyroscope server, or
// the traces endpoint), read from environment variables or files.
//
// No flag takes a secret itself: a secret on the command line ends up in shell
// history and in /proc/PID/cmdline for every local user to read. So basic auth
// and tokens come from named environment variables or files, a URL with user
// info is refused, and -H refuses Authorization headers. The loaded secrets are
// kept only in memory; secrets() lets callers scrub them from any text they
// print (a server may echo a header back in its error message).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spanprof::push {

// Where the secrets are, as the command line names them. Empty = not given.
struct CredentialSources {
  std::string basic_auth_env;   // "USER_VAR:PASS_VAR"
  std::string basic_auth_file;  // file holding "user:password"
  std::string token_env;        // VAR holding a bearer token
  std::string token_file;       // file holding a bearer token
  std::vector<std::string> headers;  // "Name: value", repeatable
};

struct Credentials {
  // Full header lines ("Authorization: Basic ...", "X-Custom: v"), ready to send.
  std::vector<std::string> header_lines;
  // The secret strings (password, token, their encodings), to scrub from output.
  std::vector<std::string> secrets;
  bool has_auth = false;
};

// `flag_prefix` names the flags in errors: "--" or "--traces-".
Result<Credentials> load_credentials(const CredentialSources& sources,
                                     std::string_view flag_prefix = "--");

// A header given with -H: "Name: value", a valid token name, no CR/LF, not an
// Authorization header. Returns the normalised line.
Result<std::string> parse_header_line(std::string_view line, std::string_view flag);

// A URL given on the command line: http(s), a host, no user info.
Result<void> check_url(std::string_view url, std::string_view flag);

// text with every secret replaced by "***".
std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets);

std::string base64_encode(std::string_view bytes);

}  // namespace spanprof::push
