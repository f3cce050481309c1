// SPDX-License-Identifier: Apache-2.0
//
// make_tar: builds a small tar in memory with libarchive, for `put_archive` (the Engine's only
// way to place a file in a container without a shell or exec standard input).
#include <supactl/docker/tar.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
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

void write_tar_file(const std::filesystem::path& out, const std::vector<TarFileRef>& files) {
  // The descriptor outlives the archive (declared first): freeing the archive flushes into it.
  core::UniqueFd fd = core::open_fd(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) throw Error(fmt::format("cannot write {}", out.string()));
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_fd(a.get(), fd.get()) != ARCHIVE_OK) {
    throw Error(fmt::format("writing {}: {}", out.string(), archive_error_string(a.get())));
  }
  const time_t now = std::time(nullptr);
  std::string buf(1 << 20, '\0');
  for (const TarFileRef& f : files) {
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    const bool dir = !f.path.empty() && f.path.back() == '/';
    std::unique_ptr<FILE, int (*)(FILE*)> in(nullptr, std::fclose);
    la_int64_t size = 0;
    if (!dir) {
      in.reset(std::fopen(f.source.c_str(), "rb"));
      struct stat sb {};
      if (!in || ::fstat(::fileno(in.get()), &sb) != 0) {
        throw Error(fmt::format("cannot read {}", f.source.string()));
      }
      size = static_cast<la_int64_t>(sb.st_size);
    }
    archive_entry_set_pathname(e.get(), f.path.c_str());
    archive_entry_set_filetype(e.get(), dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), static_cast<mode_t>(f.mode));
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), now, 0);
    bool ok = archive_write_header(a.get(), e.get()) == ARCHIVE_OK;
    while (ok && !dir) {
      const size_t n = std::fread(buf.data(), 1, buf.size(), in.get());
      if (n == 0) break;
      ok = archive_write_data(a.get(), buf.data(), n) >= 0;
    }
    if (!ok) {
      throw Error(fmt::format("writing {} ({}): {}", out.string(), f.path, archive_error_string(a.get())));
    }
  }
  const bool closed = archive_write_close(a.get()) == ARCHIVE_OK && fd.close() == 0;
  if (!closed) throw Error(fmt::format("writing {}: {}", out.string(), archive_error_string(a.get())));
}

std::vector<TarFile> files_in_tar(const std::string& archive) {
  constexpr std::size_t k_block = 512;
  std::vector<TarFile> files;
  std::size_t at = 0;
  while (at + k_block <= archive.size()) {
    const char* h = archive.data() + at;
    if (h[0] == '\0') break;  // the end blocks
    std::size_t size = 0;
    for (int i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; ++i)
      size = size * 8 + static_cast<std::size_t>(h[i] - '0');
    const char type = h[156];
    const std::size_t data = at + k_block;
    if (data + size > archive.size()) throw Error("the tar from the Engine is cut short");
    if (type == '0' || type == '\0') {
      const std::string name(h, strnlen(h, 100));
      const std::string prefix(h + 345, strnlen(h + 345, 155));
      files.push_back({.path = prefix.empty() ? name : prefix + "/" + name, .content = archive.substr(data, size)});
    }
    at = data + (size + k_block - 1) / k_block * k_block;  // pax headers, folders: skip
  }
  return files;
}

std::string first_file_in_tar(const std::string& archive) {
  std::vector<TarFile> files = files_in_tar(archive);
  if (files.empty()) throw Error("the tar from the Engine holds no file");
  return std::move(files.front().content);
}

}  // namespace supactl::docker
