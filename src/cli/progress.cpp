// SPDX-License-Identifier: Apache-2.0
//
// The three progress printers. The live one keeps one line per service or image and redraws
// them in place; the plain one writes a timestamped line per finished step; the JSON one
// writes an object per event so scripts can follow along.
#include "cli/progress.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>

namespace supactl::cli {
namespace {

using plan::Operation;
using plan::OpType;

std::string key_of(const Operation& op) {
  if (op.service.empty()) return op.target;
  // A swarm service's operations name the service (number holds its replicas there).
  if (op.type >= OpType::create_config) return op.service;
  return fmt::format("{}-{}", op.service, op.number);
}

const char* verb(OpType t, bool done) {
  switch (t) {
    case OpType::pull_image: return done ? "pulled" : "pulling";
    case OpType::create_network: return done ? "network created" : "creating network";
    case OpType::create_volume: return done ? "volume created" : "creating volume";
    case OpType::create_container: return done ? "created" : "creating";
    case OpType::start_container: return done ? "started" : "starting";
    case OpType::wait_ready: return done ? "ready" : "waiting";
    case OpType::wait_completed: return done ? "completed" : "running job";
    case OpType::stop_container: return done ? "stopped" : "stopping";
    case OpType::remove_container: return done ? "removed" : "removing";
    case OpType::rename_container: return done ? "renamed" : "renaming";
    case OpType::remove_network: return done ? "network removed" : "removing network";
    case OpType::remove_volume: return done ? "volume removed" : "removing volume";
    case OpType::create_config: return done ? "config created" : "creating config";
    case OpType::create_secret: return done ? "secret created" : "creating secret";
    case OpType::create_service: return done ? "service created" : "creating service";
    case OpType::update_service: return done ? "service updated" : "updating service";
    case OpType::remove_service: return done ? "service removed" : "removing service";
    case OpType::remove_config: return done ? "config removed" : "removing config";
    case OpType::remove_secret: return done ? "secret removed" : "removing secret";
    case OpType::update_node: return done ? "node labelled" : "labelling node";
    case OpType::wait_service: return done ? "tasks ready" : "waiting for tasks";
  }
  return "";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

class PlainProgress : public plan::Progress {
 public:
  void op_started(const Operation&) override {}
  void op_finished(const Operation& op, double ms) override {
    line(fmt::format("{} {} ({:.0f} ms)", key_of(op), verb(op.type, true), ms));
  }
  void op_failed(const Operation& op, const std::string& error) override {
    line(fmt::format("{} failed: {}", key_of(op), first_line(error)));
  }
  void pull_progress(const Operation&, const docker::PullProgress&) override {}

 private:
  void line(const std::string& text) {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::lock_guard<std::mutex> lock(m_mutex);
    std::fprintf(stderr, "%s.%03lld %s\n",
                 fmt::format("{:%H:%M:%S}", fmt::localtime(std::chrono::system_clock::to_time_t(now))).c_str(),
                 static_cast<long long>(ms), text.c_str());
  }
  std::mutex m_mutex;
};

class LiveProgress : public plan::Progress {
 public:
  void op_started(const Operation& op) override { set(op, verb(op.type, false)); }
  void op_finished(const Operation& op, double ms) override {
    set(op, fmt::format("{} ({:.0f} ms)", verb(op.type, true), ms));
  }
  void op_failed(const Operation& op, const std::string& error) override {
    set(op, fmt::format("\033[31mfailed\033[0m: {}", first_line(error)));
  }
  void pull_progress(const Operation& op, const docker::PullProgress& p) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& layers = m_layers[op.target];
    if (!p.layer.empty() && p.total > 0) layers[p.layer] = {p.current, p.total};
    int64_t cur = 0;
    int64_t tot = 0;
    for (auto& [id, ct] : layers) {
      cur += ct.first;
      tot += ct.second;
    }
    std::string bar;
    if (tot > 0) {
      int filled = static_cast<int>(20.0 * static_cast<double>(cur) / static_cast<double>(tot));
      bar = fmt::format(" [{}{}] {:.1f}/{:.1f} MB", std::string(static_cast<size_t>(filled), '='),
                        std::string(static_cast<size_t>(20 - filled), ' '), static_cast<double>(cur) / 1e6,
                        static_cast<double>(tot) / 1e6);
    }
    set_locked(key_of(op), "pulling" + bar);
  }

 private:
  void set(const Operation& op, const std::string& text) {
    std::lock_guard<std::mutex> lock(m_mutex);
    set_locked(key_of(op), text);
  }
  void set_locked(const std::string& key, const std::string& text) {
    if (m_lines.count(key) == 0) m_order.push_back(key);
    m_lines[key] = text;
    std::string out;
    if (m_drawn > 0) out += fmt::format("\033[{}A", m_drawn);
    size_t width = 0;
    for (const std::string& k : m_order) width = std::max(width, k.size());
    for (const std::string& k : m_order) out += fmt::format("\033[2K {:<{}}  {}\n", k, width, m_lines[k]);
    m_drawn = m_order.size();
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }
  std::mutex m_mutex;
  std::vector<std::string> m_order;
  std::map<std::string, std::string> m_lines;
  std::map<std::string, std::map<std::string, std::pair<int64_t, int64_t>>> m_layers;
  size_t m_drawn = 0;
};

class JsonProgress : public plan::Progress {
 public:
  void op_started(const Operation& op) override { emit("started", op, {}); }
  void op_finished(const Operation& op, double ms) override { emit("finished", op, {{"ms", ms}}); }
  void op_failed(const Operation& op, const std::string& error) override { emit("failed", op, {{"error", error}}); }
  void pull_progress(const Operation&, const docker::PullProgress&) override {}

 private:
  void emit(const char* event, const Operation& op, nlohmann::json extra) {
    nlohmann::json j = {{"event", event}, {"op", plan::to_string(op.type)}, {"target", op.target}};
    if (!op.service.empty()) {
      j["service"] = op.service;
      j["number"] = op.number;
    }
    // (nlohmann 3.11.2's update() throws on an empty object: merge by hand.)
    if (extra.is_object()) {
      for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    std::cout << j.dump() << '\n' << std::flush;
  }
  std::mutex m_mutex;
};

}  // namespace

std::string describe(const plan::Operation& op) { return key_of(op) + " " + verb(op.type, false); }

std::unique_ptr<plan::Progress> make_progress(const Globals& globals) {
  if (globals.json()) return std::make_unique<JsonProgress>();
  if (::isatty(STDERR_FILENO) && globals.verbosity < 2) return std::make_unique<LiveProgress>();
  return std::make_unique<PlainProgress>();
}

}  // namespace supactl::cli
