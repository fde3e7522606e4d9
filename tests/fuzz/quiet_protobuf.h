// protobuf logs an ERROR line for every string field with invalid UTF-8 it
// parses; a fuzzer makes thousands a second, which slows it and buries findings.
#pragma once

#include <google/protobuf/stubs/logging.h>

namespace spanprof::fuzz {

inline const bool kProtobufLogsSilenced = [] {
  google::protobuf::SetLogHandler(nullptr);  // nullptr: protobuf's null handler
  return true;
}();

}  // namespace spanprof::fuzz
