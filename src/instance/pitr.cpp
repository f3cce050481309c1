// SPDX-License-Identifier: Apache-2.0
//
// `supactl restore NEW --from NAME --to-time T`. Phases: ship NAME's archived WAL (finishing
// its current segment first while it runs) → pick the newest base backup that finished
// before the target and the WAL after it (local, else from NAME's off-site store) → check the
// base against its record and manifest → create NEW like NAME, with NAME's secrets (the
// restored database holds NAME's role passwords and keys) → fill NEW's data volume (base,
// WAL, recovery settings) → up: Postgres replays to the target and promotes → remove the
// recovery settings. NEW is marked restoring until the end. See instance/pitr.hpp.
#include <supactl/instance/pitr.hpp>

#include <supactl/backup/archive.hpp>
#include <supactl/config/home.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/instance/restore.hpp>
#include <supactl/secrets/secrets_file.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>

namespace supactl::instance {
namespace {

namespace fs = std::filesystem;

/// The base backups of `from`: local ones, else (none serving the target here) those in the
/// off-site store, whose records are downloaded into `scratch`. Sets `*remote_dir` when they
/// came from the store.
std::vector<backup::BaseInfo> bases_of(const fs::path& home, const std::string& from, backup::Remote* remote,
                                       const backup::RecoveryTarget& target, const fs::path& scratch,
                                       bool* from_remote) {
  std::vector<backup::BaseInfo> local = backup::list_bases(backup::base_dir(home, from));
  *from_remote = false;
  if (backup::choose_base(local, target) || !remote) return local;
  const fs::path dir = scratch / "base";
  fs::create_directories(dir);
  for (const backup::S3Object& o :
       remote->client.list(remote->location.bucket, backup::remote_base_key(*remote, from, ""))) {
    const std::string file = o.key.substr(o.key.rfind('/') + 1);
    if (file.size() > 10 && file.substr(file.size() - 10) == ".base.json") {
      remote->client.download(remote->location.bucket, o.key, dir / file);
    }
  }
  std::vector<backup::BaseInfo> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    try {
      out.push_back(backup::BaseInfo::from_json(nlohmann::json::parse(core::read_file(e.path()))));
    } catch (const std::exception& ex) {
      spdlog::warn("skipping {}: {}", e.path().string(), ex.what());
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
  *from_remote = true;
  return out;
}

}  // namespace

PitrReport restore_to_point(const fs::path& home, const std::string& name, EngineSource engine_source,
                            const PitrOptions& options, plan::Progress& progress) {
  const auto started = std::chrono::steady_clock::now();
  config::validate_name(name);
  PitrReport report;
  report.instance = name;
  report.from = options.from;
  report.target = options.target.describe();
  if (std::filesystem::exists(config::instance_dir(home, name) / "instance.yaml")) {
    throw Error(
        fmt::format("instance {} exists; a point-in-time restore makes a new instance; nothing was changed", name),
        ExitCode::conflict, fmt::format("choose a new name: `supactl restore NEWNAME --from {}`", options.from));
  }
  // 1. The source, locked while its WAL is shipped (as `backup` does).
  const config::Instance source = config::load_instance(home, options.from);
  if (!source.spec.backup.wal) {
    throw Error(
        fmt::format("{} does not archive WAL (backup.wal: false), so it has no point to restore to", options.from),
        ExitCode::usage,
        fmt::format("turn it on with `supactl config set {} backup.wal true`, `supactl up {}` and `supactl "
                    "backup {} --base`; until then, restore a dump with `supactl restore {} FILE`",
                    options.from, options.from, options.from, name));
  }
  docker::Engine& engine = engine_source();
  std::optional<backup::Remote> remote = backup::remote_of(source.spec, options.s3_credentials);
  {
    const core::FileLock lock = config::lock_instance(source.dir, source.name, options.lock_timeout_s);
    try {
      backup::switch_and_archive(engine, source.name, 60);
      report.switched = true;
    } catch (const Error& e) {
      if (e.code() != ExitCode::not_found) throw;
      spdlog::warn("{} does not run: the recovery uses the WAL archived so far", source.name);
    }
    try {
      report.shipped = backup::ship_wal(engine, source, home, remote ? &*remote : nullptr);
    } catch (const Error& e) {
      if (e.code() != ExitCode::not_found) throw;
      spdlog::warn("{}: {}", source.name, e.what());
    }
  }

  // 2. The base backup and the WAL after it.
  backup::TempDir scratch(home, ".pitr-");
  bool from_remote = false;
  const std::vector<backup::BaseInfo> bases =
      bases_of(home, source.name, remote ? &*remote : nullptr, options.target, scratch.path(), &from_remote);
  const std::optional<backup::BaseInfo> base = backup::choose_base(bases, options.target);
  if (!base) {
    throw Error(
        bases.empty() ? fmt::format("{} has no base backup", source.name)
                      : fmt::format("no base backup of {} finished before {} (the oldest finished {})", source.name,
                                    options.target.describe(), bases.front().finished_at),
        ExitCode::not_found,
        fmt::format("a point-in-time restore starts from a base backup taken before the target: `supactl backup {} "
                    "--base` (then targets after it can be restored)",
                    source.name));
  }
  report.base = base->file;
  report.base_finished = base->finished_at;
  fs::path base_tar = backup::base_dir(home, source.name) / base->file;
  if (from_remote) {
    base_tar = scratch.path() / base->file;
    remote->client.download(remote->location.bucket, backup::remote_base_key(*remote, source.name, base->file),
                            base_tar);
  }
  std::map<std::string, fs::path> wal;
  const fs::path local_wal = backup::wal_dir(home, source.name);
  std::error_code ec;
  if (fs::is_directory(local_wal, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(local_wal)) {
      const std::string file = e.path().filename().string();
      if (backup::wal_needed_from(file, base->start_lsn)) wal[file] = e.path();
    }
  }
  if (remote) {
    const fs::path dir = scratch.path() / "wal";
    fs::create_directories(dir);
    for (const backup::S3Object& o :
         remote->client.list(remote->location.bucket, backup::remote_wal_key(*remote, source.name, ""))) {
      const std::string file = o.key.substr(o.key.rfind('/') + 1);
      if (wal.count(file) != 0 || !backup::wal_needed_from(file, base->start_lsn)) continue;
      remote->client.download(remote->location.bucket, o.key, dir / file);
      wal[file] = dir / file;
    }
  }
  const std::string first = backup::wal_segment_name(base->timeline, backup::segno_of(base->start_lsn));
  if (wal.count(first) == 0) {
    throw Error(
        fmt::format("WAL segment {}, where base backup {} starts, is not in {}'s archive", first, base->file,
                    source.name),
        ExitCode::usage,
        fmt::format("take a new base backup (`supactl backup {} --base`) and restore a target after it", source.name));
  }
  std::vector<fs::path> wal_files;
  wal_files.reserve(wal.size());
  for (const auto& [file, path] : wal) wal_files.push_back(path);
  report.wal_files = static_cast<int>(wal_files.size());

  // 3. The base, checked before anything is made: its record's checksum, then its manifest.
  const backup::BaseCheck check = backup::check_base_tar(base_tar);
  if (check.size != base->size || check.start_lsn != base->start_lsn) {
    throw Error(fmt::format("base backup {} is not the one its record describes", base_tar.string()), ExitCode::usage,
                "take a new base backup");
  }
  {
    backup::Sha256 sha;
    std::ifstream in(base_tar, std::ios::binary);
    std::vector<char> buf(1 << 16);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      sha.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
    }
    if (sha.hex() != base->sha256) {
      throw Error(fmt::format("base backup {} does not match the sha256 in its record", base_tar.string()),
                  ExitCode::usage, "take a new base backup; this one was changed after it was written");
    }
  }
  // The source's config volume (its pgsodium root key), while it runs.
  std::optional<fs::path> config_tar;
  try {
    const std::string primary = stack::running_primary(engine, source.name);
    config_tar = scratch.path() / "config.tar";
    std::ofstream out(*config_tar, std::ios::binary);
    engine.get_archive(primary, "/etc/postgresql-custom", [&](std::string_view chunk) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    });
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;
    config_tar.reset();
    spdlog::warn("{} does not run: {} gets a config volume of its own (and a new pgsodium root key)", source.name,
                 name);
  }

  // The image that took the base backup runs the recovery (the same Postgres).
  const std::string image = base->postgres_image;
  if (image.empty() || !engine.inspect_image(image)) {
    throw Error(fmt::format("the image {} that took base backup {} is not on this host", image, base->file),
                ExitCode::not_found, fmt::format("run `supactl up {}` (it pulls it), then restore again", source.name));
  }
  // Volumes of a NEW made before (its folder removed, its volumes not) may hold data: never mixed with the base.
  for (const char* key : {"db-data", "db-config"}) {
    const std::string volume = fmt::format("{}_{}", name, key);
    try {
      engine.inspect_volume(volume);
    } catch (const docker::EngineError& e) {
      if (e.kind() == docker::ErrorKind::not_found) continue;
      throw;
    }
    throw Error(fmt::format("the volume {} exists already, so {} is not new; nothing was changed", volume, name),
                ExitCode::conflict,
                fmt::format("restore into another name, or remove it (`docker volume rm {}`) if it holds nothing you "
                            "need",
                            volume));
  }

  // 4. The new instance, like the source, with its secrets.
  const std::string mark = fmt::format("pitr:{}@{}", source.name, options.target.describe());
  config::Instance made = create_like(home, name, source.spec, mark);
  secrets::write_secrets_file(made.secrets_file(), source.secrets);
  if (fs::exists(source.override_file(), ec)) {
    core::write_file_atomic(made.override_file(), core::read_file(source.override_file()));
  }
  if (fs::exists(source.function_settings_file(), ec)) {
    core::write_file_atomic(made.function_settings_file(), core::read_file(source.function_settings_file()), 0600);
  }
  Session session(
      home, name, engine_source,
      SessionOptions{.lock = true, .lock_timeout_s = options.lock_timeout_s, .converging = false, .registry = {}});

  // 5. The data volume, then up: Postgres replays and promotes before it answers.
  backup::prepare_recovery(engine, name, image, base_tar, wal_files, options.target, config_tar, scratch.path());
  const std::string again = fmt::format(
      "look at `supactl logs {} db` (replay), remove it with `supactl rm {} --yes` and restore again", name, name);
  converge_healthy(session, options.converge, progress, again);
  report.recovered_to = backup::finish_recovery(engine, name);
  fs::remove(session.instance().restoring_file(), ec);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace supactl::instance
