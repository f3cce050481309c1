// SPDX-License-Identifier: Apache-2.0
#pragma once

// Small in-memory tar streams for the Engine's archive endpoints (`put_archive` takes a tar,
// `get_archive` returns one). Files only; for whole trees use libarchive directly.

#include <filesystem>
#include <string>
#include <vector>

namespace supactl::docker {

/// One regular file of a tar built by make_tar.
struct TarFile {
  std::string path;  ///< relative path inside the tar, e.g. "supactl-x/roles.sql"
  std::string content;
  int mode = 0644;
};

/// A ustar/pax tar holding `files` (parent folders are created 0700 by the Engine as needed;
/// pass a folder entry explicitly by ending `path` with '/'). Throws supactl::Error.
std::string make_tar(const std::vector<TarFile>& files);

/// One host file to put in a tar written by write_tar_file, read in chunks (never whole).
struct TarFileRef {
  std::string path;              ///< relative path inside the tar; ending in '/' = a folder
  std::filesystem::path source;  ///< host file (unused for folders)
  int mode = 0600;
};

/// Writes a tar of `files` to `out` (created 0600), streaming each source file, so archives
/// far larger than memory can be built. Throws supactl::Error.
void write_tar_file(const std::filesystem::path& out, const std::vector<TarFileRef>& files);

/// The content of the first regular file in the tar `archive` (as get_archive returns for a
/// file path). Throws supactl::Error when there is none or the tar is cut short.
std::string first_file_in_tar(const std::string& archive);

/// Every regular file in the tar `archive`, with its path (ustar name and prefix) and content.
/// Throws supactl::Error when the tar is cut short.
std::vector<TarFile> files_in_tar(const std::string& archive);

}  // namespace supactl::docker
