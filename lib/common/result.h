// Error and Result: every fallible step in spanprof returns Result<T>.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace spanprof {

// An error a user can act on: what happened, where (file, byte offset, line),
// and how to fix it. to_string() renders the one-line message the CLI prints.
struct Error {
  std::string message;
  std::string where;
  std::string hint;

  std::string to_string() const {
    std::string out;
    if (!where.empty()) out += where + ": ";
    out += message;
    if (!hint.empty()) out += " (" + hint + ")";
    return out;
  }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(std::string message, std::string where = {},
                                         std::string hint = {}) {
  return std::unexpected<Error>(Error{std::move(message), std::move(where), std::move(hint)});
}

}  // namespace spanprof
