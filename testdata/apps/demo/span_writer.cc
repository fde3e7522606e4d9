#include "span_writer.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
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

// OTEL_RESOURCE_ATTRIBUTES is "k1=v1,k2=v2" (the OpenTelemetry SDK environment
// variable); the demo takes service.namespace from it.
static std::string resource_attribute(const char* key) {
  const char* env = std::getenv("OTEL_RESOURCE_ATTRIBUTES");
  if (env == nullptr) return {};
  std::string_view rest = env;
  std::string_view want = key;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == want) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

SpanWriter::SpanWriter(FILE* file, std::string_view service_name, SpanClock clock)
    : file_(file),
      service_name_(std::getenv("OTEL_SERVICE_NAME") != nullptr && *std::getenv("OTEL_SERVICE_NAME")
                        ? std::string(std::getenv("OTEL_SERVICE_NAME"))
                        : std::string(service_name)),
      service_namespace_(resource_attribute("service.namespace")),
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
                        int64_t start_ns, int64_t end_ns, int64_t thread_cpu_ns) {
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
                     std::to_string(tid) + "\"}}";
  if (thread_cpu_ns >= 0) {
    json += ",{\"key\":\"demo.thread_cpu_ns\",\"value\":{\"intValue\":\"" +
            std::to_string(thread_cpu_ns) + "\"}}";
  }
  json += "]}";
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
  std::string line = "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
                     "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"" +
                     service_name_ + "\"}},";
  if (!service_namespace_.empty()) {
    line += "{\"key\":\"service.namespace\",\"value\":{\"stringValue\":\"" +
            service_namespace_ + "\"}},";
  }
  line += "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"" +
          std::to_string(getpid()) +
          "\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"spanprof-demo\"},\"spans\":[" +
          pending_ + "]}]}]}\n";
  // One write(2) per line on an O_APPEND file: processes sharing the file
  // never interleave inside a line.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fileno(file_), data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data += n;
    left -= static_cast<size_t>(n);
  }
  pending_.clear();
  pending_count_ = 0;
}

static int64_t thread_cpu_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

ScopedSpan::ScopedSpan(SpanWriter* writer, std::string_view name, const SpanContext* parent,
                       bool measure_cpu)
    : writer_(writer), name_(name), has_parent_(parent != nullptr), measure_cpu_(measure_cpu) {
  if (writer_ == nullptr) return;
  if (parent) parent_ = *parent;
  context_ = writer_->new_span(parent);
  start_ns_ = SpanWriter::now_ns();
  if (measure_cpu_) start_cpu_ns_ = thread_cpu_now_ns();
}

ScopedSpan::~ScopedSpan() {
  if (writer_ == nullptr) return;
  int64_t cpu_ns = measure_cpu_ ? thread_cpu_now_ns() - start_cpu_ns_ : -1;
  writer_->record(context_, has_parent_ ? &parent_ : nullptr, name_, start_ns_,
                  SpanWriter::now_ns(), cpu_ns);
}

}  // namespace demo
