// SPDX-License-Identifier: Apache-2.0
#pragma once

// Small in-memory tar streams for the Engine's archive endpoints (`put_archive` takes a tar,
// `get_archive` returns one). Files only; for whole trees use libarchive directly.

#include <string>
#include <vector>

namespace supactl::docker {

/// One regular file of a tar built by make_tar.
struct TarFile {
  std::string path;     ///< relative path inside the tar, e.g. "supactl-x/roles.sql"
  std::string content;
  int mode = 0644;
};

/// A ustar/pax tar holding `files` (parent folders are created 0700 by the Engine as needed;
/// pass a folder entry explicitly by ending `path` with '/'). Throws supactl::Error.
std::string make_tar(const std::vector<TarFile>& files);

}  // namespace supactl::docker
