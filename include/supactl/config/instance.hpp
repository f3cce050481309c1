// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <supactl/config/spec.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/ports/ports.hpp>
#include <supactl/secrets/secrets_file.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace supactl::config {

/// One instance as found on disk: its folder, spec and secrets.
struct Instance {
  std::string name;
  std::filesystem::path dir;  ///< HOME/instances/NAME
  InstanceSpec spec;
  secrets::Secrets secrets;

  std::filesystem::path spec_file() const { return dir / "instance.yaml"; }
  std::filesystem::path secrets_file() const { return dir / "secrets.env"; }
  std::filesystem::path rendered_dir() const { return dir / "rendered"; }
  /// The user's own compose overrides (never written by supactl).
  std::filesystem::path override_file() const { return dir / "compose.override.yml"; }
  /// Present while a restore has not verified its data (holds the archive's path): the
  /// instance is "restoring", `up` refuses and `restore` may resume.
  std::filesystem::path restoring_file() const { return dir / ".restoring"; }
  /// The new secrets of a `secrets rotate --postgres` whose database change may have
  /// happened (0600); present only until secrets.env holds them.
  std::filesystem::path rotating_file() const { return dir / "secrets.env.rotating"; }
  /// The journal of the plan being executed (plan/journal.hpp); left behind by a killed run.
  std::filesystem::path journal_file() const { return dir / k_journal_name; }
  static constexpr const char* k_journal_name = ".journal";
  /// Per-function settings of Edge Functions: verify_jwt, environment and secrets (0600;
  /// config/function_settings.hpp).
  std::filesystem::path function_settings_file() const { return dir / "functions.json"; }
};

/// Refuses an instance's compose.override.yml when it hands the host to a container: a bind
/// mount from outside the instance folder (the Docker socket, `/`, ...), `privileged`,
/// `cap_add`, `devices`, `network_mode`/`pid`/`ipc`/`uts`/`userns_mode: host`, an
/// `unconfined` AppArmor or seccomp profile, or a db port published beyond 127.0.0.1 --
/// unless instance.yaml says `overrides.allow_host_access: true`. Throws
/// supactl::Error(usage) naming the key. Nothing to check when there is no override file.
void check_override(const Instance& inst);

/// The lock file of the instance in folder `dir` (the one place that names it).
inline std::filesystem::path lock_file(const std::filesystem::path& dir) { return dir / ".lock"; }

/// Takes instance `name`'s lock (folder `dir`): one command that changes an instance at a
/// time. Waits up to `wait_s` seconds, then throws supactl::Error(conflict) naming the holder.
inline core::FileLock lock_instance(const std::filesystem::path& dir, const std::string& name, int wait_s) {
  return core::FileLock(lock_file(dir), "instance " + name, wait_s);
}

/// The archive a restore of `inst` started from and has not yet verified, or "" when none.
std::string restoring_from(const Instance& inst);

/// Loads instance `name` of `home`: validates the name, parses instance.yaml (errors with
/// line numbers) and secrets.env, and checks the secrets. Throws supactl::Error:
/// ExitCode::not_found (hint "run `supactl init NAME`") when the instance does not exist,
/// ExitCode::usage for a malformed file.
Instance load_instance(const std::filesystem::path& home, const std::string& name);

/// Names of the instances of `home` (folders holding an instance.yaml), sorted.
std::vector<std::string> list_instances(const std::filesystem::path& home);

/// Host ports promised to the instances of `home` other than `except` (from their
/// instance.yaml; an unreadable one is skipped with a warning).
ports::ReservedPorts reserved_ports(const std::filesystem::path& home, const std::string& except);

/// The instance of `home` other than `except` whose `domain` is `domain` (compared without
/// regard to case), or "" when there is none. `localhost` and "" never belong to one instance:
/// every instance made without --domain has them. An instance whose instance.yaml does not load
/// is skipped.
std::string domain_owner(const std::filesystem::path& home, const std::string& domain, const std::string& except);

/// Throws supactl::Error(conflict) when another instance of `home` than `name` claims `domain`
/// (domain_owner): "domain D is already used by instance OWNER", with the hint `fix` (what the
/// caller's user can change) or `supactl rm OWNER`.
void refuse_taken_domain(const std::filesystem::path& home, const std::string& name, const std::string& domain,
                         const std::string& fix);

/// Writes `spec` to `path` atomically (0644).
void save_spec(const std::filesystem::path& path, const InstanceSpec& spec);

/// What `init` needs besides the name.
struct CreateOptions {
  std::string domain;      ///< empty = localhost
  std::string registry;    ///< empty = none
  std::string public_url;  ///< empty = derived from the domain and ports (instance.yaml `public_url`)
  std::string edge;        ///< "" or "own" = its own Caddy; "shared" = behind the shared edge
  bool swarm = false;      ///< engine.mode: swarm
  ports::PortRequest ports;
  std::vector<std::string> exclude;  ///< optional services to switch off
  std::vector<std::string> enable;   ///< optional services to switch on
};

/// Creates instance `name` in `home`: allocates host ports (under a lock on the instances
/// folder, against the other instances and the host), generates secrets at `now`, and writes
/// instance.yaml and secrets.env into a temporary folder that is renamed into place, so a
/// failure leaves nothing behind. Throws supactl::Error: usage (bad name or option), conflict
/// (instance exists, port taken, a domain another instance has), failure (home not writable). An existing instance is
/// never touched.
Instance create_instance(const std::filesystem::path& home, const std::string& name, const CreateOptions& options,
                         const ports::PortRange& range, const ports::PortProbe& probe, std::int64_t now);

/// Whether instance `name` of `home` exists and runs on a swarm (engine.mode: swarm). An
/// instance folder that cannot be read counts as standalone (down and rm must still work).
bool is_swarm_instance(const std::filesystem::path& home, const std::string& name);

}  // namespace supactl::config
