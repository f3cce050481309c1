// SPDX-License-Identifier: Apache-2.0
//
// The Postgres side of `supactl db failover`: pg_control of a stopped cluster, fencing a
// former primary's volume, promotion. A stopped container's volume is read and written through
// a container created on it and never started (the Engine's archive endpoint mounts a
// container's volumes), so no shell or tool of the image is needed while Postgres is down.
#include <supactl/stack/failover.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/stack/standby.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <functional>

namespace supactl::stack {
namespace {

constexpr const char* k_pgdata = "/var/lib/postgresql/data";

template <typename T>
T read_le(std::string_view bytes, size_t offset) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return v;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// Runs `fn` with a container created (never started) on `service`'s data volume.
void on_data_volume(docker::Engine& engine, const std::string& project, const std::string& service,
                    const std::string& image, const std::function<void(const std::string&)>& fn) {
  on_volume(engine, fmt::format("supactl-{}-{}-volume", project, service), image, data_volume_name(project, service),
            k_pgdata, fn);
}

}  // namespace

void with_helper_container(docker::Engine& engine, const docker::ContainerSpec& spec,
                           const std::function<void(const std::string&)>& fn) {
  try {
    engine.remove_container(spec.name, true, false);
  } catch (const docker::EngineError& e) {
    if (e.kind() != docker::ErrorKind::not_found) throw;
  }
  const std::string id = engine.create_container(spec);
  try {
    fn(id);
  } catch (...) {
    try {
      engine.remove_container(id, true, false);
    } catch (const std::exception& e) {
      spdlog::warn("could not remove the helper container {}: {}", spec.name, e.what());
    }
    throw;
  }
  engine.remove_container(id, true, false);
}

void on_volume(docker::Engine& engine, const std::string& helper, const std::string& image, const std::string& volume,
               const std::string& target, const std::function<void(const std::string&)>& fn) {
  docker::ContainerSpec spec;
  spec.name = helper;
  spec.image = image;
  spec.entrypoint = std::vector<std::string>{"true"};
  spec.mounts.push_back(docker::Mount{.type = docker::Mount::Type::volume,
                                      .source = volume,
                                      .target = target,
                                      .read_only = false,
                                      .content_digest = {}});
  with_helper_container(engine, spec, fn);
}

ControlData parse_pg_control(std::string_view bytes) {
  // ControlFileData: uint64 system_identifier; uint32 pg_control_version; uint32
  // catalog_version_no; DBState state (int); [4 bytes of padding]; pg_time_t time; XLogRecPtr
  // checkPoint; ... The order and sizes of these fields are the same from PostgreSQL 11 to 17.
  if (bytes.size() < 40) {
    throw Error(fmt::format("pg_control is {} bytes, too short to be one", bytes.size()));
  }
  ControlData c;
  c.version = read_le<std::uint32_t>(bytes, 8);
  if (c.version < 1100 || c.version > 1799) {
    throw Error(fmt::format("pg_control version {} is not one supactl reads (PostgreSQL 11 to 17)", c.version));
  }
  c.state = static_cast<int>(read_le<std::uint32_t>(bytes, 16));
  c.checkpoint = read_le<std::uint64_t>(bytes, 32);
  return c;
}

std::string format_lsn(std::uint64_t lsn) {
  return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32), static_cast<std::uint32_t>(lsn));
}

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8) {
    return std::nullopt;
  }
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == slash) continue;
    const char ch = text[i];
    int d = -1;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    if (d < 0) return std::nullopt;
    std::uint64_t& part = i < slash ? hi : lo;
    part = part * 16 + static_cast<std::uint64_t>(d);
  }
  return (hi << 32) | lo;
}

std::string data_volume_name(const std::string& project, const std::string& service) {
  return fmt::format("{}_{}", project, data_volume_of(service));
}

ControlData read_pg_control(docker::Engine& engine, const std::string& project, const std::string& service,
                            const std::string& image) {
  std::string tar;
  on_data_volume(engine, project, service, image, [&](const std::string& id) {
    engine.get_archive(id, std::string(k_pgdata) + "/global/pg_control",
                       [&](std::string_view chunk) { tar.append(chunk); });
  });
  return parse_pg_control(docker::first_file_in_tar(tar));
}

std::string fence_postgres(docker::Engine& engine, const std::string& project, const std::string& service,
                           const std::string& image, const std::string& why) {
  for (const docker::ContainerSummary& c : list_stack_containers(engine, project)) {
    if (docker::label_of(c.labels, compose::k_label_service) != service) continue;
    // docker stop sends the image's STOPSIGNAL (SIGINT: Postgres' fast shutdown) and marks
    // the container stopped by hand, so its restart policy does not bring it back.
    if (c.run_state() == docker::RunState::running || c.run_state() == docker::RunState::restarting) {
      engine.stop_container(c.id, 60);
    }
    engine.remove_container(c.id, true, false);
  }
  on_data_volume(engine, project, service, image, [&](const std::string& id) {
    engine.put_archive(id, k_pgdata,
                       docker::make_tar({{.path = "standby.signal", .content = "", .mode = 0600},
                                         {.path = k_fenced_marker, .content = why + "\n", .mode = 0600}}));
  });
  return data_volume_name(project, service);
}

void promote(docker::Engine& engine, const std::string& project, const std::string& service, int wait_s) {
  const PgTarget target{.container = running_container(engine, project, service)};
  const std::string done = trimmed(query(engine, target, fmt::format("SELECT pg_promote(true, {})", wait_s)));
  const std::string recovering = trimmed(query(engine, target, "SELECT pg_is_in_recovery()"));
  if (done != "t" || recovering != "f") {
    throw Error(
        fmt::format("{} of {} did not finish its promotion within {} s", service, project, wait_s), ExitCode::unhealthy,
        fmt::format("see `supactl logs {} {}`; `supactl db failover {}` tries again", project, service, project));
  }
}

std::optional<std::uint64_t> replayed_lsn(docker::Engine& engine, const std::string& project,
                                          const std::string& service) {
  try {
    const PgTarget target{.container = running_container(engine, project, service)};
    return parse_lsn(trimmed(query(engine, target, "SELECT pg_last_wal_replay_lsn()")));
  } catch (const Error& e) {
    spdlog::debug("replay position of {}: {}", service, e.what());
    return std::nullopt;
  }
}

std::vector<std::string> failover_steps(const std::string& project, const std::string& from, const std::string& to,
                                        bool switchover) {
  std::vector<std::string> steps;
  if (switchover) {
    steps.push_back(fmt::format("wait until {} has replayed all that {} wrote (replay lag 0)", to, from));
    steps.push_back(
        fmt::format("stop {} cleanly (fast shutdown: it sends its last WAL to {} before it exits)", from, to));
    steps.push_back(
        fmt::format("check that {} shut down cleanly and that {} replayed past its shutdown checkpoint (no committed "
                    "transaction lost), else start {} again and stop",
                    from, to, from));
  } else {
    steps.push_back(fmt::format("stop {} if it still runs", from));
  }
  steps.push_back(
      fmt::format("fence {}: remove its container, write standby.signal and {} into volume {} (it never "
                  "starts as a primary again)",
                  from, k_fenced_marker, data_volume_name(project, from)));
  steps.push_back(fmt::format("promote {} (pg_promote)", to));
  steps.push_back(fmt::format("instance.yaml: db.primary: {}, db.standby: false", to));
  steps.push_back(fmt::format("render and converge: the services that read the database host connect to {}", to));
  return steps;
}

}  // namespace supactl::stack
