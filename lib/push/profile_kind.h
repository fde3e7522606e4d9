// The kinds of profile `spanprof push` sends, each a profile type of its own
// on the server: the join's primary profile (CPU), its off-CPU profile and its
// wall-clock profile (JoinOptions::sample_sink, off_cpu_sink, wall_sink).
//
// Takes: a kind, or its name as --profiles spells it. Gives: what the server
// files that kind under (docs/pyroscope-profile-types.md has the sources):
// - Pyroscope's profile type id is __name__:sample_type:sample_unit:
//   period_type:period_unit, one per sample type of the pprof
//   (pkg/phlaredb/labels/labels.go CreateProfileLabels).
// - cpu:     __name__ process_cpu, period type as the join writes it (cpu/
//            nanoseconds): process_cpu:cpu:nanoseconds:cpu:nanoseconds.
// - off-cpu: __name__ off_cpu and no period type: off_cpu:off_cpu:nanoseconds::,
//            the id Pyroscope gives the OpenTelemetry eBPF profiler's off-CPU
//            profiles (pkg/ingester/otlp/convert.go, ProfileNameOffCpu); its
//            thread_state sample label stays in the profile.
// - wall:    __name__ wall, period type wall/nanoseconds:
//            wall:wall:nanoseconds:wall:nanoseconds, the id of Java's
//            (async-profiler) wall profiles (pkg/test/integration/ingest_jfr_test.go);
//            its thread_state sample label (running on CPU samples) stays too.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof::push {

enum class ProfileKind { kCpu, kOffCpu, kWall };

struct ProfileKindInfo {
  ProfileKind kind;
  const char* option_name;   // in --profiles: "cpu", "off-cpu", "wall"
  const char* metric_name;   // the series label __name__
  const char* batch_suffix;  // outbox batch ids "000001-<suffix>"
  // The sample label this kind keeps besides span_id, trace_id and span_name
  // (the server makes it a series label), or "" for none.
  const char* kept_label;
  // The period type the pushed profiles carry: keep the join's, or set this
  // one (an empty type and unit: no period type at all).
  bool set_period_type;
  const char* period_type;
  const char* period_unit;
};

// Every kind, in send order (CPU first: the profile every capture has).
std::span<const ProfileKindInfo> profile_kinds();
const ProfileKindInfo& kind_info(ProfileKind kind);

// Which kinds a push sends (--profiles).
struct ProfileSelection {
  bool cpu = true;
  bool off_cpu = true;
  bool wall = true;
  bool has(ProfileKind kind) const;
  // "cpu,off-cpu,wall": the fingerprint's and the error messages' spelling.
  std::string to_string() const;
};

// "cpu,wall" -> cpu and wall; "" -> all. Fails on an unknown or repeated name
// and on an empty list item (the message names --profiles and the choices).
Result<ProfileSelection> parse_profile_selection(std::string_view list);

}  // namespace spanprof::push
