// TRACING_DATA: the tracepoint event formats perf stores with a capture (the file
// header's feature 1, or the payload after pipe mode's HEADER_TRACING_DATA record).
//
// Takes the tracing data bytes; gives one TracepointFormat per event, with the
// offsets and sizes of its record's fields, so Sample::raw can be decoded without
// knowing the kernel's layout. Layout (tools/perf/util/trace-event-read.c):
// magic "\x17\x08\x44tracing", a NUL-terminated version ("0.6"), u8 endian
// (0 = little), u8 sizeof(long), u32 page size, "header_page\0" u64 size + text,
// "header_event\0" u64 size + text, u32 count of ftrace formats (u64 size + text
// each), u32 count of systems (each: NUL-terminated name, u32 count of events,
// u64 size + format text each), then kallsyms, printk formats and saved cmdlines,
// which spanprof does not read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "perfdata/capture_info.h"

namespace spanprof::perfdata {

// Every event format in `data`; `file_offset` is where `data` starts, for errors.
// Any damage (bad magic, a size or count past the end, a format that does not
// parse) fails the whole: half a set of formats would decode some events and
// silently not others.
Result<std::vector<TracepointFormat>> parse_tracing_data(std::span<const std::byte> data,
                                                         uint64_t file_offset);

// One event's format text (tracefs events/SYSTEM/NAME/format): "name: NAME",
// "ID: N" and "\tfield:DECL;\toffset:N;\tsize:N;\tsigned:N;" lines.
Result<TracepointFormat> parse_event_format(std::string_view text, std::string system);

// Names a tracepoint attr (PERF_TYPE_TRACEPOINT, config = format ID) that the
// capture left unnamed "system:name", as perf does; a named attr is kept.
void name_tracepoint_attr(EventAttr& attr, const std::vector<TracepointFormat>& formats);
void name_tracepoint_attrs(CaptureInfo& info);

}  // namespace spanprof::perfdata
