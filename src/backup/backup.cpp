// SPDX-License-Identifier: Apache-2.0
//
// Taking a backup of a running instance and putting its data back. Phases of a backup:
// row counts → roles → one pg_dump -Fc per database → storage volume → instance files →
// manifest + archive. Every byte is streamed from the Engine into a private staging file
// (0600, in a 0700 folder beside the destination) while it is hashed; nothing lands in a
// shared temp folder.
#include <supactl/backup/backup.hpp>
#include <supactl/backup/schedule.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/config/function_settings.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/log.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace supactl::backup {
namespace fs = std::filesystem;

namespace {

/// A file-name-safe form of a database name.
std::string safe_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ? c : '_';
  return out;
}

stack::PgTarget db_target(docker::Engine& engine, const std::string& project) {
  return stack::PgTarget{.container = stack::running_primary(engine, project)};
}

}  // namespace

const std::vector<std::string>& counted_schemas() {
  static const std::vector<std::string> k = {"public", "auth", "storage"};
  return k;
}

StorageLocation storage_location(const config::InstanceSpec& spec) {
  if (spec.storage.backend == config::StorageBackend::minio && spec.enabled("minio")) return {"minio", "/data"};
  if (spec.storage.backend == config::StorageBackend::file && spec.enabled("storage"))
    return {"storage", "/var/lib/storage"};
  return {};
}

fs::path backup_dir(const fs::path& home, const std::string& name) { return home / "backups" / name; }

nlohmann::json Manifest::to_json() const {
  nlohmann::json j = {
      {"format", format},         {"supactl_version", supactl_version}, {"instance", instance},
      {"release", release},       {"created_at", created_at},           {"include_secrets", include_secrets},
      {"row_counts", row_counts}, {"row_checksums", row_checksums},     {"roles_member", roles_member}};
  j["databases"] = nlohmann::json::array();
  for (const Database& d : databases) j["databases"].push_back({{"name", d.name}, {"member", d.member}});
  if (storage) {
    j["storage"] = {
        {"service", storage->service}, {"path", storage->path}, {"member", storage->member}, {"files", storage->files}};
  }
  j["images"] = nlohmann::json::object();
  for (const auto& [service, i] : images) j["images"][service] = {{"image", i.image}, {"image_id", i.image_id}};
  j["members"] = nlohmann::json::array();
  for (const Member& m : members) j["members"].push_back({{"path", m.path}, {"size", m.size}, {"sha256", m.sha256}});
  return j;
}

Manifest Manifest::from_json(const nlohmann::json& j) {
  Manifest m;
  try {
    m.format = j.at("format").get<std::string>();
    m.supactl_version = j.value("supactl_version", "");
    m.instance = j.value("instance", "");
    m.release = j.value("release", "");
    m.created_at = j.value("created_at", "");
    m.include_secrets = j.value("include_secrets", false);
    m.row_counts = j.value("row_counts", std::map<std::string, int64_t>{});
    m.row_checksums = j.value("row_checksums", std::map<std::string, std::string>{});
    m.roles_member = j.value("roles_member", "db/roles.sql");
    for (const nlohmann::json& d : j.at("databases")) {
      m.databases.push_back({d.at("name").get<std::string>(), d.at("member").get<std::string>()});
    }
    if (j.contains("storage")) {
      const nlohmann::json& s = j.at("storage");
      m.storage = Storage{s.at("service").get<std::string>(), s.at("path").get<std::string>(),
                          s.at("member").get<std::string>(), s.value("files", int64_t{0})};
    }
    const nlohmann::json images = j.value("images", nlohmann::json::object());  // kept alive while iterated
    for (const auto& [service, i] : images.items()) m.images[service] = {i.value("image", ""), i.value("image_id", "")};
    for (const nlohmann::json& x : j.at("members")) {
      m.members.push_back(
          {x.at("path").get<std::string>(), x.at("size").get<int64_t>(), x.at("sha256").get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("the backup's manifest.json is not what supactl writes ({})", e.what()), ExitCode::usage,
                "use an archive made by `supactl backup`");
  }
  return m;
}

bool Manifest::has_member(const std::string& path) const {
  return std::any_of(members.begin(), members.end(), [&](const Member& m) { return m.path == path; });
}

bool Extracted::has(const std::string& path) const { return manifest.has_member(path); }

Extracted open_backup(const fs::path& file, const fs::path& scratch, const std::optional<BackupKey>& key) {
  // A missing file is not encrypted: verify_archive reports it (not_found).
  if (!is_encrypted(file)) {
    return Extracted{.manifest = Manifest::from_json(verify_archive(file, scratch)), .dir = scratch};
  }
  if (!key) {
    throw Error(fmt::format("backup {} is encrypted; nothing was changed", file.string()), ExitCode::usage,
                fmt::format("pass the key file it was made with: --key-file PATH (or set {})", k_key_file_env));
  }
  // Decrypted in full (every chunk authenticated) before the archive inside is read at all.
  const fs::path plain = scratch / "decrypted.tar.gz";
  decrypt_file(file, plain, *key);
  Extracted ex{.manifest = Manifest::from_json(verify_archive(plain, scratch)), .dir = scratch};
  std::error_code ec;
  fs::remove(plain, ec);
  return ex;
}

BackupResult create_backup(docker::Engine& engine, const config::Instance& inst, const BackupOptions& options,
                           std::time_t now) {
  const stack::PgTarget db = db_target(engine, inst.name);
  const StorageLocation storage = storage_location(inst.spec);
  std::string storage_container;
  if (!storage.service.empty()) storage_container = stack::running_container(engine, inst.name, storage.service);

  fs::path parent = options.out.parent_path().empty() ? fs::path(".") : options.out.parent_path();
  std::error_code ec;
  if (!fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    fs::permissions(parent, fs::perms::owner_all, ec);
  }
  TempDir staging(parent, ".supactl-backup-");
  ArchiveBuilder builder(staging.path());
  Manifest manifest;
  manifest.supactl_version = options.supactl_version;
  manifest.instance = inst.name;
  manifest.release = inst.spec.release;
  manifest.created_at = utc_rfc3339(now);
  manifest.include_secrets = options.include_secrets;

  // 1. Row counts and content checksums, just before the dump (a busy instance may change in
  // between).
  {
    core::PhaseTimer t("row counts");
    manifest.row_counts = stack::row_counts(engine, db, counted_schemas());
    manifest.row_checksums = stack::row_checksums(engine, db, counted_schemas());
  }
  // 2. Roles without passwords, then every database in pg_dump's custom format.
  {
    core::PhaseTimer t("dump");
    builder.add_stream("db/roles.sql", [&](const auto& out) { stack::dump_roles(engine, db, out); });
    int i = 0;
    for (const std::string& name : stack::list_databases(engine, db)) {
      const std::string member = fmt::format("db/{:02}-{}.dump", i++, safe_name(name));
      builder.add_stream(member, [&](const auto& out) { stack::dump_database(engine, db, name, out); });
      manifest.databases.push_back({name, member});
    }
  }
  // 3. The storage volume as the Engine's tar of the folder.
  if (!storage.service.empty()) {
    core::PhaseTimer t("storage");
    const std::string member = "storage/" + storage.service + ".tar";
    builder.add_stream(member, [&](const auto& out) { engine.get_archive(storage_container, storage.path, out); });
    manifest.storage =
        Manifest::Storage{storage.service, storage.path, member, count_tar_files(builder.staged(member))};
  }
  // 4. The instance's own files; secrets only when asked.
  builder.add_file("instance/instance.yaml", inst.spec_file());
  if (fs::exists(inst.override_file(), ec)) builder.add_file("instance/compose.override.yml", inst.override_file());
  if (fs::is_directory(inst.rendered_dir(), ec)) {
    std::vector<fs::path> files;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(inst.rendered_dir())) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      const std::string rel = fs::relative(f, inst.rendered_dir()).generic_string();
      // .env and the functions' settings hold secrets.
      const bool holds_secrets = rel == ".env" || rel.rfind(std::string(config::k_function_settings_dir) + "/", 0) == 0;
      if (holds_secrets && !options.include_secrets) continue;
      builder.add_file("instance/rendered/" + rel, f);
    }
  }
  if (options.include_secrets) builder.add_file("instance/secrets.env", inst.secrets_file());
  if (options.include_secrets && fs::exists(inst.function_settings_file(), ec)) {
    builder.add_file("instance/functions.json", inst.function_settings_file());
  }
  // 5. Images the instance runs now.
  for (const docker::ContainerSummary& c : stack::list_stack_containers(engine, inst.name)) {
    const std::string svc = docker::label_of(c.labels, compose::k_label_service);
    if (!svc.empty()) manifest.images[svc] = {c.image, c.image_id};
  }

  // 6. The archive: manifest.json first, then the members; 0600 whatever it holds.
  builder.write(options.out, manifest.to_json(), 0600, options.key ? &*options.key : nullptr);
  BackupResult result;
  result.path = options.out;
  result.size = static_cast<int64_t>(fs::file_size(options.out, ec));
  manifest.members = builder.members();
  result.manifest = std::move(manifest);
  return result;
}

stack::LoadReport restore_databases(docker::Engine& engine, const std::string& project, const Extracted& backup) {
  const stack::PgTarget db = db_target(engine, project);
  // The dumps go in as files streamed from the extracted backup: never whole in memory.
  std::vector<std::pair<std::string, fs::path>> files;
  files.emplace_back("roles.sql", backup.member(backup.manifest.roles_member));
  std::map<std::string, std::string> by_db;
  for (const Manifest::Database& d : backup.manifest.databases) {
    const std::string file = fs::path(d.member).filename().string();
    files.emplace_back(file, backup.member(d.member));
    by_db[d.name] = file;
  }
  const std::string dir = stack::stage_host_files(engine, db.container, files, backup.dir);
  for (auto& [name, file] : by_db) file = dir + "/" + file;
  try {
    stack::LoadReport r = stack::load_dump(engine, db, dir + "/roles.sql", by_db);
    stack::remove_staged(engine, db.container, dir);
    return r;
  } catch (...) {
    stack::remove_staged(engine, db.container, dir);
    throw;
  }
}

void clear_storage(docker::Engine& engine, const std::string& project, const Extracted& backup) {
  if (!backup.manifest.storage) return;
  const Manifest::Storage& s = *backup.manifest.storage;
  const std::string container = stack::running_container(engine, project, s.service);
  docker::ExecResult r = engine.exec(
      container,
      docker::ExecSpec{.cmd = {"/bin/sh", "-c",
                               "for f in \"$1\"/* \"$1\"/.[!.]* \"$1\"/..?*; do "
                               "if [ -e \"$f\" ] || [ -L \"$f\" ]; then rm -rf -- \"$f\" || exit 1; fi; done",
                               "sh", s.path},
                       .env = {},
                       .user = {},
                       .working_dir = {},
                       .tty = false});
  if (r.exit_code != 0) {
    throw Error(fmt::format("could not empty {} in the {} container: {}", s.path, s.service, r.err));
  }
}

void restore_storage(docker::Engine& engine, const std::string& project, const Extracted& backup) {
  if (!backup.manifest.storage) return;
  const Manifest::Storage& s = *backup.manifest.storage;
  const std::string& service = s.service;
  std::vector<docker::ContainerSummary> cs;
  for (docker::ContainerSummary& c : stack::list_stack_containers(engine, project)) {  // stopped ones too
    if (docker::label_of(c.labels, compose::k_label_service) == service) cs.push_back(std::move(c));
  }
  if (cs.empty()) {
    throw Error(fmt::format("{} has no {} container to restore the storage files into", project, service),
                ExitCode::not_found, fmt::format("enable storage in instance.yaml and run `supactl up {}`", project));
  }
  // The Engine's tar holds the folder itself ("data/..."): extract it into the parent.
  const fs::path path = s.path;
  const std::string parent = path.parent_path().empty() ? std::string("/") : path.parent_path().string();
  engine.put_archive_file(cs.front().id, parent, backup.member(s.member));
}

Comparison compare_with_manifest(docker::Engine& engine, const std::string& project, const Extracted& backup,
                                 const fs::path& scratch) {
  Comparison c;
  const stack::PgTarget db = db_target(engine, project);
  std::map<std::string, int64_t> now = stack::row_counts(engine, db, counted_schemas());
  for (const auto& [table, want] : backup.manifest.row_counts) {
    ++c.tables;
    auto it = now.find(table);
    if (it == now.end()) {
      c.row_diffs.push_back(fmt::format("{}: {} rows in the backup, table missing now", table, want));
    } else if (it->second != want) {
      c.row_diffs.push_back(fmt::format("{}: {} rows in the backup, {} now", table, want, it->second));
    }
  }
  if (!backup.manifest.row_checksums.empty()) {
    const std::map<std::string, std::string> sums = stack::row_checksums(engine, db, counted_schemas());
    for (const auto& [table, want] : backup.manifest.row_checksums) {
      ++c.checksums;
      auto it = sums.find(table);
      // A missing table is a row difference already.
      if (it != sums.end() && it->second != want) {
        c.checksum_diffs.push_back(
            fmt::format("{}: content differs from the backup (checksum {} now, {} in the "
                        "backup)",
                        table, it->second, want));
      }
    }
  }
  if (backup.manifest.storage) {
    const Manifest::Storage& s = *backup.manifest.storage;
    c.files_expected = s.files;
    const std::string container = stack::running_container(engine, project, s.service);
    TempDir count_dir(scratch, "count-");
    ArchiveBuilder counter(count_dir.path());
    counter.add_stream("now.tar", [&](const auto& out) { engine.get_archive(container, s.path, out); });
    c.files_now = count_tar_files(counter.staged("now.tar"));
  }
  return c;
}

// --- the off-site store ----------------------------------------------------------------------

Remote remote_at(const S3Location& location, const std::string& credentials_flag, const std::string& configured) {
  return Remote{.location = location,
                .client = S3Client(S3Settings::from_file(s3_credentials_path(credentials_flag, configured)))};
}

std::optional<Remote> remote_of(const config::InstanceSpec& spec, const std::string& credentials_flag) {
  if (spec.backup.target.empty()) return std::nullopt;
  return remote_at(S3Location::parse(spec.backup.target), credentials_flag, spec.backup.credentials);
}

std::vector<BackupFile> list_remote_backups(Remote& remote, const std::string& name) {
  const std::string prefix = remote.location.key(name + "-");
  std::vector<BackupFile> out;
  for (const S3Object& o : remote.client.list(remote.location.bucket, prefix)) {
    const std::string file = o.key.substr(o.key.rfind('/') == std::string::npos ? 0 : o.key.rfind('/') + 1);
    if (remote.location.key(file) != o.key || !backup_time(file, name)) continue;
    if (has_archive_suffix(file)) out.push_back({.path = file, .size = o.size});
  }
  std::sort(out.begin(), out.end(), [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace supactl::backup
