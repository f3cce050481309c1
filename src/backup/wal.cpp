// SPDX-License-Identifier: Apache-2.0
//
// Point-in-time recovery without the Engine: WAL file names, the base backup's check against
// its own backup_manifest, recovery targets. See backup/wal.hpp.
#include <supactl/backup/wal.hpp>

#include <supactl/backup/archive.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/sha256.hpp>
#include <supactl/stack/failover.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <regex>

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

bool all_hex(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

std::uint64_t hex_value(std::string_view s) {
  std::uint64_t v = 0;
  for (const char c : s) v = v * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'A' + 10);
  return v;
}

Error bad_base(const std::string& what) {
  return Error(fmt::format("the base backup does not check out: {}", what), ExitCode::usage,
               "take a new one with `supactl backup NAME --base`");
}

std::uint64_t lsn_of(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_string()) throw bad_base(fmt::format("backup_manifest has no {}", key));
  const std::optional<std::uint64_t> v = stack::parse_lsn(j.at(key).get<std::string>());
  if (!v) throw bad_base(fmt::format("backup_manifest's {} is not an LSN", key));
  return *v;
}

/// Hex ("2f6261") → bytes: a manifest's Encoded-Path, used for names that are not UTF-8.
std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string strip_dot_slash(std::string path) {
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  return path;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<WalName> parse_wal_name(std::string_view name) {
  WalName w;
  if (name.size() == 16 && name.substr(8) == ".history" && all_hex(name.substr(0, 8))) {
    w.kind = WalName::Kind::history;
    w.timeline = static_cast<std::uint32_t>(hex_value(name.substr(0, 8)));
    return w;
  }
  if (name.size() < 24 || !all_hex(name.substr(0, 24))) return std::nullopt;
  const std::string_view rest = name.substr(24);
  if (rest.empty()) {
    w.kind = WalName::Kind::segment;
  } else if (rest == ".partial") {
    w.kind = WalName::Kind::partial;
  } else if (rest.size() == 16 && rest.substr(0, 1) == "." && all_hex(rest.substr(1, 8)) &&
             rest.substr(9) == ".backup") {
    w.kind = WalName::Kind::backup_label;
  } else {
    return std::nullopt;
  }
  w.timeline = static_cast<std::uint32_t>(hex_value(name.substr(0, 8)));
  // 16 MiB segments: the low part counts 0..FF, so segno = log * 256 + seg.
  w.segno =
      hex_value(name.substr(8, 8)) * (std::uint64_t{1} << 32) / k_wal_segment_bytes + hex_value(name.substr(16, 8));
  return w;
}

std::string wal_segment_name(std::uint32_t timeline, std::uint64_t segno) {
  const std::uint64_t per_log = (std::uint64_t{1} << 32) / k_wal_segment_bytes;
  return fmt::format("{:08X}{:08X}{:08X}", timeline, segno / per_log, segno % per_log);
}

bool wal_needed_from(std::string_view name, std::uint64_t start_lsn) {
  const std::optional<WalName> w = parse_wal_name(name);
  if (!w) return false;
  if (w->kind == WalName::Kind::history) return true;
  return w->segno >= segno_of(start_lsn);
}

std::vector<std::string> wal_to_prune(const std::vector<std::string>& archived,
                                      const std::vector<std::uint64_t>& kept_base_starts) {
  std::vector<std::string> out;
  if (kept_base_starts.empty()) return out;
  const std::uint64_t oldest = *std::min_element(kept_base_starts.begin(), kept_base_starts.end());
  for (const std::string& name : archived) {
    if (parse_wal_name(name) && !wal_needed_from(name, oldest)) out.push_back(name);
  }
  return out;
}

nlohmann::json BaseInfo::to_json() const {
  return {{"format", format},
          {"instance", instance},
          {"file", file},
          {"started_at", started_at},
          {"finished_at", finished_at},
          {"finished", static_cast<int64_t>(finished)},
          {"timeline", timeline},
          {"start_lsn", stack::format_lsn(start_lsn)},
          {"end_lsn", stack::format_lsn(end_lsn)},
          {"size", size},
          {"sha256", sha256},
          {"files", files},
          {"postgres_image", postgres_image}};
}

BaseInfo BaseInfo::from_json(const nlohmann::json& j) {
  auto fail = [](const std::string& key) {
    return Error(fmt::format("base backup record: {} is missing or mistyped", key), ExitCode::usage,
                 "the .base.json beside the .base.tar was changed or cut short; take a new base backup");
  };
  auto str = [&](const char* key) {
    if (!j.is_object() || !j.contains(key) || !j.at(key).is_string()) throw fail(key);
    return j.at(key).get<std::string>();
  };
  auto num = [&](const char* key) {
    if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_integer()) throw fail(key);
    return j.at(key).get<int64_t>();
  };
  BaseInfo b;
  b.format = str("format");
  if (b.format != k_base_format) throw fail("format");
  b.instance = str("instance");
  b.file = str("file");
  b.started_at = str("started_at");
  b.finished_at = str("finished_at");
  b.finished = static_cast<std::time_t>(num("finished"));
  b.timeline = static_cast<std::uint32_t>(num("timeline"));
  const std::optional<std::uint64_t> start = stack::parse_lsn(str("start_lsn"));
  const std::optional<std::uint64_t> end = stack::parse_lsn(str("end_lsn"));
  if (!start) throw fail("start_lsn");
  if (!end) throw fail("end_lsn");
  b.start_lsn = *start;
  b.end_lsn = *end;
  b.size = num("size");
  b.sha256 = str("sha256");
  b.files = num("files");
  if (j.contains("postgres_image") && j.at("postgres_image").is_string()) b.postgres_image = str("postgres_image");
  return b;
}

BaseManifest parse_base_manifest(std::string_view text) {
  // The checksum covers everything up to and including the newline before the last line.
  size_t last = text.size();
  if (last > 0 && text[last - 1] == '\n') --last;
  const size_t penultimate = text.rfind('\n', last == 0 ? 0 : last - 1);
  if (penultimate == std::string_view::npos) throw bad_base("backup_manifest is not a manifest");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw bad_base(fmt::format("backup_manifest is not JSON: {}", e.what()));
  }
  if (!j.is_object() || !j.contains("Manifest-Checksum") || !j.at("Manifest-Checksum").is_string()) {
    throw bad_base("backup_manifest has no Manifest-Checksum");
  }
  if (core::sha256_hex(text.substr(0, penultimate + 1)) != j.at("Manifest-Checksum").get<std::string>()) {
    throw bad_base("backup_manifest does not match its own Manifest-Checksum");
  }
  BaseManifest m;
  if (!j.contains("WAL-Ranges") || !j.at("WAL-Ranges").is_array() || j.at("WAL-Ranges").empty()) {
    throw bad_base("backup_manifest has no WAL-Ranges");
  }
  // One range unless the server switched timelines during the backup (a standby's): the first
  // starts, the last ends.
  const nlohmann::json& first = j.at("WAL-Ranges").front();
  const nlohmann::json& final_range = j.at("WAL-Ranges").back();
  if (!final_range.contains("Timeline") || !final_range.at("Timeline").is_number_unsigned()) {
    throw bad_base("backup_manifest's WAL range has no Timeline");
  }
  m.timeline = final_range.at("Timeline").get<std::uint32_t>();
  m.start_lsn = lsn_of(first, "Start-LSN");
  m.end_lsn = lsn_of(final_range, "End-LSN");
  if (!j.contains("Files") || !j.at("Files").is_array()) throw bad_base("backup_manifest lists no Files");
  for (const nlohmann::json& f : j.at("Files")) {
    BaseManifest::File file;
    if (f.contains("Path") && f.at("Path").is_string()) {
      file.path = f.at("Path").get<std::string>();
    } else if (f.contains("Encoded-Path") && f.at("Encoded-Path").is_string()) {
      file.path = unhex(f.at("Encoded-Path").get<std::string>());
    } else {
      throw bad_base("a backup_manifest entry has no Path");
    }
    if (!f.contains("Size") || !f.at("Size").is_number_integer()) throw bad_base(file.path + " has no Size");
    file.size = f.at("Size").get<std::int64_t>();
    if (!f.contains("Checksum-Algorithm") || f.at("Checksum-Algorithm") != "SHA256" || !f.contains("Checksum") ||
        !f.at("Checksum").is_string()) {
      throw bad_base(file.path + " has no SHA256 checksum in backup_manifest");
    }
    file.sha256 = f.at("Checksum").get<std::string>();
    m.files.push_back(std::move(file));
  }
  return m;
}

namespace {

/// check_base_tar's work on an opened archive, named `what` in errors.
BaseCheck check_base_archive(struct archive* a, const std::string& what);

}  // namespace

BaseCheck check_base_tar(const fs::path& tar) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw bad_base(fmt::format("cannot read {}: {}", tar.string(), archive_error_string(a.get())));
  }
  BaseCheck c = check_base_archive(a.get(), tar.string());
  std::error_code ec;
  c.size = static_cast<std::int64_t>(fs::file_size(tar, ec));
  return c;
}

BaseCheck check_base_stream(int fd) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) {
    throw bad_base(fmt::format("cannot read the stream: {}", archive_error_string(a.get())));
  }
  // Whatever the outcome, the rest of the stream is read, so its writer never blocks.
  auto drain = [fd] {
    std::vector<char> buf(1 << 16);
    while (true) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
  };
  try {
    BaseCheck c = check_base_archive(a.get(), "the stream");
    drain();
    return c;
  } catch (...) {
    drain();
    throw;
  }
}

namespace {

BaseCheck check_base_archive(struct archive* a, const std::string& what) {
  struct Seen {
    std::int64_t size = 0;
    std::string sha256;
  };
  std::map<std::string, Seen> seen;
  std::string manifest_text;
  std::string label;
  std::vector<char> buf(1 << 16);
  struct archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) {
      archive_read_data_skip(a);
      continue;
    }
    const std::string path = strip_dot_slash(archive_entry_pathname(entry));
    const bool keep_text = path == "backup_manifest" || path == "backup_label";
    core::Sha256 sha;
    std::int64_t size = 0;
    std::string text;
    for (;;) {
      const la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
      if (n < 0) throw bad_base(fmt::format("{}: {}", path, archive_error_string(a)));
      if (n == 0) break;
      sha.update(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (keep_text) text.append(buf.data(), static_cast<size_t>(n));
      size += n;
    }
    if (path == "backup_manifest") {
      manifest_text = std::move(text);
    } else {
      if (path == "backup_label") label = std::move(text);
      seen[path] = Seen{.size = size, .sha256 = sha.hex()};
    }
  }
  if (rc != ARCHIVE_EOF) throw bad_base(fmt::format("{} is cut short: {}", what, archive_error_string(a)));
  if (manifest_text.empty()) throw bad_base("the tar holds no backup_manifest");
  const BaseManifest m = parse_base_manifest(manifest_text);
  BaseCheck c;
  c.timeline = m.timeline;
  c.start_lsn = m.start_lsn;
  c.end_lsn = m.end_lsn;
  for (const BaseManifest::File& f : m.files) {
    auto it = seen.find(f.path);
    if (it == seen.end()) throw bad_base(fmt::format("{} is in backup_manifest but not in the tar", f.path));
    if (it->second.size != f.size) {
      throw bad_base(fmt::format("{} is {} bytes, backup_manifest says {}", f.path, it->second.size, f.size));
    }
    if (it->second.sha256 != f.sha256) throw bad_base(fmt::format("{} does not match its checksum", f.path));
    seen.erase(it);
  }
  if (!seen.empty()) throw bad_base(fmt::format("{} is in the tar but not in backup_manifest", seen.begin()->first));
  c.files = static_cast<std::int64_t>(m.files.size());
  static const std::regex k_start_time(R"(START TIME: ([0-9-]+ [0-9:]+ [A-Z]+))");
  std::smatch match;
  if (std::regex_search(label, match, k_start_time)) c.start_time = match[1];
  return c;
}

}  // namespace

std::string RecoveryTarget::describe() const {
  switch (kind) {
    case Kind::time: return utc_rfc3339(time);
    case Kind::lsn: return "LSN " + stack::format_lsn(lsn);
    case Kind::latest: break;
  }
  return "the latest archived WAL";
}

RecoveryTarget parse_target_time(std::string_view text) {
  static const std::regex k_time(
      R"(^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$)");
  const std::string s(text);
  std::smatch m;
  auto bad = [&]() {
    return Error(fmt::format("--to-time {} is not a time supactl reads", s), ExitCode::usage,
                 "give a UTC time like 2026-11-29T18:00:00Z (or with an offset: 2026-11-29T19:00:00+01:00)");
  };
  if (!std::regex_match(s, m, k_time)) throw bad();
  const int year = std::stoi(m[1]);
  const int month = std::stoi(m[2]);
  const int day = std::stoi(m[3]);
  const int hour = std::stoi(m[4]);
  const int minute = std::stoi(m[5]);
  const int second = std::stoi(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) throw bad();
  std::int64_t epoch = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                       hour * 3600 + minute * 60 + second;
  const std::string zone = m[8];
  if (zone != "Z") {
    const int offset = std::stoi(zone.substr(1, 2)) * 3600 + std::stoi(zone.substr(4, 2)) * 60;
    epoch -= zone[0] == '+' ? offset : -offset;
  }
  RecoveryTarget t;
  t.kind = RecoveryTarget::Kind::time;
  t.time = static_cast<std::time_t>(epoch);
  std::string rfc = utc_rfc3339(t.time);  // 2026-11-29T18:00:00Z
  t.time_text = rfc.substr(0, 10) + " " + rfc.substr(11, 8) + std::string(m[7]) + "+00";
  return t;
}

RecoveryTarget parse_target_lsn(std::string_view text) {
  const std::optional<std::uint64_t> lsn = stack::parse_lsn(text);
  if (!lsn) {
    throw Error(fmt::format("--to-lsn {} is not an LSN", text), ExitCode::usage,
                "give it as Postgres prints it, e.g. 0/3000060 (`SELECT pg_current_wal_lsn()`)");
  }
  RecoveryTarget t;
  t.kind = RecoveryTarget::Kind::lsn;
  t.lsn = *lsn;
  return t;
}

std::string recovery_settings(const RecoveryTarget& target, const std::string& wal_dir) {
  std::string out = fmt::format(
      "# supactl restore --from: replay archived WAL to {}, then promote\n"
      "restore_command = 'cp {}/%f %p'\n"
      "recovery_target_action = 'promote'\n"
      "recovery_target_timeline = 'latest'\n"
      "hot_standby = 'off'\n",
      target.describe(), wal_dir);
  switch (target.kind) {
    case RecoveryTarget::Kind::time: out += fmt::format("recovery_target_time = '{}'\n", target.time_text); break;
    case RecoveryTarget::Kind::lsn:
      out += fmt::format("recovery_target_lsn = '{}'\n", stack::format_lsn(target.lsn));
      break;
    case RecoveryTarget::Kind::latest: break;
  }
  return out;
}

std::optional<BaseInfo> choose_base(const std::vector<BaseInfo>& bases, const RecoveryTarget& target) {
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
    switch (target.kind) {
      case RecoveryTarget::Kind::latest: return *it;
      case RecoveryTarget::Kind::time:
        if (it->finished <= target.time) return *it;
        break;
      case RecoveryTarget::Kind::lsn:
        if (it->end_lsn <= target.lsn) return *it;
        break;
    }
  }
  return std::nullopt;
}

}  // namespace supactl::backup
