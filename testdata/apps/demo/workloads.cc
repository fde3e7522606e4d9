#include "workloads.h"

#include <array>
#include <cstring>
#include <string>

#include "span_writer.h"
#include "work_lib.h"

namespace demo {
namespace {

constexpr size_t kBlobBytes = 256 * 1024;
constexpr size_t kTextBytes = 1200 * 1024;
constexpr size_t kRecordCount = 250 * 1000;

uint64_t xorshift(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

void append_varint(std::vector<uint8_t>& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

}  // namespace

// LEB128: 7 bits per byte, high bit set on all but the last byte.
// Forced inline so profiles show it as an inlined frame inside parse_records,
// at parse_records' call line. Kept out of the anonymous namespace so debug
// info carries its linkage name, which demangles to demo::decode_varint.
__attribute__((always_inline)) inline uint64_t decode_varint(const uint8_t*& p,
                                                             const uint8_t* end) {
  uint64_t value = 0;
  unsigned shift = 0;
  while (p < end) {
    uint8_t byte = *p++;
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
    shift = (shift + 7) & 63;
  }
  return value;
}

std::string_view kind_name(RequestKind kind) {
  switch (kind) {
    case RequestKind::checksum:
      return "checksum";
    case RequestKind::parse:
      return "parse";
    case RequestKind::compress:
      return "compress";
  }
  return "unknown";
}

WorkBuffers make_buffers(uint64_t seed) {
  static constexpr std::array<std::string_view, 8> kWords = {
      "span ", "profile ", "perf ", "sample ", "thread ", "stack ", "frame ", "pprof "};
  uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
  WorkBuffers buffers;
  buffers.blob.resize(kBlobBytes);
  for (auto& byte : buffers.blob) byte = static_cast<uint8_t>(xorshift(state));
  while (buffers.text.size() < kTextBytes) {
    auto word = kWords[xorshift(state) % kWords.size()];
    auto number = std::to_string(xorshift(state) % 1000) + " ";
    buffers.text.insert(buffers.text.end(), word.begin(), word.end());
    buffers.text.insert(buffers.text.end(), number.begin(), number.end());
  }
  buffers.records.reserve(kRecordCount * 3);
  for (size_t i = 0; i < kRecordCount; ++i) {
    append_varint(buffers.records, xorshift(state) >> (xorshift(state) % 50));
  }
  buffers.scratch.resize(demo_work::compress_bound(buffers.text.size()));
  return buffers;
}

// gcc omits the frame of a leaf function that needs no stack, even with
// -mno-omit-leaf-frame-pointer ("several targets always omit the frame pointer
// in leaf functions", gcc manual); the caller then vanishes from perf's
// frame-pointer call chains. A volatile stack slot makes gcc keep the frame.
__attribute__((noinline)) uint64_t checksum_block(std::span<const uint8_t> block) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (int round = 0; round < 6; ++round) {
    for (uint8_t byte : block) {
      hash = (hash ^ byte) * 0x100000001b3ULL;
      hash ^= hash >> 29;
    }
  }
  volatile uint64_t on_stack = hash;  // keeps the frame pointer, see above
  return on_stack;
}

__attribute__((noinline)) uint64_t parse_records(std::span<const uint8_t> records) {
  const uint8_t* p = records.data();
  const uint8_t* end = p + records.size();
  uint64_t sum = 0;
  uint64_t largest = 0;
  while (p < end) {
    uint64_t value = decode_varint(p, end);
    sum += value;
    if (value > largest) largest = value;
  }
  volatile uint64_t on_stack = sum ^ largest;  // keeps the frame pointer
  return on_stack;
}

__attribute__((noinline)) uint64_t route_request(std::span<const uint8_t> header) {
  uint64_t hash = 0x84222325cbf29ce4ULL;
  for (int round = 0; round < 2; ++round) {
    for (uint8_t byte : header) hash = (hash ^ byte) * 0x100000001b3ULL;
  }
  volatile uint64_t on_stack = hash;  // keeps the frame pointer
  return on_stack;
}

uint64_t do_work(RequestKind kind, WorkBuffers& buffers, size_t slice, size_t slices) {
  auto part = [&](std::span<const uint8_t> all) {
    size_t size = all.size() / slices;
    return all.subspan(slice * size, slice + 1 == slices ? all.size() - slice * size : size);
  };
  switch (kind) {
    case RequestKind::checksum:
      return checksum_block(part(buffers.blob));
    case RequestKind::parse:
      return parse_records(part(buffers.records));
    case RequestKind::compress:
      return demo_work::compress_chunk(part(buffers.text), buffers.scratch);
  }
  return 0;
}

std::string_view route_name(RequestKind kind) {
  switch (kind) {
    case RequestKind::checksum:
      return "GET /checksum";
    case RequestKind::parse:
      return "GET /parse";
    case RequestKind::compress:
      return "GET /compress";
  }
  return "GET /";
}

uint64_t handle_request(RequestKind kind, WorkBuffers& buffers, SpanWriter* spans,
                        int span_split) {
  ScopedSpan request(spans, route_name(kind), nullptr);
  // A quarter of the blob as the "header": about a tenth of a request's CPU.
  uint64_t result = route_request(std::span(buffers.blob).first(buffers.blob.size() / 4));
  {
    ScopedSpan work(spans, kind_name(kind), &request.context());
    if (span_split <= 1) {
      result ^= do_work(kind, buffers, 0, 1);
    } else {
      size_t slices = static_cast<size_t>(span_split);
      for (size_t slice = 0; slice < slices; ++slice) {
        ScopedSpan chunk(spans, "chunk", &work.context());
        result ^= do_work(kind, buffers, slice, slices);
      }
    }
  }
  return result;
}

__attribute__((noinline)) uint64_t scan_for_missing_byte(std::span<const uint8_t> buffer) {
  // The buffer may have changed as far as the compiler knows: memchr is pure, and its
  // call would otherwise be hoisted out of the caller's loop.
  asm volatile("" : : "r"(buffer.data()) : "memory");
  const void* found = std::memchr(buffer.data(), 0xff, buffer.size());
  return found == nullptr ? buffer.size() : 1;
}

}  // namespace demo
