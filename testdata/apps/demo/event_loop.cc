#include "event_loop.h"

#include <spanprof/activation.h>

#include <array>
#include <span>
#include <vector>

#include "span_writer.h"
#include "workloads.h"

namespace demo {
namespace {

constexpr RequestKind kKinds[] = {RequestKind::checksum, RequestKind::parse,
                                  RequestKind::compress};

// A request between two of its turns: the loop keeps its state, as a coroutine frame or a
// callback's closure would.
struct Request {
  RequestKind kind = RequestKind::checksum;
  SpanContext root;
  SpanContext work;
  int64_t root_start_ns = 0;
  int64_t work_start_ns = 0;
  int next_step = 0;  // 0: routing, in the root span; 1..steps: work, in the child span
  bool active = false;
};

// The activation header takes ids as bytes in the order their hex reads.
void activate(const SpanContext& span) {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  for (size_t i = 0; i < 8; ++i) {
    trace_id[i] = static_cast<uint8_t>(span.trace_hi >> (56 - 8 * i));
    trace_id[8 + i] = static_cast<uint8_t>(span.trace_lo >> (56 - 8 * i));
    span_id[i] = static_cast<uint8_t>(span.span_id >> (56 - 8 * i));
  }
  spanprof_activate(trace_id.data(), span_id.data());
}

void start(Request& request, RequestKind kind, SpanWriter* spans) {
  request = Request{};
  request.kind = kind;
  request.active = true;
  if (spans != nullptr) request.root = spans->new_span(nullptr);
  request.root_start_ns = SpanWriter::now_ns();
}

// One turn of a request; returns true when the request is complete.
bool run_step(Request& request, WorkBuffers& buffers, const EventLoopOptions& options,
              SpanWriter* spans, uint64_t& result) {
  int step = request.next_step++;
  if (step == 0) {
    activate(request.root);
    // A quarter of the blob as the "header", as handle_request routes.
    result ^= route_request(std::span(buffers.blob).first(buffers.blob.size() / 4));
    spanprof_deactivate();
    if (spans != nullptr) request.work = spans->new_span(&request.root);
    request.work_start_ns = SpanWriter::now_ns();
    return false;
  }
  activate(request.work);
  result ^= do_work(request.kind, buffers, static_cast<size_t>(step - 1),
                    static_cast<size_t>(options.steps));
  spanprof_deactivate();
  if (step < options.steps) return false;
  if (spans != nullptr) {
    int64_t end_ns = SpanWriter::now_ns();
    spans->record(request.work, &request.root, kind_name(request.kind), request.work_start_ns,
                  end_ns);
    spans->record(request.root, nullptr, route_name(request.kind), request.root_start_ns,
                  end_ns);
  }
  return true;
}

}  // namespace

EventLoopTally run_event_loop(std::chrono::steady_clock::time_point deadline, uint64_t seed,
                              const EventLoopOptions& options, SpanWriter* spans) {
  WorkBuffers buffers = make_buffers(seed);
  EventLoopTally tally;
  std::vector<Request> requests(static_cast<size_t>(options.in_flight));
  uint64_t started = 0;
  auto may_start = [&] {
    return std::chrono::steady_clock::now() < deadline &&
           (options.max_requests == 0 || started < options.max_requests);
  };
  for (auto& request : requests) {
    if (!may_start()) break;
    start(request, kKinds[started++ % std::size(kKinds)], spans);
  }
  for (bool any_active = true; any_active;) {
    any_active = false;
    for (auto& request : requests) {
      if (!request.active) continue;
      any_active = true;
      if (!run_step(request, buffers, options, spans, tally.result)) continue;
      tally.result = tally.result * 31 + tally.requests;  // so equal results do not cancel
      ++tally.requests;
      request.active = false;
      if (may_start()) start(request, kKinds[started++ % std::size(kKinds)], spans);
    }
  }
  return tally;
}

}  // namespace demo
