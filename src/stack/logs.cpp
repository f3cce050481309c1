// SPDX-License-Identifier: Apache-2.0
//
// `logs`: one stream per container (in parallel when following), demultiplexed by the
// Engine client, split into lines and prefixed with `service-n |` so several services read
// as one stream. Output is serialised through one mutex; a partial line is held back until
// its newline arrives.
#include <supactl/stack/stack.hpp>

#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>

namespace supactl::stack {
namespace {

constexpr const char* k_colors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m",
                                    "\033[34m", "\033[96m", "\033[93m", "\033[92m"};

}  // namespace

void logs(docker::Engine& engine, const LogsRequest& request, const std::function<void(std::string_view)>& out) {
  std::vector<docker::ContainerSummary> containers = list_stack_containers(engine, request.project);
  if (!request.services.empty()) {
    std::erase_if(containers, [&](const docker::ContainerSummary& c) {
      std::string svc = docker::label_of(c.labels, compose::k_label_service);
      return std::find(request.services.begin(), request.services.end(), svc) == request.services.end();
    });
  }
  if (containers.empty()) {
    throw Error(request.services.empty()
                    ? fmt::format("instance {} has no containers", request.project)
                    : fmt::format("instance {} has no container for the given services", request.project),
                ExitCode::not_found, fmt::format("run `supactl up {}` first", request.project));
  }
  std::sort(containers.begin(), containers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });

  size_t width = 0;
  std::vector<std::string> prefixes;
  for (const auto& c : containers) {
    std::string p = fmt::format("{}-{}", docker::label_of(c.labels, compose::k_label_service),
                                docker::label_of(c.labels, compose::k_label_number));
    width = std::max(width, p.size());
    prefixes.push_back(p);
  }
  std::mutex out_mutex;
  auto stream_one = [&](size_t i) {
    std::string prefix = fmt::format("{:<{}} | ", prefixes[i], width);
    if (request.color) prefix = std::string(k_colors[i % std::size(k_colors)]) + prefix + "\033[0m";
    std::string pending[2];
    auto flush_lines = [&](std::string& buf, bool all) {
      size_t start = 0;
      std::string text;
      while (true) {
        size_t nl = buf.find('\n', start);
        if (nl == std::string::npos) break;
        text += prefix;
        text.append(buf, start, nl - start + 1);
        start = nl + 1;
      }
      if (all && start < buf.size()) {
        text += prefix + buf.substr(start) + "\n";
        start = buf.size();
      }
      buf.erase(0, start);
      if (!text.empty()) {
        std::lock_guard<std::mutex> lock(out_mutex);
        out(text);
      }
    };
    engine.logs(containers[i].id, request.options, [&](docker::StreamKind kind, std::string_view chunk) {
      std::string& buf = pending[kind == docker::StreamKind::stderr_ ? 1 : 0];
      buf.append(chunk);
      flush_lines(buf, false);
      return true;
    });
    flush_lines(pending[0], true);
    flush_lines(pending[1], true);
  };

  if (!request.options.follow) {
    for (size_t i = 0; i < containers.size(); ++i) stream_one(i);
    return;
  }
  std::vector<std::thread> threads;
  std::vector<std::string> errors(containers.size());
  for (size_t i = 0; i < containers.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        stream_one(i);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

int64_t parse_since(const std::string& text, int64_t now) {
  if (text.empty()) return 0;
  auto bad = [&] {
    return Error(fmt::format("cannot read --since `{}`", text), ExitCode::usage,
                 "use unix seconds, RFC 3339 (2026-11-25T10:00:00Z) or a duration like 30s, 10m, 2h, 1d");
  };
  if (std::all_of(text.begin(), text.end(), ::isdigit)) return std::strtoll(text.c_str(), nullptr, 10);
  char unit = text.back();
  std::string number = text.substr(0, text.size() - 1);
  if (!number.empty() && std::all_of(number.begin(), number.end(), ::isdigit) &&
      (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd')) {
    int64_t n = std::strtoll(number.c_str(), nullptr, 10);
    int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    return now - n * mult;
  }
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) throw bad();
  if (*rest == 'Z' || *rest == '\0') return static_cast<int64_t>(::timegm(&tm));
  throw bad();
}

}  // namespace supactl::stack
