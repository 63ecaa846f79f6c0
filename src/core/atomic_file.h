// Writing a whole file so that a crash leaves either the old file or the new one, never part of one:
// a hidden temporary file in the same folder (same filesystem), fsync, rename over the target.
#pragma once

#include <string>
#include <string_view>

namespace s2r {

// Writes `bytes` to `path` atomically. The new file keeps the permission bits of an existing `path`, else
// 0644. The folder must exist. Throws IoError "<what>: <step>: <reason>", `what` defaulting to
// "cannot write '<path>'".
void WriteFileAtomic(const std::string& path, std::string_view bytes, const std::string& what = "");

}  // namespace s2r
