// SPDX-License-Identifier: Apache-2.0
//
// Point-in-time recovery over the Engine: shipping archived WAL out of the archive volume,
// base backups with pg_basebackup, the archiver's state, and a data volume prepared for a
// recovery. See backup/pitr.hpp.
#include <supactl/backup/pitr.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/failover.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/stack/standby.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_pgdata = "/var/lib/postgresql/data";
/// The folder of the restored data directory that restore_command reads.
constexpr const char* k_restore_wal = "supactl-restore-wal";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(text);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

/// Writes what `fill` produces to `path` and makes it durable: fsync of the file.
void write_synced(const fs::path& path, const std::function<void(int fd)>& fill) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  try {
    fill(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
}

void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

/// Creates `dir` (and its parents) and makes it the owner's only (0700).
/// The parent (backups/NAME) too: it holds the instance's dumps.
void make_private_dir(const fs::path& dir) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  fs::permissions(dir.parent_path(), fs::perms::owner_all);
}

void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// The image of a Postgres container of `project` (db or db-standby; running ones first), or
/// empty when it has none.
std::string postgres_image(docker::Engine& engine, const std::string& project) {
  std::string image;
  for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, project)) {
    const std::string svc = docker::label_of(c.labels, compose::k_label_service);
    if (svc != "db" && svc != stack::k_standby_service) continue;
    if (image.empty() || c.run_state() == docker::RunState::running) image = c.image;
  }
  return image;
}

std::optional<std::string> primary_if_running(docker::Engine& engine, const std::string& project) {
  try {
    return stack::running_primary(engine, project);
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
    return std::nullopt;
  }
}

void require_wal(const config::Instance& inst, const char* what) {
  if (!inst.spec.backup.wal) {
    throw Error(
        fmt::format("{} needs WAL archiving, and {} has backup.wal: false", what, inst.name), ExitCode::usage,
        fmt::format("run `supactl config set {} backup.wal true` and `supactl up {}` first", inst.name, inst.name));
  }
}

/// The files of archive `remote` under PREFIX/NAME-KIND/, by file name.
std::set<std::string> remote_names(Remote& remote, const std::string& dir_key) {
  std::set<std::string> out;
  for (const S3Object& o : remote.client.list(remote.location.bucket, dir_key)) {
    const size_t slash = o.key.rfind('/');
    out.insert(slash == std::string::npos ? o.key : o.key.substr(slash + 1));
  }
  return out;
}

}  // namespace

fs::path base_dir(const fs::path& home, const std::string& name) { return backup_dir(home, name) / "base"; }
fs::path wal_dir(const fs::path& home, const std::string& name) { return backup_dir(home, name) / "wal"; }

std::string remote_base_key(const Remote& remote, const std::string& name, const std::string& file) {
  return remote.location.key(name + "-base/" + file);
}
std::string remote_wal_key(const Remote& remote, const std::string& name, const std::string& file) {
  return remote.location.key(name + "-wal/" + file);
}

std::string switch_and_archive(docker::Engine& engine, const std::string& project, int timeout_s) {
  const stack::PgTarget target{.container = stack::running_primary(engine, project)};
  if (trimmed(stack::query(engine, target, "SHOW archive_mode")) != "on") {
    throw Error(fmt::format("the primary of {} does not archive WAL (archive_mode is off)", project), ExitCode::usage,
                fmt::format("run `supactl up {}` so db restarts with backup.wal", project));
  }
  const std::string segment = trimmed(stack::query(engine, target, "SELECT pg_walfile_name(pg_switch_wal())"));
  const std::string waiting =
      fmt::format("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name = '{}.ready'", segment);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (trimmed(stack::query(engine, target, waiting)) != "0") {
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string failed =
          trimmed(stack::query(engine, target, "SELECT coalesce(last_failed_wal, '') FROM pg_stat_archiver"));
      throw Error(fmt::format("WAL segment {} of {} was not archived within {} s{}", segment, project, timeout_s,
                              failed.empty() ? "" : fmt::format(" (archive_command failed for {})", failed)),
                  ExitCode::unhealthy,
                  fmt::format("see `supactl logs {} db` and `supactl status {}`", project, project));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return segment;
}

ShipResult ship_wal(docker::Engine& engine, const config::Instance& inst, const fs::path& home, Remote* remote) {
  require_wal(inst, "shipping WAL");
  ShipResult result;
  const fs::path dir = wal_dir(home, inst.name);
  make_private_dir(dir);
  TempDir incoming(backup_dir(home, inst.name), ".wal-incoming-");
  const fs::path tar = incoming.path() / "wal.tar";

  // 1. A tar of the archive folder, from the running primary or a container on the volume.
  std::vector<std::string> landed;
  auto read_volume = [&](const std::string& container) {
    write_synced(tar, [&](int fd) {
      engine.get_archive(container, k_wal_archive_dir, [&](std::string_view chunk) { write_all(fd, chunk, tar); });
    });
  };
  const std::optional<std::string> primary = primary_if_running(engine, inst.name);
  result.primary_ran = primary.has_value();
  if (primary) {
    read_volume(*primary);
  } else {
    const std::string image = postgres_image(engine, inst.name);
    if (image.empty()) {
      throw Error(fmt::format("{} has no db container to read its WAL archive through", inst.name), ExitCode::not_found,
                  fmt::format("run `supactl up {}` first", inst.name));
    }
    stack::on_volume(engine, fmt::format("supactl-{}-wal-volume", inst.name), image,
                     fmt::format("{}_{}", inst.name, k_wal_volume), k_wal_archive_dir, read_volume);
  }

  // 2. Every WAL file in it onto disk here: NAME.part, synced, renamed.
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw Error(fmt::format("cannot read the WAL archive of {}: {}", inst.name, archive_error_string(a.get())));
  }
  std::vector<char> buf(1 << 16);
  struct archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    const std::string path = archive_entry_pathname(entry);
    const std::string name = path.substr(path.rfind('/') + 1);
    if (archive_entry_filetype(entry) != AE_IFREG || !parse_wal_name(name)) {
      archive_read_data_skip(a.get());
      continue;
    }
    ++result.in_volume;
    const fs::path dest = dir / name;
    std::error_code ec;
    if (fs::exists(dest, ec) && static_cast<la_int64_t>(fs::file_size(dest, ec)) == archive_entry_size(entry)) {
      archive_read_data_skip(a.get());
      landed.push_back(name);
      continue;
    }
    const fs::path part = dir / (name + ".part");
    write_synced(part, [&](int fd) {
      for (;;) {
        const la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
        if (n < 0)
          throw Error(fmt::format("cannot read {} from the WAL archive: {}", name, archive_error_string(a.get())));
        if (n == 0) break;
        write_all(fd, std::string_view(buf.data(), static_cast<size_t>(n)), part);
        result.bytes += n;
      }
    });
    fs::rename(part, dest);
    ++result.shipped;
    landed.push_back(name);
  }
  if (rc != ARCHIVE_EOF) {
    throw Error(fmt::format("the WAL archive of {} was cut short: {}", inst.name, archive_error_string(a.get())));
  }
  sync_dir(dir);

  // 3. Off-site, what the store does not hold yet.
  if (remote) {
    const std::set<std::string> there = remote_names(*remote, remote_wal_key(*remote, inst.name, ""));
    std::vector<std::string> local;
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && parse_wal_name(name) && there.count(name) == 0) local.push_back(name);
    }
    std::sort(local.begin(), local.end());
    for (const std::string& name : local) {
      remote->client.upload(remote->location.bucket, remote_wal_key(*remote, inst.name, name), dir / name);
      ++result.uploaded;
    }
  }

  // 4. Out of the volume, what is now safe on disk (only a running primary can remove).
  if (primary && !landed.empty()) {
    for (size_t i = 0; i < landed.size(); i += 200) {
      std::vector<std::string> cmd{"rm", "-f", "--"};
      for (size_t j = i; j < std::min(landed.size(), i + 200); ++j) {
        cmd.push_back(std::string(k_wal_archive_dir) + "/" + landed[j]);
      }
      const docker::ExecResult r = engine.exec(
          *primary, docker::ExecSpec{.cmd = cmd, .env = {}, .user = "root", .working_dir = {}, .tty = false});
      if (r.exit_code != 0) {
        spdlog::warn("could not remove shipped WAL from the archive volume of {}: {}", inst.name, trimmed(r.err));
        break;
      }
      result.removed += static_cast<int>(std::min(landed.size(), i + 200) - i);
    }
  }
  return result;
}

ArchiverState parse_archiver_row(const std::string& row) {
  ArchiverState s;
  const std::vector<std::string> f = split(trimmed(row), '\t');
  if (f.size() < 9) return s;
  auto num = [](const std::string& v) -> std::int64_t {
    try {
      return std::stoll(v);
    } catch (const std::exception&) {
      return 0;
    }
  };
  s.archived = num(f[0]);
  s.last_archived_wal = f[1];
  s.last_archived_at = f[2];
  s.failed = num(f[3]);
  s.last_failed_wal = f[4];
  s.last_failed_at = f[5];
  s.failing = f[6] == "t";
  s.waiting = num(f[7]);
  s.in_volume = num(f[8]);
  return s;
}

std::optional<ArchiverState> archiver_state(docker::Engine& engine, const std::string& project) {
  const std::optional<std::string> primary = primary_if_running(engine, project);
  if (!primary) return std::nullopt;
  const std::string utc = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";
  const std::string sql = fmt::format(
      "SELECT archived_count, coalesce(last_archived_wal, ''), "
      "coalesce(to_char(last_archived_time AT TIME ZONE 'UTC', {0}), ''), failed_count, "
      "coalesce(last_failed_wal, ''), coalesce(to_char(last_failed_time AT TIME ZONE 'UTC', {0}), ''), "
      "coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false), "
      "(SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'), -1 "
      "FROM pg_stat_archiver",
      utc);
  const stack::PgTarget target{.container = *primary};
  ArchiverState s = parse_archiver_row(stack::query(engine, target, sql));
  // Files waiting in the volume; unknown (-1) when the folder cannot be read, which is also
  // why the archiver fails then.
  try {
    s.in_volume = std::stoll(trimmed(
        stack::query(engine, target,
                     fmt::format("SELECT count(*) FROM pg_ls_dir('{}', true, false) AS f WHERE f NOT LIKE '%.part'",
                                 k_wal_archive_dir))));
  } catch (const std::exception& e) {
    spdlog::debug("cannot count the files in the WAL archive volume: {}", e.what());
  }
  return s;
}

BaseInfo take_base_backup(docker::Engine& engine, const config::Instance& inst, const fs::path& home, std::time_t now,
                          Remote* remote) {
  require_wal(inst, "a base backup");
  auto pw = inst.secrets.find(stack::k_replication_secret);
  if (pw == inst.secrets.end() || pw->second.empty()) {
    throw Error(fmt::format("{} has no {} in its secrets yet", inst.name, stack::k_replication_secret), ExitCode::usage,
                fmt::format("run `supactl up {}` once with backup.wal: true", inst.name));
  }
  const std::string primary = stack::running_primary(engine, inst.name);
  if (trimmed(stack::query(engine, stack::PgTarget{.container = primary}, "SHOW archive_mode")) != "on") {
    throw Error(fmt::format("the primary of {} does not archive WAL yet (archive_mode is off)", inst.name),
                ExitCode::usage, fmt::format("run `supactl up {}` so db restarts with backup.wal", inst.name));
  }
  // The replication role and pg_hba line the standby uses; no slot (a slot nobody reads would
  // keep WAL forever).
  stack::prepare_primary(engine, inst.name, pw->second.reveal(), /*with_slot=*/false);

  const fs::path dir = base_dir(home, inst.name);
  make_private_dir(dir);
  const std::string stem = fmt::format("{}-{}", inst.name, utc_stamp(now));
  const fs::path tar = dir / (stem + ".base.tar");
  const fs::path part = dir / (stem + ".base.tar.part");
  if (fs::exists(tar)) {
    throw Error(fmt::format("{} exists already", tar.string()), ExitCode::conflict, "wait a second and run it again");
  }
  std::string err;
  Sha256 sha;
  std::int64_t size = 0;
  try {
    // The tar goes to the file and, through a pipe, to a checker thread that hashes every
    // member as it arrives: one pass over the data, on two cores.
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(fmt::format("pipe: {}", std::strerror(errno)));
    std::future<BaseCheck> checker =
        std::async(std::launch::async, [read_end = pipe_fds[0]] { return check_base_stream(read_end); });
    int write_end = pipe_fds[1];
    auto close_pipe = [&] {
      if (write_end >= 0) ::close(std::exchange(write_end, -1));
    };
    BaseCheck check;
    try {
      write_synced(part, [&](int fd) {
        const docker::ExecResult r = engine.exec(
            primary,
            docker::ExecSpec{.cmd = {"pg_basebackup", "-h", "localhost", "-p", "5432", "-U", stack::k_replication_role,
                                     "--no-password", "-D", "-", "-F", "t", "-X", "none", "--checkpoint=fast",
                                     "--manifest-checksums=SHA256", "-l", "supactl " + stem},
                             .env = {"PGPASSWORD=" + pw->second.reveal()},
                             .user = {},
                             .working_dir = {},
                             .tty = false},
            [&](docker::StreamKind k, std::string_view data) {
              if (k == docker::StreamKind::stdout_) {
                write_all(fd, data, part);
                sha.update(data);
                size += static_cast<std::int64_t>(data.size());
                if (write_end >= 0) write_all(write_end, data, "the checker's pipe");
              } else if (err.size() < 64 * 1024) {
                err.append(data);
              }
              return true;
            });
        if (r.exit_code != 0) {
          throw Error(fmt::format("pg_basebackup in the primary of {} failed (exit {}): {}", inst.name, r.exit_code,
                                  trimmed(err)));
        }
      });
    } catch (...) {
      close_pipe();
      try {
        checker.get();
      } catch (const std::exception&) {
        // the stream was cut short: the exec's own error is the one to report
      }
      ::close(pipe_fds[0]);
      throw;
    }
    close_pipe();
    try {
      check = checker.get();
    } catch (...) {
      ::close(pipe_fds[0]);
      throw;
    }
    ::close(pipe_fds[0]);
    check.size = size;
    BaseInfo info;
    info.instance = inst.name;
    info.file = tar.filename().string();
    info.finished = std::time(nullptr);
    info.finished_at = utc_rfc3339(info.finished);
    info.started_at = check.start_time;
    info.timeline = check.timeline;
    info.start_lsn = check.start_lsn;
    info.end_lsn = check.end_lsn;
    info.size = check.size;
    info.sha256 = sha.hex();
    info.files = check.files;
    for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, inst.name)) {
      if (c.id == primary) info.postgres_image = c.image;
    }
    fs::rename(part, tar);
    core::write_file_atomic(dir / (stem + ".base.json"), info.to_json().dump(2) + "\n", 0600);
    sync_dir(dir);
    if (remote) {
      remote->client.upload(remote->location.bucket, remote_base_key(*remote, inst.name, info.file), tar);
      remote->client.upload(remote->location.bucket, remote_base_key(*remote, inst.name, stem + ".base.json"),
                            dir / (stem + ".base.json"));
    }
    return info;
  } catch (...) {
    std::error_code ec;
    fs::remove(part, ec);
    throw;
  }
}

std::vector<BaseInfo> list_bases(const fs::path& dir) {
  std::vector<BaseInfo> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 10 || name.substr(name.size() - 10) != ".base.json") continue;
    try {
      BaseInfo b = BaseInfo::from_json(nlohmann::json::parse(core::read_file(e.path())));
      if (fs::exists(dir / b.file, ec)) out.push_back(std::move(b));
    } catch (const std::exception& ex) {
      spdlog::warn("skipping {}: {}", e.path().string(), ex.what());
    }
  }
  std::sort(out.begin(), out.end(), [](const BaseInfo& x, const BaseInfo& y) { return x.file < y.file; });
  return out;
}

RemotePrune prune_remote_pitr(Remote& remote, const std::string& name, const Keep& keep, std::time_t now,
                              const fs::path& scratch) {
  RemotePrune out;
  const std::string base_prefix = remote_base_key(remote, name, "");
  std::vector<BackupFile> tars;
  for (const std::string& f : remote_names(remote, base_prefix)) {
    if (f.size() > 9 && f.substr(f.size() - 9) == ".base.tar") tars.push_back({.path = f, .size = 0});
  }
  std::sort(tars.begin(), tars.end(), [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  std::set<std::string> gone;
  for (const BackupFile& f : backups_to_prune(tars, name, keep, now)) {
    const std::string tar = f.path.string();
    const std::string json = tar.substr(0, tar.size() - 4) + ".json";
    remote.client.remove(remote.location.bucket, remote_base_key(remote, name, json));
    remote.client.remove(remote.location.bucket, remote_base_key(remote, name, tar));
    out.bases_removed.push_back(remote.location.url_of(remote_base_key(remote, name, tar)));
    gone.insert(tar);
  }
  std::vector<std::uint64_t> starts;
  for (const BackupFile& f : tars) {
    const std::string tar = f.path.string();
    if (gone.count(tar) != 0) continue;
    ++out.bases_kept;
    const fs::path json = scratch / (tar.substr(0, tar.size() - 4) + ".json");
    remote.client.download(remote.location.bucket, remote_base_key(remote, name, json.filename().string()), json);
    starts.push_back(BaseInfo::from_json(nlohmann::json::parse(core::read_file(json))).start_lsn);
  }
  const std::set<std::string> wal = remote_names(remote, remote_wal_key(remote, name, ""));
  for (const std::string& f : wal_to_prune(std::vector<std::string>(wal.begin(), wal.end()), starts)) {
    remote.client.remove(remote.location.bucket, remote_wal_key(remote, name, f));
    ++out.wal_removed;
  }
  return out;
}

void prepare_recovery(docker::Engine& engine, const std::string& project, const std::string& image,
                      const fs::path& base_tar, const std::vector<fs::path>& wal, const RecoveryTarget& target,
                      const std::optional<fs::path>& config_tar, const fs::path& scratch) {
  compose::Project p;
  p.name = project;
  auto make_volume = [&](const std::string& key) {
    compose::Volume v;
    v.key = key;
    v.name = fmt::format("{}_{}", project, key);
    engine.create_volume(docker::VolumeSpec{
        .name = v.name, .driver = "local", .labels = compose::volume_labels(p, v), .driver_opts = {}});
    return v.name;
  };
  const std::string data_volume = make_volume("db-data");
  std::optional<std::string> config_volume;
  if (config_tar) config_volume = make_volume("db-config");

  // The WAL, as one tar whose entries land in k_restore_wal.
  std::vector<docker::TarFileRef> entries{{.path = std::string(k_restore_wal) + "/", .source = {}, .mode = 0700}};
  for (const fs::path& f : wal) {
    entries.push_back({.path = std::string(k_restore_wal) + "/" + f.filename().string(), .source = f, .mode = 0600});
  }
  const fs::path wal_tar = scratch / "restore-wal.tar";
  docker::write_tar_file(wal_tar, entries);

  const std::string script = std::string(
      "set -euo pipefail\n"
      "d=/var/lib/postgresql/data\n"
      "cd \"$d\"\n"
      "# What the source's own copy and run left: not the restored cluster's.\n"
      "rm -f backup_manifest postmaster.pid postmaster.opts standby.signal supactl-fenced supactl-base-copy*.done\n"
      "if [ -f postgresql.auto.conf ]; then\n"
      "  sed -i -e '/^primary_conninfo/d' -e '/^primary_slot_name/d' -e '/^# supactl .*: follow the primary/d' "
      "postgresql.auto.conf\n"
      "fi\n"
      "cat supactl-recovery.conf >> postgresql.auto.conf\n"
      "rm -f supactl-recovery.conf\n"
      "touch recovery.signal\n"
      "chown -R postgres:postgres \"$d\"\n"
      "chmod 0700 \"$d\"\n"
      "if [ -d /etc/postgresql-custom ]; then chown -R postgres:postgres /etc/postgresql-custom; fi\n");
  docker::ContainerSpec spec;
  spec.name = fmt::format("supactl-{}-db-recovery", project);
  spec.image = image;
  spec.user = "root";
  spec.entrypoint = std::vector<std::string>{"bash", "-c", script};
  spec.mounts.push_back(docker::Mount{.type = docker::Mount::Type::volume,
                                      .source = data_volume,
                                      .target = k_pgdata,
                                      .read_only = false,
                                      .content_digest = {}});
  if (config_volume) {
    spec.mounts.push_back(docker::Mount{.type = docker::Mount::Type::volume,
                                        .source = *config_volume,
                                        .target = "/etc/postgresql-custom",
                                        .read_only = false,
                                        .content_digest = {}});
  }
  stack::with_helper_container(engine, spec, [&](const std::string& id) {
    engine.put_archive_file(id, k_pgdata, base_tar);
    engine.put_archive_file(id, k_pgdata, wal_tar);
    engine.put_archive(
        id, k_pgdata,
        docker::make_tar({{.path = "supactl-recovery.conf",
                           .content = recovery_settings(target, std::string(k_pgdata) + "/" + k_restore_wal),
                           .mode = 0600}}));
    if (config_tar) engine.put_archive_file(id, "/etc", *config_tar);
    engine.start_container(id);
    const int code = engine.wait_container(id, docker::WaitCondition::not_running);
    if (code != 0) {
      std::string logs;
      engine.logs(id, docker::LogOptions{}, [&](docker::StreamKind, std::string_view d) {
        logs.append(d);
        return true;
      });
      throw Error(
          fmt::format("preparing the restored data volume of {} failed (exit {}): {}", project, code, trimmed(logs)));
    }
  });
}

std::string finish_recovery(docker::Engine& engine, const std::string& project) {
  const std::string primary = stack::running_primary(engine, project);
  const stack::PgTarget target{.container = primary};
  const std::string replayed =
      trimmed(stack::query(engine, target,
                           "SELECT coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', "
                           "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"));
  for (const char* setting : {"restore_command", "recovery_target_action", "recovery_target_timeline",
                              "recovery_target_time", "recovery_target_lsn", "hot_standby"}) {
    stack::query(engine, target, fmt::format("ALTER SYSTEM RESET {}", setting));
  }
  stack::query(engine, target, "SELECT pg_reload_conf()");
  const docker::ExecResult r =
      engine.exec(primary, docker::ExecSpec{.cmd = {"rm", "-rf", "--", std::string(k_pgdata) + "/" + k_restore_wal},
                                            .env = {},
                                            .user = "root",
                                            .working_dir = {},
                                            .tty = false});
  if (r.exit_code != 0) spdlog::warn("could not remove the copied WAL of {}: {}", project, trimmed(r.err));
  return replayed;
}

}  // namespace supactl::backup
