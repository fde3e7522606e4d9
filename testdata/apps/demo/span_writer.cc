#include "span_writer.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <ctime>

namespace demo {

namespace {

constexpr size_t kSpansPerLine = 200;

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, value);
  return text;
}

}  // namespace

SpanWriter* SpanWriter::open(const char* path, std::string_view service_name, SpanClock clock) {
  if (path == nullptr || *path == '\0') return nullptr;
  FILE* file = std::fopen(path, "a");
  if (file == nullptr) {
    std::perror(path);
    return nullptr;
  }
  return new SpanWriter(file, service_name, clock);
}

SpanWriter::SpanWriter(FILE* file, std::string_view service_name, SpanClock clock)
    : file_(file),
      service_name_(service_name),
      clock_(clock),
      rng_state_(static_cast<uint64_t>(now_ns()) ^ (static_cast<uint64_t>(getpid()) << 32)) {}

SpanWriter::~SpanWriter() {
  flush();
  std::fclose(file_);
}

int64_t SpanWriter::now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint64_t SpanWriter::random64() {
  // splitmix64: ids only need to be unique, not secret.
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

SpanContext SpanWriter::new_span(const SpanContext* parent) {
  std::lock_guard lock(mutex_);
  SpanContext context;
  if (parent != nullptr) {
    context.trace_hi = parent->trace_hi;
    context.trace_lo = parent->trace_lo;
  } else {
    context.trace_hi = random64();
    context.trace_lo = random64();
  }
  context.span_id = random64() | 1;  // never the invalid all-zero id
  return context;
}

void SpanWriter::record(const SpanContext& span, const SpanContext* parent, std::string_view name,
                        int64_t start_ns, int64_t end_ns) {
  if (clock_ == SpanClock::millisecond_starts) {
    int64_t duration_ns = end_ns - start_ns;
    start_ns -= start_ns % 1'000'000;
    end_ns = start_ns + duration_ns;
  }
  long tid = syscall(SYS_gettid);
  std::string json = "{\"traceId\":\"" + hex64(span.trace_hi) + hex64(span.trace_lo) +
                     "\",\"spanId\":\"" + hex64(span.span_id) + "\",\"parentSpanId\":\"" +
                     (parent ? hex64(parent->span_id) : std::string()) + "\",\"name\":\"" +
                     std::string(name) + "\",\"kind\":1,\"startTimeUnixNano\":\"" +
                     std::to_string(start_ns) + "\",\"endTimeUnixNano\":\"" +
                     std::to_string(end_ns) +
                     "\",\"attributes\":[{\"key\":\"thread.os_id\",\"value\":{\"intValue\":\"" +
                     std::to_string(tid) + "\"}}]}";
  std::lock_guard lock(mutex_);
  if (pending_count_ > 0) pending_ += ',';
  pending_ += json;
  if (++pending_count_ >= kSpansPerLine) {
    mutex_.unlock();
    flush();
    mutex_.lock();
  }
}

void SpanWriter::flush() {
  std::lock_guard lock(mutex_);
  if (pending_count_ == 0) return;
  std::fprintf(file_,
               "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
               "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"%s\"}},"
               "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"%d\"}}]},"
               "\"scopeSpans\":[{\"scope\":{\"name\":\"spanprof-demo\"},\"spans\":[%s]}]}]}\n",
               service_name_.c_str(), static_cast<int>(getpid()), pending_.c_str());
  std::fflush(file_);
  pending_.clear();
  pending_count_ = 0;
}

ScopedSpan::ScopedSpan(SpanWriter* writer, std::string_view name, const SpanContext* parent)
    : writer_(writer), name_(name), has_parent_(parent != nullptr) {
  if (writer_ == nullptr) return;
  if (parent) parent_ = *parent;
  context_ = writer_->new_span(parent);
  start_ns_ = SpanWriter::now_ns();
}

ScopedSpan::~ScopedSpan() {
  if (writer_ == nullptr) return;
  writer_->record(context_, has_parent_ ? &parent_ : nullptr, name_, start_ns_,
                  SpanWriter::now_ns());
}

}  // namespace demo
