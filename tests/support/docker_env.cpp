// SPDX-License-Identifier: Apache-2.0
//
// Test support for the real Engine. The test image is built offline: a folder with Debian's
// static busybox and its applet links, tarred and imported, so no registry is needed.
#include "support/docker_env.hpp"

#include <supactl/compose/model.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace supactl::test {

docker::Engine* shared_engine(std::string* why) {
  static std::once_flag once;
  static std::unique_ptr<docker::Engine> engine;
  static std::string error;
  std::call_once(once, [] {
    try {
      engine = docker::connect(docker::resolve_endpoint());
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  if (why != nullptr) *why = error;
  return engine.get();
}

int run_shell(const std::string& command, std::string* out) {
  std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::string text;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  int status = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_shell_reporting(const std::string& command, std::string* out) {
  run_shell(command + "; echo \"exit=$?\"", out);
  const size_t at = out->rfind("exit=");
  if (at == std::string::npos) return -1;
  const int code = std::atoi(out->c_str() + at + 5);
  out->erase(at);
  return code;
}

bool kit_registry_answers() {
  return run_shell(std::string("curl -fsS --max-time 3 -o /dev/null http://") + k_kit_registry + "/v2/") == 0;
}

void ensure_test_image() {
  docker::Engine* engine = shared_engine();
  if (engine == nullptr) throw std::runtime_error("no Engine");
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  if (engine->inspect_image(k_test_image)) return;
  std::string out;
  const std::string script =
      "set -e; d=$(mktemp -d); mkdir -p $d/bin $d/tmp $d/data $d/etc; cp /bin/busybox $d/bin/busybox; "
      "for a in sh ash cat echo sleep test ls mkdir touch wget nc httpd env printf grep head tail rm true false kill "
      "id "
      "hostname date seq wc sort tee; do ln -s busybox $d/bin/$a; done; "
      "echo 'root:x:0:0:root:/:/bin/sh' > $d/etc/passwd; "
      "tar -C $d -c . | docker import -c 'ENV PATH=/bin' - " +
      std::string(k_test_image) + " >/dev/null; rm -rf $d";
  if (run_shell(script, &out) != 0) throw std::runtime_error("cannot import the test image: " + out);
}

const std::string& run_id() {
  static const std::string id = [] {
    std::random_device rd;
    const std::string letters = "abcdefghijklmnopqrstuvwxyz";
    const std::string chars = letters + "0123456789";
    std::string s(1, letters[rd() % letters.size()]);
    while (s.size() < 6) s += chars[rd() % chars.size()];
    return s;
  }();
  return id;
}

docker::Labels test_labels() { return {{k_test_label, "1"}, {k_run_label, run_id()}}; }

std::string unique_name(const std::string& suffix) { return "supactl-it-" + run_id() + "-" + suffix; }

std::string instance_name(const std::string& prefix) { return prefix + run_id(); }

int run_command(const std::string& command, std::string* out, std::string* err) {
  // Under $TMPDIR (the mutation run gives each shard its own, removed after it, since a shard
  // it stops never reaches the unlink below).
  std::string path = (std::filesystem::temp_directory_path() / "supactl-test-stderr-XXXXXX").string();
  int fd = ::mkstemp(path.data());
  if (fd < 0) return -1;
  ::close(fd);
  std::string cmd = "(" + command + ") 2>'" + path + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    ::unlink(path.c_str());
    return -1;
  }
  std::array<char, 4096> buf{};
  std::string text;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  int status = ::pclose(p);
  std::string errors;
  if (FILE* f = std::fopen(path.c_str(), "rb"); f != nullptr) {
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) errors.append(buf.data(), n);
    std::fclose(f);
  }
  ::unlink(path.c_str());
  if (out != nullptr) *out = text;
  if (err != nullptr) *err = errors;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool eventually(const std::string& command, std::chrono::seconds limit, std::string* last) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::string out;
    const int rc = run_shell(command, &out);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (last != nullptr) *last = out;
    if (rc == 0) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void remove_test_objects(const std::string& project_prefix) {
  docker::Engine* engine = shared_engine();
  if (engine == nullptr) return;
  const bool by_project = !project_prefix.empty() && project_prefix.find(run_id()) != std::string::npos;
  const std::string kit_prefix = unique_name("");
  auto ours = [&](const docker::Labels& labels) {
    if (auto r = labels.find(k_run_label); r != labels.end() && r->second == run_id()) return true;
    if (auto t = labels.find(k_test_label); t != labels.end() && t->second.rfind(kit_prefix, 0) == 0) return true;
    auto p = labels.find(compose::k_label_project);
    return by_project && p != labels.end() && p->second.rfind(project_prefix, 0) == 0;
  };
  // Best effort, one object at a time: one that cannot go (already being removed, say) must
  // not leave the others behind.
  auto each = [](const auto& remove) {
    try {
      remove();
    } catch (const std::exception&) {
    }
  };
  each([&] {
    for (const auto& c : engine->list_containers({}, true)) {
      if (ours(c.labels)) each([&] { engine->remove_container(c.id, true, false); });
    }
  });
  each([&] {
    for (const auto& n : engine->list_networks({})) {
      if (ours(n.labels)) each([&] { engine->remove_network(n.id); });
    }
  });
  each([&] {
    for (const auto& v : engine->list_volumes({})) {
      if (ours(v.labels)) each([&] { engine->remove_volume(v.name, true); });
    }
  });
}

}  // namespace supactl::test
