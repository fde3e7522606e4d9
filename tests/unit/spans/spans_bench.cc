// Throughput of read_span_file on a generated OTLP JSON Lines file shaped like
// opentelemetry-cpp's file exporter output (a batch of spans per line).
//   spans_bench [spans=1000000] [spans-per-line=512] [gzip=0]
#include <time.h>
#include <zlib.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "spans/span_reader.h"

namespace {

std::string hex(uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    out[static_cast<size_t>(i)] = kDigits[value & 0xf];
  return out;
}

std::string span_json(uint64_t i) {
  uint64_t start = 1700000000000000000 + i * 1000;
  std::string trace = hex(i / 8 + 1, 16) + hex(0x5eed, 16);
  std::string parent = i % 8 == 0 ? std::string() : hex(i - i % 8 + 1, 16);
  return R"({"traceId":")" + trace + R"(","spanId":")" + hex(i + 1, 16) + R"(","parentSpanId":")" +
         parent + R"(","flags":257,"name":"op-)" + std::to_string(i % 50) +
         R"(","kind":2,"startTimeUnixNano":")" + std::to_string(start) +
         R"(","endTimeUnixNano":")" + std::to_string(start + 500) +
         R"(","attributes":[{"key":"thread.os_id","value":{"intValue":")" +
         std::to_string(1000 + i % 16) +
         R"("}},{"key":"http.method","value":{"stringValue":"GET"}},)"
         R"({"key":"http.route","value":{"stringValue":"/api/v1/items/{id}"}}],)"
         R"("droppedAttributesCount":0,"events":[],"links":[],"status":{"code":1}})";
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t spans = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  uint64_t per_line = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 512;
  bool gzip = argc > 3 && std::atoi(argv[3]) != 0;
  std::string path = (std::filesystem::temp_directory_path() /
                      (gzip ? "spanprof_bench.jsonl.gz" : "spanprof_bench.jsonl"))
                         .string();
  gzFile gz = gzip ? gzopen(path.c_str(), "wb1") : nullptr;
  FILE* plain = gzip ? nullptr : std::fopen(path.c_str(), "wb");
  uint64_t bytes = 0;
  std::string line;
  for (uint64_t i = 0; i < spans; i += per_line) {
    line = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":)"
           R"({"stringValue":"bench"}},{"key":"process.pid","value":{"intValue":"4242"}}]},)"
           R"("scopeSpans":[{"scope":{"name":"bench"},"spans":[)";
    for (uint64_t j = i; j < std::min(spans, i + per_line); ++j) {
      if (j != i) line += ',';
      line += span_json(j);
    }
    line += "]}]}]}\n";
    bytes += line.size();
    if (gz != nullptr) {
      gzwrite(gz, line.data(), static_cast<unsigned>(line.size()));
    } else {
      std::fwrite(line.data(), 1, line.size(), plain);
    }
  }
  if (gz != nullptr) gzclose(gz);
  if (plain != nullptr) std::fclose(plain);

  // CPU time as well as wall time: other work on the machine inflates wall time.
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  double best = 1e9;
  double best_cpu = 1e9;
  spanprof::spans::SpanReadStats stats;
  for (int run = 0; run < 3; ++run) {
    spanprof::spans::SpanSet set;
    stats = {};
    auto begin = std::chrono::steady_clock::now();
    double cpu_begin = cpu_now();
    auto read = spanprof::spans::read_span_file(path, {}, set, stats);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    best_cpu = std::min(best_cpu, cpu_now() - cpu_begin);
    if (!read) {
      std::fprintf(stderr, "%s\n", read.error().to_string().c_str());
      return 1;
    }
    best = std::min(best, seconds);
  }
  if (std::getenv("SPANS_BENCH_KEEP") == nullptr) std::filesystem::remove(path);
  std::printf("%" PRIu64 " spans, %" PRIu64
              " bad, %.1f MB JSON%s, best of 3: wall %.3f s = %.2f M spans/s"
              " (%.0f MB/s); cpu %.3f s = %.2f M spans/s\n",
              stats.spans, stats.bad_spans, static_cast<double>(bytes) / 1e6, gzip ? " (gzip)" : "",
              best, static_cast<double>(stats.spans) / best / 1e6,
              static_cast<double>(bytes) / best / 1e6, best_cpu,
              static_cast<double>(stats.spans) / best_cpu / 1e6);
  return stats.spans == spans ? 0 : 1;
}
