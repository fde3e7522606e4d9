// Finding a binary's separate debug info on local disk only: libdwfl's standard lookup
// without its last step, the debuginfod download (libdwfl/find-debuginfo.c).
#pragma once

#include <elfutils/libdwfl.h>

namespace spanprof::binaries {

// A Dwfl_Callbacks::find_debuginfo: build id under the debug directories
// (dwfl_build_id_find_debuginfo), then the .gnu_debuglink name next to the file, in its
// .debug/ subdirectory and under /usr/lib/debug/<its directory>, for the path as given and
// for its real path. A debuglink candidate is taken when its build id is the module's (or,
// for a module without one, when its CRC32 is the debuglink's). dwz alternate files are
// found by build id only.
int find_local_debuginfo(Dwfl_Module* mod, void** userdata, const char* modname,
                         Dwarf_Addr base, const char* file_name, const char* debuglink_file,
                         GElf_Word debuglink_crc, char** debuginfo_file_name);

// A Dwfl_Callbacks::find_elf for modules reported with their file (dwfl_report_elf), which
// libdwfl never asks to find: it finds nothing, and never asks debuginfod.
int find_no_elf(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                char** file_name, Elf** elfp);

}  // namespace spanprof::binaries
