// SPDX-License-Identifier: Apache-2.0
//
// The /metrics endpoint, with cpp-httplib (Debian's libcpp-httplib-dev). A background thread
// collects a snapshot every --interval and scrapes are answered from the newest one: a scrape
// takes microseconds whatever the number of instances, and the Engine sees one collection per
// interval however many scrapers there are. A snapshot too old to trust (the Engine stopped
// answering) fails the scrape rather than passing old figures off as new. Off loopback the
// endpoint is refused unless a bearer token guards it, since the series name every instance
// and service of the host.
#include <supactl/metrics/serve.hpp>

#include <supactl/core/cancel.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/secrets/secrets_file.hpp>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace supactl::metrics {

namespace {

/// Compares without stopping at the first difference (the time taken says nothing of the token).
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % std::max<size_t>(b.size(), 1)]);
  return diff == 0 && !b.empty();
}

}  // namespace

Refresher::Refresher(std::function<std::string()> collect, std::chrono::milliseconds interval,
                     std::chrono::milliseconds stale_after)
    : collect_(std::move(collect)),
      interval_(std::max(interval, std::chrono::milliseconds(1))),
      stale_after_(stale_after.count() > 0
                       ? stale_after
                       : std::max<std::chrono::milliseconds>(3 * interval_, std::chrono::minutes(1))) {
  thread_ = std::thread([this] { loop(); });
}

Refresher::~Refresher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Refresher::loop() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const Clock::time_point started = Clock::now();
    lock.unlock();
    std::string text;
    std::string error;
    try {
      text = collect_();
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    ++collections_;
    if (error.empty()) {
      text_ = std::move(text);
      taken_ = started;
    } else {
      ++failures_;
      last_error_ = error;
      spdlog::warn("metrics: collection failed: {}", error);
    }
    changed_.notify_all();
    changed_.wait_until(lock, started + interval_, [this] { return stopping_; });
  }
}

uint64_t Refresher::collections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return collections_;
}

std::string Refresher::current(std::chrono::milliseconds first_wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, first_wait, [this] { return taken_.has_value() || collections_ > 0; });
  const auto now = std::chrono::steady_clock::now();
  if (!taken_) {
    throw Error(last_error_.empty() ? std::string("the first snapshot is still being collected")
                                    : fmt::format("no snapshot yet: {}", last_error_),
                ExitCode::failure);
  }
  const double age = std::chrono::duration<double>(now - *taken_).count();
  if (now - *taken_ > stale_after_) {
    throw Error(fmt::format("the newest snapshot is {:.0f} s old: {}", age, last_error_), ExitCode::failure);
  }
  return text_ + fmt::format(
                     "# HELP supactl_snapshot_age_seconds Seconds since the snapshot served here was taken "
                     "(metrics serve collects one every --interval).\n"
                     "# TYPE supactl_snapshot_age_seconds gauge\n"
                     "supactl_snapshot_age_seconds {:.3f}\n"
                     "# HELP supactl_collect_failures_total Collections by metrics serve that failed (the "
                     "previous snapshot was kept).\n"
                     "# TYPE supactl_collect_failures_total counter\n"
                     "supactl_collect_failures_total {}\n",
                     age, failures_);
}

ListenAddress parse_listen(const std::string& text) {
  auto bad = [&text] {
    return Error(fmt::format("--listen `{}` is not HOST:PORT", text), ExitCode::usage,
                 "write it like 127.0.0.1:9477 (or [::1]:9477)");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad();
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    throw bad();
  const int port = std::stoi(port_text);
  if (port > 65535) throw bad();
  return ListenAddress{.host = host, .port = port};
}

bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0; }

std::string read_token_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(fmt::format("cannot read the token file {}", path), ExitCode::usage,
                "write the token into it first, e.g. `openssl rand -hex 32 > FILE && chmod 600 FILE`");
  }
  secrets::refuse_if_others_may_read(path);
  std::string token = core::read_file(path);
  token = token.substr(0, token.find('\n'));
  const size_t first = token.find_first_not_of(" \t\r");
  const size_t last = token.find_last_not_of(" \t\r");
  token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
  if (token.empty()) {
    throw Error(fmt::format("the token file {} is empty", path), ExitCode::usage,
                "write the token into it, e.g. `openssl rand -hex 32 > FILE`");
  }
  return token;
}

void refuse_open_without_token(const ListenAddress& listen, const std::string& token) {
  if (!is_loopback(listen.host) && token.empty()) {
    throw Error(fmt::format("metrics would be served on {} without a token", listen.host), ExitCode::usage,
                "add --token-file FILE (scrapers then send `Authorization: Bearer <token>`), or listen on 127.0.0.1");
  }
}

void serve(const ServeOptions& options) {
  refuse_open_without_token(options.listen, options.token);
  httplib::Server server;
  server.Get("/metrics", [&](const httplib::Request& request, httplib::Response& response) {
    if (!options.token.empty()) {
      const std::string header = request.get_header_value("Authorization");
      const std::string prefix = "Bearer ";
      if (header.rfind(prefix, 0) != 0 || !same_secret(header.substr(prefix.size()), options.token)) {
        response.status = 401;
        response.set_header("WWW-Authenticate", "Bearer");
        response.set_content("a bearer token is required\n", "text/plain");
        return;
      }
    }
    try {
      response.set_content(options.scrape(), "text/plain; version=0.0.4; charset=utf-8");
    } catch (const std::exception& e) {
      response.status = 503;
      response.set_content(fmt::format("supactl could not collect metrics: {}\n", e.what()), "text/plain");
    }
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("supactl metrics: see /metrics\n", "text/plain");
  });

  int port = options.listen.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.listen.host);
  } else if (!server.bind_to_port(options.listen.host, port)) {
    port = -1;
  }
  if (port < 0) {
    throw Error(fmt::format("cannot listen on {}:{}", options.listen.host, options.listen.port), ExitCode::failure,
                "is another process using the port? choose another with --listen HOST:PORT");
  }
  if (options.on_listening) options.on_listening(port);
  // Ctrl-C / SIGTERM only set a flag: a watcher stops the server when it is set.
  std::thread watcher([&server] {
    while (!core::cancel_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  server.listen_after_bind();
  core::request_cancel();  // ends the watcher when the server stopped on its own
  watcher.join();
}

}  // namespace supactl::metrics
