// Warning: something a run got past but a user should know, typed so that
// summary.json readers can select warnings by kind instead of matching text.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof {

enum class WarningKind {
  kPerfHeader,   // a perf.data header feature section could not be read (ignored)
  kDamage,       // the capture ended early or turned corrupt: records after it are lost
  kClock,        // sample times were put on the wall clock by a fallback
  kSymbols,      // a binary, kernel symbol table or perf map could not be used as recorded
  kOtherEvents,  // the main profile's event has no samples while others do
  kOffCpu,       // off-CPU intervals could not all be read as recorded
  kCapture,      // the capture directory names an input that cannot be used (a spans file gone)
  kActivations,  // an activation file was damaged or missing, or names spans no span file has
  kSpanMatch,    // spans cannot meet samples: their ids or times are not the capture's
};

// The kind as summary.json writes it: stable, lower_snake_case.
constexpr std::string_view warning_kind_name(WarningKind kind) {
  switch (kind) {
    case WarningKind::kPerfHeader: return "perf_header";
    case WarningKind::kCapture: return "capture";
    case WarningKind::kDamage: return "damage";
    case WarningKind::kClock: return "clock";
    case WarningKind::kSymbols: return "symbols";
    case WarningKind::kOtherEvents: return "other_events";
    case WarningKind::kOffCpu: return "off_cpu";
    case WarningKind::kActivations: return "activations";
    case WarningKind::kSpanMatch: return "span_match";
  }
  return "unknown";
}

struct Warning {
  WarningKind kind;
  std::string message;  // what happened and, when there is one, what to do
  std::string where;    // the file, byte offset or binary it concerns; "" when none

  // An Error that was reported instead of failing the run; its hint joins the message.
  static Warning from_error(WarningKind kind, const Error& error) {
    std::string message = error.message;
    if (!error.hint.empty()) message += " (" + error.hint + ")";
    return Warning{kind, std::move(message), error.where};
  }

  // One line, as the terminal prints it (the same form as Error::to_string).
  std::string to_string() const { return where.empty() ? message : where + ": " + message; }
};

}  // namespace spanprof
