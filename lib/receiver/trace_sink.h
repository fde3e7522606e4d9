// Durable appends of accepted OTLP requests to the capture directory.
//
// Takes: request bodies the receiver is about to acknowledge. Gives:
// DIR/spans-receiver.pb (each body as a TracesData message behind a 4-byte
// big-endian length, the Collector fileexporter's proto format) and
// DIR/spans-receiver.jsonl (one JSON body per line). Every append is on disk
// (fdatasync) when it returns, so an acknowledged request survives a crash.
#pragma once

#include "capture/layout.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof::receiver {

inline constexpr std::string_view kProtobufFileName = capture::kReceiverProtobufFile;
inline constexpr std::string_view kJsonFileName = capture::kReceiverJsonFile;

// The span reader tells the proto format from JSON by a first byte under 0x10,
// which the big-endian length only has below 256 MiB.
inline constexpr uint64_t kMaxProtobufRecordBytes = (uint64_t{1} << 28) - 1;

class TraceSink {
 public:
  // Checks that `dir` is a writable directory. Files are created on first use,
  // so a run without spans leaves no empty span files behind.
  static Result<std::unique_ptr<TraceSink>> open(const std::string& dir);

  ~TraceSink();
  TraceSink(const TraceSink&) = delete;
  TraceSink& operator=(const TraceSink&) = delete;

  // Both return the bytes added to the file. On failure the file is cut back
  // to its previous size, so a failed append leaves no partial record.
  // ExportTraceServiceRequest and TracesData share field 1: the body is written as is.
  Result<uint64_t> append_protobuf(std::string_view traces_data);
  // `line` must hold no newline (see json_line()).
  Result<uint64_t> append_json_line(std::string_view line);

  // Closes the files; later appends fail.
  void close();

 private:
  struct File {
    std::string path;
    int fd = -1;
    uint64_t size = 0;    // bytes of complete records
    bool broken = false;  // ends in a partial record: never append again
  };

  explicit TraceSink(std::string dir);
  Result<void> ensure_open(File& file);
  Result<uint64_t> append(File& file, std::string_view prefix, std::string_view bytes,
                          std::string_view suffix);

  std::string dir_;
  std::mutex mutex_;  // serializes appends: records from concurrent requests never interleave
  bool closed_ = false;
  File protobuf_;
  File json_;
};

}  // namespace spanprof::receiver
