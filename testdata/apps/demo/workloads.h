// The demo's units of work ("requests"): each takes a few milliseconds of CPU
// in one clearly named hot function, so profiles and spans line up with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace demo {

class SpanWriter;

enum class RequestKind { checksum, parse, compress };

std::string_view kind_name(RequestKind kind);

// Per-thread input data, built once so requests only spend CPU on their work.
struct WorkBuffers {
  std::vector<uint8_t> blob;     // pseudo-random bytes for checksums
  std::vector<uint8_t> text;     // repetitive words, compressible
  std::vector<uint8_t> records;  // varint-encoded integers
  std::vector<uint8_t> scratch;  // compressor output
};

WorkBuffers make_buffers(uint64_t seed);

// A rolling hash over the block, several rounds per byte.
uint64_t checksum_block(std::span<const uint8_t> block);

// Decodes LEB128 varints and folds them into a summary value.
uint64_t parse_records(std::span<const uint8_t> records);

// Request routing: a short hash over the request's header bytes, the CPU its
// root span spends outside the child span.
uint64_t route_request(std::span<const uint8_t> header);

// The name of a request's root span: "GET /<kind>".
std::string_view route_name(RequestKind kind);

// Slice `slice` of `slices` equal parts of a request's work, in the kind's hot function
// (the unit of work of an event-loop step).
uint64_t do_work(RequestKind kind, WorkBuffers& buffers, size_t slice, size_t slices);

// One request: returns a value derived from the work so it cannot be elided.
// With spans, a root span "GET /<kind>" (route_request) encloses a child span
// named after the kind (the kind's hot function).
// span_split > 1 cuts the kind's work into that many slices, each in a span
// "chunk" of its own under the kind's span (many short spans, for benchmarks).
uint64_t handle_request(RequestKind kind, WorkBuffers& buffers, SpanWriter* spans,
                        int span_split = 1);

// --libc-leaf: looks for a byte the buffer does not hold with libc's memchr, a leaf
// function without a frame pointer, so nearly all the time is spent inside libc and
// frame-pointer call chains lose this caller (the dwarf unwinding test's workload).
uint64_t scan_for_missing_byte(std::span<const uint8_t> buffer);

}  // namespace demo
