// SPDX-License-Identifier: Apache-2.0
//
// make_tar: builds a small tar in memory with libarchive, for `put_archive` (the Engine's only
// way to place a file in a container without a shell or exec standard input).
#include <supactl/docker/tar.hpp>

#include <supactl/core/error.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <ctime>
#include <memory>

namespace supactl::docker {

std::string make_tar(const std::vector<TarFile>& files) {
  std::string out;
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto writer = [](struct archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  if (archive_write_open(a.get(), &out, nullptr, writer, nullptr) != ARCHIVE_OK) {
    throw Error(fmt::format("building a tar stream: {}", archive_error_string(a.get())));
  }
  const time_t now = std::time(nullptr);
  for (const TarFile& f : files) {
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    const bool dir = !f.path.empty() && f.path.back() == '/';
    archive_entry_set_pathname(e.get(), f.path.c_str());
    archive_entry_set_filetype(e.get(), dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), static_cast<mode_t>(f.mode));
    archive_entry_set_size(e.get(), dir ? 0 : static_cast<la_int64_t>(f.content.size()));
    archive_entry_set_mtime(e.get(), now, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        (!dir && archive_write_data(a.get(), f.content.data(), f.content.size()) < 0)) {
      throw Error(fmt::format("building a tar stream ({}): {}", f.path, archive_error_string(a.get())));
    }
  }
  archive_write_close(a.get());
  return out;
}

}  // namespace supactl::docker
