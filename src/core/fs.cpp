// SPDX-License-Identifier: Apache-2.0
//
// File helpers. Secrets and instance specs are written through write_file_atomic so that a
// crash, a full disk or a concurrent reader never sees a truncated file.
#include <supactl/core/fs.hpp>

#include <supactl/core/fd.hpp>

#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace supactl::core {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)), ExitCode::failure);
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
  UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  // Until the rename, a failure removes the temporary file.
  ScopeExit remove_temp([&tmpl] { ::unlink(tmpl.c_str()); });
  auto fail = [&](const char* what) {
    throw Error(fmt::format("cannot write {} ({}): {}", path.string(), what, std::strerror(errno)));
  };
  if (::fchmod(fd.get(), mode) != 0) fail("chmod");
  if (!write_all(fd.get(), content)) fail("write");
  if (::fsync(fd.get()) != 0) fail("fsync");
  if (fd.close() != 0) fail("close");
  if (::rename(tmpl.c_str(), path.c_str()) != 0) fail("rename");
  remove_temp.dismiss();
}

std::string env_or(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::string(fallback);
  return v;
}

}  // namespace supactl::core
