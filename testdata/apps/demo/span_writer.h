// A minimal OpenTelemetry span exporter for the demo: OTLP JSON Lines, as the
// opentelemetry-cpp file exporter writes them (int64 values as strings), with
// the OS thread id in `thread.os_id`. Enabled by SPANPROF_SPANS_FILE; the
// service is OTEL_SERVICE_NAME (and service.namespace from OTEL_RESOURCE_ATTRIBUTES)
// when set, as OpenTelemetry SDKs read them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace demo {

struct SpanContext {
  uint64_t trace_hi = 0, trace_lo = 0;
  uint64_t span_id = 0;
};

// How span times are stamped. millisecond_starts is the Node SDK's way: the start
// from Date.now() (whole milliseconds), the end as start plus a precise duration.
enum class SpanClock { precise, millisecond_starts };

class SpanWriter {
 public:
  // Opens path for appending; a null writer (no path) records nothing.
  static SpanWriter* open(const char* path, std::string_view service_name,
                          SpanClock clock = SpanClock::precise);
  ~SpanWriter();

  // Wall-clock nanoseconds (CLOCK_REALTIME), the time base of OTLP spans.
  static int64_t now_ns();

  // Starts a trace or a child of parent; returns the new span's context.
  SpanContext new_span(const SpanContext* parent);

  // Records a finished span of the calling thread (buffered per call site by the caller);
  // thread_cpu_ns >= 0 adds it as the attribute demo.thread_cpu_ns.
  void record(const SpanContext& span, const SpanContext* parent, std::string_view name,
              int64_t start_ns, int64_t end_ns, int64_t thread_cpu_ns = -1);

  // Writes what is buffered as one TracesData line.
  void flush();

 private:
  SpanWriter(FILE* file, std::string_view service_name, SpanClock clock);
  uint64_t random64();

  std::mutex mutex_;
  FILE* file_;
  std::string service_name_;       // OTEL_SERVICE_NAME, else the given name
  std::string service_namespace_;  // service.namespace in OTEL_RESOURCE_ATTRIBUTES, or ""
  SpanClock clock_;
  std::string pending_;  // comma-separated span objects
  size_t pending_count_ = 0;
  uint64_t rng_state_;
};

// Scoped span: starts at construction, recorded at destruction. With measure_cpu the
// CPU time the thread spent inside it is recorded too (the off-CPU test's truth).
class ScopedSpan {
 public:
  ScopedSpan(SpanWriter* writer, std::string_view name, const SpanContext* parent,
             bool measure_cpu = false);
  ~ScopedSpan();
  const SpanContext& context() const { return context_; }

 private:
  SpanWriter* writer_;
  std::string_view name_;
  SpanContext context_;
  SpanContext parent_;
  bool has_parent_;
  int64_t start_ns_ = 0;
  bool measure_cpu_;
  int64_t start_cpu_ns_ = 0;
};

}  // namespace demo
