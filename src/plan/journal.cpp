// SPDX-License-Identifier: Apache-2.0
//
// The executor's journal (see journal.hpp). One line per event, appended with one write(2)
// so a kill never leaves half a line that parses: "start ID TYPE TIMEOUT TARGET" and
// "done ID". Targets are container, network, volume or image names, which hold no spaces.
#include <supactl/plan/journal.hpp>

#include <supactl/core/fd.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>
#include <map>
#include <sstream>

namespace supactl::plan {

Journal::Journal(std::filesystem::path path) : m_path(std::move(path)) {
  if (m_path.empty()) return;
  m_fd = core::open_fd(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600).release();
  if (m_fd < 0) spdlog::debug("journal {}: cannot write it; running without", m_path.string());
}

Journal::~Journal() {
  if (m_fd >= 0) ::close(m_fd);
}

void Journal::started(const Operation& op) {
  if (m_fd < 0 || !op.is_write()) return;
  const std::string line =
      fmt::format("start {} {} {} {}\n", op.id, static_cast<int>(op.type), op.timeout_s, op.target);
  std::lock_guard<std::mutex> lock(m_mutex);
  m_open.insert(op.id);
  core::write_all(m_fd, line);
}

void Journal::finished(const Operation& op) {
  if (m_fd < 0 || !op.is_write()) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_open.erase(op.id);
  core::write_all(m_fd, fmt::format("done {}\n", op.id));
}

void Journal::close() {
  if (m_fd < 0) return;
  ::close(m_fd);
  m_fd = -1;
  if (!m_open.empty()) {
    spdlog::debug("journal {}: {} call(s) cut short; kept for the next run", m_path.string(), m_open.size());
    return;
  }
  std::error_code ec;
  std::filesystem::remove(m_path, ec);
}

std::vector<PendingOp> Journal::pending(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return {};
  std::map<int, PendingOp> open;
  std::istringstream in(core::read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string event;
    int id = 0;
    if (!(words >> event >> id)) continue;
    if (event == "done") {
      open.erase(id);
      continue;
    }
    int type = 0;
    PendingOp op;
    if (event != "start" || !(words >> type >> op.timeout_s >> op.target)) continue;
    op.id = id;
    op.type = static_cast<OpType>(type);
    open[id] = op;
  }
  std::vector<PendingOp> out;
  out.reserve(open.size());
  for (auto& [id, op] : open) out.push_back(std::move(op));
  return out;
}

int finish_interrupted(docker::Engine& engine, const std::filesystem::path& path) {
  int finished = 0;
  for (const PendingOp& op : Journal::pending(path)) {
    // A create, start or rename takes milliseconds: what it did is there when we observe.
    if (op.type != OpType::stop_container && op.type != OpType::remove_container) continue;
    try {
      if (op.type == OpType::stop_container) {
        engine.stop_container(op.target, op.timeout_s);
      } else {
        engine.remove_container(op.target, /*force=*/true, /*remove_volumes=*/false);
      }
      ++finished;
      spdlog::info("finished {} {}, left under way by an interrupted run", to_string(op.type), op.target);
    } catch (const docker::EngineError& e) {
      if (e.kind() != docker::ErrorKind::not_found && e.kind() != docker::ErrorKind::conflict) throw;
    }
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return finished;
}

}  // namespace supactl::plan
