// SPDX-License-Identifier: Apache-2.0
//
// Where the Engine is, decided the way the docker CLI decides it, plus the sockets people
// actually have: --host → DOCKER_HOST → DOCKER_CONTEXT → currentContext in the docker config
// → rootless socket → default socket → Podman. Only the environment and files are read.
#include <supactl/core/sha256.hpp>
#include <supactl/docker/engine.hpp>

#include <supactl/core/fs.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>

namespace supactl::docker {
namespace {

namespace fs = std::filesystem;

fs::path docker_config_dir() {
  std::string dir = core::env_or("DOCKER_CONFIG");
  if (!dir.empty()) return dir;
  return fs::path(core::env_or("HOME", "/root")) / ".docker";
}

void apply_tls_env(Endpoint& e) {
  std::string verify = core::env_or("DOCKER_TLS_VERIFY");
  std::string certs = core::env_or("DOCKER_CERT_PATH");
  if (!verify.empty() || !certs.empty()) {
    e.tls = e.host.rfind("tcp://", 0) == 0;
    e.tls_verify = !verify.empty();
    e.cert_path = certs.empty() ? docker_config_dir().string() : certs;
  }
}

/// Endpoint of docker context `name`, from its metadata file.
Endpoint from_context(const std::string& name, const std::string& why) {
  const fs::path base = docker_config_dir() / "contexts";
  const std::string id = core::sha256_hex(name);
  const fs::path meta = base / "meta" / id / "meta.json";
  if (!fs::exists(meta)) {
    throw Error(fmt::format("docker context `{}` ({}) not found: no {}", name, why, meta.string()), ExitCode::usage,
                "run `docker context ls`, or unset DOCKER_CONTEXT");
  }
  nlohmann::json j = nlohmann::json::parse(core::read_file(meta), nullptr, false);
  Endpoint e;
  e.source = fmt::format("context {} ({})", name, why);
  if (j.is_object() && j.contains("Endpoints") && j["Endpoints"].contains("docker")) {
    const auto& d = j["Endpoints"]["docker"];
    e.host = d.value("Host", std::string());
    e.tls_verify = !d.value("SkipTLSVerify", false);
  }
  if (e.host.empty()) throw Error(fmt::format("docker context `{}` has no Docker endpoint", name), ExitCode::usage);
  const fs::path tls = base / "tls" / id / "docker";
  if (fs::exists(tls / "cert.pem")) {
    e.tls = true;
    e.cert_path = tls.string();
  }
  return e;
}

bool socket_exists(const fs::path& p) {
  std::error_code ec;
  return fs::is_socket(p, ec);
}

}  // namespace

Endpoint resolve_endpoint(const std::string& host_flag) {
  Endpoint e;
  const std::string pin = core::env_or("DOCKER_API_VERSION");
  auto finish = [&](Endpoint out) {
    out.api_version_pin = pin;
    return out;
  };
  if (!host_flag.empty()) {
    e.host = host_flag;
    e.source = "--host";
    apply_tls_env(e);
    return finish(e);
  }
  if (std::string h = core::env_or("DOCKER_HOST"); !h.empty()) {
    e.host = h;
    e.source = "DOCKER_HOST";
    apply_tls_env(e);
    return finish(e);
  }
  if (std::string c = core::env_or("DOCKER_CONTEXT"); !c.empty() && c != "default") {
    return finish(from_context(c, "DOCKER_CONTEXT"));
  }
  const fs::path config = docker_config_dir() / "config.json";
  if (fs::exists(config)) {
    nlohmann::json j = nlohmann::json::parse(core::read_file(config), nullptr, false);
    if (j.is_object()) {
      std::string current = j.value("currentContext", std::string());
      if (!current.empty() && current != "default")
        return finish(from_context(current, "currentContext in " + config.string()));
    }
  }
  if (std::string run = core::env_or("XDG_RUNTIME_DIR"); !run.empty() && socket_exists(fs::path(run) / "docker.sock")) {
    e.host = "unix://" + (fs::path(run) / "docker.sock").string();
    e.source = "rootless socket in $XDG_RUNTIME_DIR";
    return finish(e);
  }
  if (socket_exists("/var/run/docker.sock")) {
    e.host = "unix:///var/run/docker.sock";
    e.source = "default socket";
    return finish(e);
  }
  std::vector<std::pair<fs::path, std::string>> podman = {{"/run/podman/podman.sock", "Podman socket"}};
  if (std::string run = core::env_or("XDG_RUNTIME_DIR"); !run.empty()) {
    podman.insert(podman.begin(), {fs::path(run) / "podman" / "podman.sock", "rootless Podman socket"});
  }
  for (const auto& [path, why] : podman) {
    if (socket_exists(path)) {
      e.host = "unix://" + path.string();
      e.source = why;
      return finish(e);
    }
  }
  e.host = "unix:///var/run/docker.sock";
  e.source = "default socket (not found)";
  return finish(e);
}

}  // namespace supactl::docker
