// SPDX-License-Identifier: Apache-2.0
//
// The backup archive format (see include/supactl/backup/archive.hpp): staging members as
// private files while hashing them, writing manifest.json + members as tar.gz with libarchive,
// and the verifying reader that extracts only what the manifest vouches for.
#include <supactl/backup/archive.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/core/fs.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

namespace supactl::backup {
namespace fs = std::filesystem;

// --- TempDir ----------------------------------------------------------------------------------

TempDir::TempDir(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (const size_t n = remove_stale(parent, prefix); n > 0) {
    spdlog::info("removed {} private folder(s) {}* left in {} by a supactl that was killed", n, prefix,
                 parent.string());
  }
  std::string tmpl = (parent / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw Error(fmt::format("cannot create a private folder in {}: {}", parent.string(), std::strerror(errno)),
                ExitCode::failure, "check that the folder exists and is writable");
  }
  m_path = tmpl;
  m_lock = core::FileLock::try_directory(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

size_t TempDir::remove_stale(const fs::path& parent, const std::string& prefix) {
  size_t removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    // mkdtemp's six characters after the prefix, and a folder: nothing else is ours.
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::error_code type_ec;
    if (!e.is_directory(type_ec) || e.is_symlink(type_ec)) continue;
    if (const std::optional<core::FileLock> unheld = core::FileLock::try_directory(e.path())) {
      std::error_code rm_ec;
      if (fs::remove_all(e.path(), rm_ec) > 0 && !rm_ec) ++removed;
    }
  }
  return removed;
}

// --- writing ----------------------------------------------------------------------------------

namespace {

/// A file opened for writing with O_EXCL and `mode`.
class OutFile {
 public:
  OutFile(const fs::path& path, mode_t mode)
      : m_path(path), m_fd(core::open_fd(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode)) {
    if (!m_fd) throw Error(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  void write(std::string_view data) {
    if (!core::write_all(m_fd.get(), data))
      throw Error(fmt::format("writing {}: {}", m_path.string(), std::strerror(errno)));
  }
  int fd() const { return m_fd.get(); }
  void close() {
    if (::fsync(m_fd.get()) != 0 || m_fd.close() != 0) {
      throw Error(fmt::format("writing {}: {}", m_path.string(), std::strerror(errno)));
    }
  }

 private:
  fs::path m_path;
  core::UniqueFd m_fd;
};

/// Rejects absolute paths, "..", empty segments and backslashes.
bool safe_member_path(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.find('\\') != std::string::npos || p.find("//") != std::string::npos)
    return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    std::string seg = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

void make_parents(const fs::path& file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
}

/// CRC-32 (IEEE, as gzip's trailer holds it), updated with `data`.
uint32_t crc32_update(uint32_t crc, const unsigned char* data, size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

/// Checks the whole gzip stream of `path` (a single member, as ArchiveBuilder writes it):
/// it inflates to the end and its trailer's CRC-32 and length match. The tar reader alone
/// stops at the end-of-archive blocks and never reads the trailer. Returns the error, or "".
std::string gzip_stream_error(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in.tellg();
  if (size < 18) return "too short for a gzip stream";
  unsigned char trailer[8];
  in.seekg(size - 8);
  in.read(reinterpret_cast<char*>(trailer), 8);
  if (!in) return "cannot read the gzip trailer";
  const uint32_t want_crc = static_cast<uint32_t>(trailer[0]) | static_cast<uint32_t>(trailer[1]) << 8 |
                            static_cast<uint32_t>(trailer[2]) << 16 | static_cast<uint32_t>(trailer[3]) << 24;
  const uint32_t want_len = static_cast<uint32_t>(trailer[4]) | static_cast<uint32_t>(trailer[5]) << 8 |
                            static_cast<uint32_t>(trailer[6]) << 16 | static_cast<uint32_t>(trailer[7]) << 24;

  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_raw(a.get());
  struct archive_entry* entry = nullptr;
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) {
    return archive_error_string(a.get()) != nullptr ? archive_error_string(a.get()) : "unreadable";
  }
  if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_GZIP) return "not a gzip stream";
  uint32_t crc = 0;
  uint64_t total = 0;
  std::string buf(1 << 16, '\0');
  la_ssize_t n;
  while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) {
    crc = crc32_update(crc, reinterpret_cast<const unsigned char*>(buf.data()), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  if (n < 0) return archive_error_string(a.get()) != nullptr ? archive_error_string(a.get()) : "read error";
  if (crc != want_crc || static_cast<uint32_t>(total) != want_len)
    return "the gzip checksum does not match its content";
  return {};
}

/// libarchive's write callback into an Encryptor. A C callback must not throw: the error is
/// kept and libarchive is told the write failed.
struct EncryptingSink {
  Encryptor* encryptor;
  std::string error;

  static la_ssize_t write(struct archive* /*a*/, void* self, const void* buffer, size_t length) {
    auto* sink = static_cast<EncryptingSink*>(self);
    try {
      sink->encryptor->write(std::string_view(static_cast<const char*>(buffer), length));
      return static_cast<la_ssize_t>(length);
    } catch (const std::exception& e) {
      sink->error = e.what();
      return -1;
    }
  }
};

}  // namespace

fs::path ArchiveBuilder::staged(const std::string& path) const { return m_staging / "m" / path; }

void ArchiveBuilder::add_stream(const std::string& path,
                                const std::function<void(const std::function<void(std::string_view)>&)>& produce) {
  if (!safe_member_path(path)) throw Error(fmt::format("bad backup member path {}", path));
  const fs::path target = staged(path);
  make_parents(target);
  OutFile f(target, 0600);
  Sha256 sha;
  int64_t size = 0;
  produce([&](std::string_view chunk) {
    sha.update(chunk);
    f.write(chunk);
    size += static_cast<int64_t>(chunk.size());
  });
  f.close();
  m_members.push_back({.path = path, .size = size, .sha256 = sha.hex()});
}

void ArchiveBuilder::add_bytes(const std::string& path, std::string_view content) {
  add_stream(path, [&](const std::function<void(std::string_view)>& out) { out(content); });
}

void ArchiveBuilder::add_file(const std::string& path, const fs::path& source) {
  add_stream(path, [&](const std::function<void(std::string_view)>& out) {
    const core::UniqueFd fd = core::open_fd(source.c_str(), O_RDONLY);
    if (!fd) throw Error(fmt::format("cannot read {}: {}", source.string(), std::strerror(errno)));
    std::string buf(1 << 16, '\0');
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
  });
}

void ArchiveBuilder::write(const fs::path& out, nlohmann::json manifest, mode_t mode, const BackupKey* key) const {
  nlohmann::json members = nlohmann::json::array();
  for (const Member& m : m_members) members.push_back({{"path", m.path}, {"size", m.size}, {"sha256", m.sha256}});
  manifest["members"] = members;
  const std::string manifest_text = manifest.dump(2) + "\n";

  make_parents(out);
  // Written under a temporary name, renamed when complete. Inside the staging folder when it
  // is beside `out` (same file system), so a killed backup leaves no partial archive behind
  // that the next one's clean-up of dead staging folders would not remove.
  std::error_code ec;
  const bool beside = fs::equivalent(m_staging.parent_path(), out.parent_path().empty() ? "." : out.parent_path(), ec);
  const fs::path partial =
      beside ? m_staging / ".archive.partial" : out.parent_path() / ("." + out.filename().string() + ".partial");
  fs::remove(partial, ec);
  OutFile file(partial, mode);
  // Until the rename, a failure removes the partial file.
  core::ScopeExit remove_partial([&partial] {
    std::error_code e;
    fs::remove(partial, e);
  });

  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_add_filter_gzip(a.get());
  // Encrypted: libarchive hands its output to the Encryptor, which writes sealed chunks.
  std::optional<Encryptor> encryptor;
  if (key != nullptr) encryptor.emplace(*key, [&file](std::string_view sealed) { file.write(sealed); });
  EncryptingSink sink{encryptor ? &*encryptor : nullptr, {}};
  // No zero padding after the gzip stream (which open_fd leaves out for a regular file too):
  // the reader checks the gzip trailer at the very end.
  if (encryptor) archive_write_set_bytes_in_last_block(a.get(), 1);
  const int opened = encryptor ? archive_write_open(a.get(), &sink, nullptr, &EncryptingSink::write, nullptr)
                               : archive_write_open_fd(a.get(), file.fd());
  if (opened != ARCHIVE_OK) throw Error(fmt::format("writing {}: {}", out.string(), archive_error_string(a.get())));
  const time_t now = std::time(nullptr);
  auto header = [&](const std::string& path, int64_t size) {
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), now, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) {
      throw Error(fmt::format("writing {} ({}): {}", out.string(), path, archive_error_string(a.get())));
    }
  };
  auto data = [&](const void* p, size_t n) {
    if (archive_write_data(a.get(), p, n) < 0) {
      throw Error(fmt::format("writing {}: {}", out.string(), archive_error_string(a.get())));
    }
  };
  header("manifest.json", static_cast<int64_t>(manifest_text.size()));
  data(manifest_text.data(), manifest_text.size());
  std::string buf(1 << 16, '\0');
  for (const Member& m : m_members) {
    header(m.path, m.size);
    const core::UniqueFd fd = core::open_fd(staged(m.path).c_str(), O_RDONLY);
    if (!fd) throw Error(fmt::format("cannot read staged {}: {}", m.path, std::strerror(errno)));
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      data(buf.data(), static_cast<size_t>(n));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    if (!sink.error.empty()) throw Error(fmt::format("writing {}: {}", out.string(), sink.error));
    throw Error(fmt::format("writing {}: {}", out.string(), archive_error_string(a.get())));
  }
  if (encryptor) encryptor->finish();
  file.close();
  fs::rename(partial, out, ec);
  if (ec) throw Error(fmt::format("cannot rename {} to {}: {}", partial.string(), out.string(), ec.message()));
  remove_partial.dismiss();
}

// --- reading ----------------------------------------------------------------------------------

nlohmann::json verify_archive(const fs::path& archive_path, const fs::path& dir) {
  auto corrupt = [&](const std::string& why) {
    return Error(fmt::format("backup {} is corrupt or incomplete: {}; nothing was changed", archive_path.string(), why),
                 ExitCode::usage, "use another backup (`supactl backup ls NAME` lists them)");
  };
  std::error_code ec;
  if (!fs::is_regular_file(archive_path, ec)) {
    throw Error(fmt::format("no backup file {}", archive_path.string()), ExitCode::not_found,
                "`supactl backup ls NAME` lists an instance's backups");
  }
  // 1. The compressed stream as a whole (its trailer too), then 2. every member.
  if (std::string why = gzip_stream_error(archive_path); !why.empty()) throw corrupt(why);
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw corrupt(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unreadable");
  }
  auto error_text = [&]() {
    return std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "read error");
  };

  struct archive_entry* entry = nullptr;
  int rc = archive_read_next_header(a.get(), &entry);
  if (rc != ARCHIVE_OK) throw corrupt(rc == ARCHIVE_EOF ? "empty archive" : error_text());
  if (std::string(archive_entry_pathname(entry)) != "manifest.json")
    throw corrupt("manifest.json is not its first member");
  std::string manifest_text;
  {
    char buf[1 << 14];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
      manifest_text.append(buf, static_cast<size_t>(n));
      if (manifest_text.size() > (64u << 20)) throw corrupt("manifest.json is too large");
    }
    if (n < 0) throw corrupt(error_text());
  }
  nlohmann::json manifest;
  std::map<std::string, Member> expected;
  try {
    manifest = nlohmann::json::parse(manifest_text);
    if (manifest.value("format", "") != k_format)
      throw corrupt("not a supactl backup (format " + manifest.value("format", "?") + ")");
    for (const nlohmann::json& m : manifest.at("members")) {
      Member mem{.path = m.at("path").get<std::string>(),
                 .size = m.at("size").get<int64_t>(),
                 .sha256 = m.at("sha256").get<std::string>()};
      if (!safe_member_path(mem.path) || mem.path == "manifest.json") throw corrupt("unsafe member path " + mem.path);
      expected[mem.path] = mem;
    }
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(fmt::format("manifest.json does not parse ({})", e.what()));
  }

  std::set<std::string> seen;
  std::string buf(1 << 16, '\0');
  for (;;) {
    rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) throw corrupt(error_text());
    const std::string path = archive_entry_pathname(entry);
    auto it = expected.find(path);
    if (it == expected.end() || seen.count(path) != 0) throw corrupt("member " + path + " is not in the manifest");
    if (archive_entry_filetype(entry) != AE_IFREG) throw corrupt("member " + path + " is not a regular file");
    seen.insert(path);
    const fs::path target = dir / "m" / path;
    make_parents(target);
    OutFile f(target, 0600);
    Sha256 sha;
    int64_t size = 0;
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) {
      std::string_view chunk(buf.data(), static_cast<size_t>(n));
      sha.update(chunk);
      f.write(chunk);
      size += n;
    }
    if (n < 0) throw corrupt(path + ": " + error_text());
    f.close();
    if (size != it->second.size)
      throw corrupt(fmt::format("{} has {} bytes, the manifest says {}", path, size, it->second.size));
    if (sha.hex() != it->second.sha256)
      throw corrupt(fmt::format("{} does not match its sha256 in the manifest", path));
  }
  for (const auto& [path, m] : expected) {
    if (seen.count(path) == 0) throw corrupt("member " + path + " is missing");
  }
  return manifest;
}

int64_t count_tar_files(const fs::path& tar) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw Error(fmt::format("cannot read {}: {}", tar.string(), archive_error_string(a.get())));
  }
  int64_t n = 0;
  struct archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) == AE_IFREG) ++n;
    archive_read_data_skip(a.get());
  }
  if (rc != ARCHIVE_EOF) throw Error(fmt::format("cannot read {}: {}", tar.string(), archive_error_string(a.get())));
  return n;
}

std::string utc_stamp(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string utc_rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

bool has_archive_suffix(std::string_view file) {
  auto ends_with = [file](std::string_view tail) {
    return file.size() >= tail.size() && file.substr(file.size() - tail.size()) == tail;
  };
  return ends_with(".tar.gz") || ends_with(".tar.gz.enc");
}

std::vector<BackupFile> list_backups(const fs::path& dir, const std::string& name) {
  std::vector<BackupFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  const std::string prefix = name + "-";
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (!e.is_regular_file() || f.rfind(prefix, 0) != 0 || !has_archive_suffix(f)) continue;
    out.push_back({.path = e.path(), .size = static_cast<int64_t>(e.file_size(ec))});
  }
  std::sort(out.begin(), out.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.path.filename() < b.path.filename(); });
  return out;
}

namespace {
constexpr const char* k_outcome_file = ".last-backup.json";
}  // namespace

void record_outcome(const fs::path& dir, const BackupOutcome& outcome) {
  try {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      fs::create_directories(dir);
      fs::permissions(dir, fs::perms::owner_all);
    }
    const nlohmann::json j = {{"time", outcome.time}, {"ok", outcome.ok}, {"size", outcome.size}};
    core::write_file_atomic(dir / k_outcome_file, j.dump() + "\n", 0600);
  } catch (const std::exception& e) {
    spdlog::warn("could not record the backup's outcome in {}: {}", dir.string(), e.what());
  }
}

std::optional<BackupOutcome> last_outcome(const fs::path& dir) {
  try {
    const nlohmann::json j = nlohmann::json::parse(core::read_file(dir / k_outcome_file));
    return BackupOutcome{
        .time = j.at("time").get<int64_t>(), .ok = j.at("ok").get<bool>(), .size = j.at("size").get<int64_t>()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace supactl::backup
