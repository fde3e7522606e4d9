// The report page's data (issue #14): a ViewModel reduced to what the page
// draws, as one JSON object, so that its size follows unique stacks and spans,
// not samples.
//
// Takes: a ViewModel, the join's summary.json text and the capture's command.
// Gives: the JSON the page script reads (schema below), and what was cut.
//
// Schema, version 1. Times are nanoseconds relative to start_unix_ns (so they
// stay exact as JS numbers); "weight" is the main event's unit for kind 0 and
// nanoseconds for the off-CPU kinds. Tables are arrays of rows (arrays), the
// large ones flat arrays with a fixed stride.
//   version        1
//   title          the recorded command ("" when unknown)
//   summary        the join's summary.json object, as written to DIR/summary.json
//   event          {name, unit ("nanoseconds" | "count"), period, is_time}
//   has_off_cpu    bool: off-CPU kinds 1..4 may appear
//   has_clock      bool: sample times are known (else rows all have bucket 0)
//   start_unix_ns  string (decimal; JS numbers cannot hold it exactly)
//   duration_ns    number
//   bucket_ns      number: the width of a timeline bucket
//   buckets        number of buckets (bucket_ns * buckets >= duration_ns)
//   kinds          ["event","sleeping","blocked_io","runnable","unknown"]
//   frames         [[function, file, line, module], ...]
//   stacks         flat [parent, frame, ...] stride 2; parent -1 for a root frame;
//                  a stack is its leaf node's index
//   threads        [[pid, tid, name], ...]
//   names          [span name, ...]
//   spans          flat stride 7: [name, thread, start, end, parent, span_id_index, depth]
//                  (thread -1 when unknown, parent -1 for a root or a parent that was
//                  cut; start/end relative ns, may be < 0 or > duration_ns);
//                  span_ids[span_id_index] = [span_id_hex, trace_id_hex]
//   span_ids       [[span_id_hex, trace_id_hex], ...] (one per kept span, same order)
//   span_names     [{name (an index of names), count, p50_ns, p95_ns, max_ns, event, off_cpu:[sleeping,
//                   blocked_io, runnable, unknown], samples, without_samples,
//                   slowest:[span index, ...]}]  ("event": the main event's weight
//                   inside spans of that name; slowest: kept spans, longest first)
//   rows           flat stride 8: [bucket, thread, span, top, stack, kind, weight, count]:
//                  samples summed by all other columns; an off-CPU piece is split over
//                  the buckets it covers (its count on the first). span = the innermost kept span
//                  the samples are in (-1 outside spans), top = its local root (see
//                  view_model.h): the samples are in every span from `span` up to `top`. span = top = -2:
//                  in spans, none of them listed (cuts says so). stack -1: empty.
//   name_rows      flat stride 5: [name, stack, kind, weight, count]: per span name,
//                  the samples inside spans of that name (each sample once per name)
//   cuts           [message, ...]: what was left out to keep the page small
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "view/view_model.h"

namespace spanprof::view {

struct PageLimits {
  size_t max_spans = 20000;     // spans listed (timeline, single-span graphs)
  size_t max_rows = 400000;     // rows after aggregation; buckets coarsen to stay under
  uint32_t buckets = 1000;      // timeline resolution before coarsening
  size_t slowest_per_name = 10;
};

struct PageData {
  std::string json;
  std::vector<std::string> cuts;  // the same messages as the JSON's "cuts"
  size_t spans_kept = 0;
  size_t rows = 0;
};

PageData page_data(const ViewModel& model, const std::string& summary_json,
                   const std::string& title, const PageLimits& limits = {});

}  // namespace spanprof::view
