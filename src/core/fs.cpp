// SPDX-License-Identifier: Apache-2.0
//
// File helpers. Secrets and instance specs are written through write_file_atomic so that a
// crash, a full disk or a concurrent reader never sees a truncated file.
#include <supactl/core/fs.hpp>

#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace supactl::core {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)),
                ExitCode::failure);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw Error(fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()));
    }
  }
  std::string tmpl = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  auto fail = [&](const char* what) {
    int e = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw Error(fmt::format("cannot write {} ({}): {}", path.string(), what, std::strerror(e)));
  };
  if (::fchmod(fd, mode) != 0) fail("chmod");
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmpl.c_str());
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(e)));
  }
}

std::string env_or(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::string(fallback);
  return v;
}

}  // namespace supactl::core
