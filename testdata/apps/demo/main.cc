// spanprof-demo: worker threads serving "requests" of a few milliseconds each,
// each kind burning CPU in its own named function, for perf to record.
//
//   spanprof-demo [--duration-ms N] [--threads N] [--libc-leaf] [--ms-span-clock]
//                 [--event-loop [--in-flight N]] [--activation-bench N]
//                 [--blocking [--span-ms N] [--rounds N]]
//
// worker-K serves one request kind (checksum, parse, compress in turn); the
// main thread serves all kinds round-robin, so only per-request attribution
// (spans) can tell its kinds apart.
//
// --libc-leaf: every thread spends its time in libc's memchr instead (no spans), the
// workload that shows frame-pointer call chains losing a leaf's caller.
//
// --event-loop: every thread serves --in-flight N requests (8) at once, round-robin one
// step of each at a time, all kinds mixed, as an event loop does; the spans of the
// requests overlap on the thread, and spanprof/activation.h records which one is current
// around each step (to SPANPROF_ACTIVATIONS_DIR, which `spanprof run` sets).
//
// --blocking: --threads N workers (each with a helper thread) whose spans sleep, wait for
// a mutex, block in read() on a pipe, or burn the CPU, each for --span-ms N (40), each kind
// --rounds N times (3): the off-CPU test's workload (blocking.h).
//
// --activation-bench N: times N calls of the activation header and exits.
//
// With SPANPROF_SPANS_FILE=PATH (what `spanprof run` sets) every request is
// exported as OTLP JSON Lines spans carrying the OS thread id (thread.os_id).
//
// --ms-span-clock: span starts are stamped on whole milliseconds and ends are start plus
// the precise duration, as the Node SDK does (start from Date.now(), duration from
// performance.now()); the input of spanprof's millisecond-clock repair.
#include <pthread.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "activations.h"
#include "blocking.h"
#include "event_loop.h"
#include "span_writer.h"
#include "workloads.h"

namespace {

struct Options {
  int64_t duration_ms = 1500;
  int threads = 3;
  int span_split = 1;
  uint64_t requests = 0;  // per thread; 0: until the duration is over
  bool libc_leaf = false;
  bool ms_span_clock = false;
  bool event_loop = false;
  int in_flight = 8;
  uint64_t activation_bench = 0;  // calls; 0: serve requests
  bool blocking = false;
  int64_t span_ms = 40;
  int rounds = 3;
};

// --requests: a fixed amount of work, for timing the demo bare and profiled.
uint64_t g_max_requests = 0;

struct ThreadTally {
  uint64_t requests = 0;
  uint64_t result = 0;
};

constexpr demo::RequestKind kKinds[] = {demo::RequestKind::checksum, demo::RequestKind::parse,
                                        demo::RequestKind::compress};

void usage(FILE* out) {
  std::fputs(
      "usage: spanprof-demo [--duration-ms N | --requests N] [--threads N] [--span-split N] "
      "[--libc-leaf] [--ms-span-clock] [--event-loop [--in-flight N]] [--activation-bench N] "
      "[--blocking [--span-ms N] [--rounds N]]\n",
      out);
}

template <class Int>
bool parse_int(std::string_view text, Int min, Int max, Int& value) {
  Int parsed{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  if (parsed < min || parsed > max) return false;
  value = parsed;
  return true;
}

// Returns false (after printing why) when the arguments are unusable.
bool parse_args(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (arg == "--libc-leaf") {
      options.libc_leaf = true;
      continue;
    }
    if (arg == "--ms-span-clock") {
      options.ms_span_clock = true;
      continue;
    }
    if (arg == "--event-loop") {
      options.event_loop = true;
      continue;
    }
    if (arg == "--blocking") {
      options.blocking = true;
      continue;
    }
    bool has_value = i + 1 < argc;
    bool ok = false;
    if (arg == "--duration-ms" && has_value) {
      ok = parse_int<int64_t>(argv[++i], 1, 3'600'000, options.duration_ms);
    } else if (arg == "--threads" && has_value) {
      ok = parse_int<int>(argv[++i], 0, 64, options.threads);
    } else if (arg == "--requests" && has_value) {
      ok = parse_int<uint64_t>(argv[++i], 1, 100'000'000, options.requests);
    } else if (arg == "--span-split" && has_value) {
      ok = parse_int<int>(argv[++i], 1, 10000, options.span_split);
    } else if (arg == "--in-flight" && has_value) {
      ok = parse_int<int>(argv[++i], 1, 1000, options.in_flight);
    } else if (arg == "--activation-bench" && has_value) {
      ok = parse_int<uint64_t>(argv[++i], 2, 10'000'000'000, options.activation_bench);
    } else if (arg == "--span-ms" && has_value) {
      ok = parse_int<int64_t>(argv[++i], 1, 60'000, options.span_ms);
    } else if (arg == "--rounds" && has_value) {
      ok = parse_int<int>(argv[++i], 1, 10'000, options.rounds);
    }
    if (!ok) {
      std::fprintf(stderr, "spanprof-demo: bad argument '%s'\n", argv[i]);
      usage(stderr);
      return false;
    }
  }
  return true;
}

// Serves requests until the deadline; kinds cycle from first_kind with the given stride.
// Each request is one unit of work (the place a span per request belongs).
__attribute__((noinline)) ThreadTally serve_requests(std::chrono::steady_clock::time_point deadline,
                                                     uint64_t seed, size_t first_kind,
                                                     size_t stride, demo::SpanWriter* spans,
                                                     int span_split) {
  demo::WorkBuffers buffers = demo::make_buffers(seed);
  ThreadTally tally;
  size_t kind = first_kind;
  while (std::chrono::steady_clock::now() < deadline &&
         (g_max_requests == 0 || tally.requests < g_max_requests)) {
    tally.result ^=
        demo::handle_request(kKinds[kind % std::size(kKinds)], buffers, spans, span_split) +
        tally.requests;
    ++tally.requests;
    kind += stride;
  }
  return tally;
}

// --libc-leaf: scans a 64 KiB buffer with memchr until the deadline. The clock is read
// once per 64 scans so that almost no sample falls outside memchr and its caller.
__attribute__((noinline)) ThreadTally scan_until(
    std::chrono::steady_clock::time_point deadline) {
  std::vector<uint8_t> buffer(64 * 1024);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<uint8_t>(i % 255);
  ThreadTally tally;
  while (std::chrono::steady_clock::now() < deadline &&
         (g_max_requests == 0 || tally.requests < g_max_requests)) {
    for (int scan = 0; scan < 64; ++scan) tally.result += demo::scan_for_missing_byte(buffer);
    ++tally.requests;
  }
  return tally;
}

// One thread's work in the mode the options choose.
ThreadTally serve(const Options& options, std::chrono::steady_clock::time_point deadline,
                  uint64_t seed, size_t first_kind, size_t stride, demo::SpanWriter* spans) {
  if (options.libc_leaf) return scan_until(deadline);
  if (options.event_loop) {
    demo::EventLoopOptions loop;
    loop.in_flight = options.in_flight;
    loop.max_requests = g_max_requests;
    demo::EventLoopTally tally = demo::run_event_loop(deadline, seed, loop, spans);
    return ThreadTally{tally.requests, tally.result};
  }
  return serve_requests(deadline, seed, first_kind, stride, spans, options.span_split);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) return 2;
  if (options.activation_bench > 0) {
    demo::activation_bench(options.activation_bench);
    return 0;
  }
  if (options.blocking && options.threads < 1) {
    std::fputs("spanprof-demo: --blocking needs --threads 1 or more\n", stderr);
    return 2;
  }

  demo::SpanWriter* spans =
      demo::SpanWriter::open(std::getenv("SPANPROF_SPANS_FILE"), "spanprof-demo",
                             options.ms_span_clock ? demo::SpanClock::millisecond_starts
                                                   : demo::SpanClock::precise);
  if (options.blocking) {
    auto blocking_start = std::chrono::steady_clock::now();
    demo::BlockingTally tally = demo::run_blocking(
        demo::BlockingOptions{options.threads, options.rounds, options.span_ms}, spans);
    delete spans;  // flushes the last spans
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - blocking_start);
    std::printf("spanprof-demo: %d blocking threads, %llu spans of %lld ms in %lld ms, result "
                "%016llx\n",
                options.threads, static_cast<unsigned long long>(tally.spans),
                static_cast<long long>(options.span_ms), static_cast<long long>(elapsed.count()),
                static_cast<unsigned long long>(tally.result));
    return tally.spans > 0 ? 0 : 1;
  }

  auto start = std::chrono::steady_clock::now();
  g_max_requests = options.requests;
  int64_t duration_ms = options.requests > 0 ? 3'600'000 : options.duration_ms;
  auto deadline = start + std::chrono::milliseconds(duration_ms);
  std::vector<ThreadTally> tallies(static_cast<size_t>(options.threads) + 1);
  std::vector<std::thread> workers;
  for (int k = 0; k < options.threads; ++k) {
    workers.emplace_back([&, k] {
      // Linux thread names are at most 15 characters.
      std::string name = "worker-" + std::to_string(k + 1);
      pthread_setname_np(pthread_self(), name.c_str());
      tallies[static_cast<size_t>(k) + 1] = serve(options, deadline, static_cast<uint64_t>(k) + 1,
                                                  static_cast<size_t>(k), 0, spans);
    });
  }
  tallies[0] = serve(options, deadline, 0, 0, 1, spans);
  for (auto& worker : workers) worker.join();
  delete spans;  // flushes the last spans

  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  uint64_t requests = 0;
  uint64_t result = 0;
  for (const auto& tally : tallies) {
    requests += tally.requests;
    result ^= tally.result;
  }
  std::printf("spanprof-demo: %d worker threads + main, %llu requests in %lld ms, result %016llx\n",
              options.threads, static_cast<unsigned long long>(requests),
              static_cast<long long>(elapsed.count()), static_cast<unsigned long long>(result));
  return 0;
}
