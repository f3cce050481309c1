// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl metrics serve`: /metrics over HTTP for Prometheus to scrape, on loopback unless a
// bearer token guards it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace supactl::metrics {

struct ListenAddress {
  std::string host;  ///< as given, brackets of an IPv6 literal removed
  int port = 0;      ///< 0 = any free port
};

/// "HOST:PORT" or "[V6]:PORT" → ListenAddress. Throws supactl::Error(usage) naming the form.
ListenAddress parse_listen(const std::string& text);

/// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& host);

struct ServeOptions {
  ListenAddress listen;
  /// Required as `Authorization: Bearer <token>` when not empty.
  std::string token;
  /// The body of one scrape: the newest snapshot (Refresher::current).
  std::function<std::string()> scrape;
  /// Called once the socket listens, with the port (useful with port 0).
  std::function<void(int port)> on_listening;
};

/// The newest exposition text, refreshed in the background: `metrics serve` answers each scrape
/// from it at once, so a scrape's time does not grow with the number of instances, and the
/// Engine's load does not grow with the number of scrapers (one collection per interval,
/// however many scrape).
class Refresher {
 public:
  /// Starts collecting at once; the next collection starts `interval` after the previous one
  /// started (or as soon as it ends, when it took longer). `stale_after` 0 = three intervals,
  /// at least a minute.
  Refresher(std::function<std::string()> collect, std::chrono::milliseconds interval,
            std::chrono::milliseconds stale_after = std::chrono::milliseconds(0));
  ~Refresher();
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  /// The newest snapshot's text followed by supactl_snapshot_age_seconds and
  /// supactl_collect_failures_total. Waits up to `first_wait` for the first collection. Throws
  /// supactl::Error (with the last collection's error) when no snapshot exists yet or the newest
  /// is older than stale_after(), so the scrape fails and Prometheus' own `up` series says so
  /// instead of old figures passing for new ones.
  std::string current(std::chrono::milliseconds first_wait);

  /// How old the newest snapshot may be before current() refuses it.
  std::chrono::milliseconds stale_after() const { return stale_after_; }

  /// Collections run so far (succeeded or failed).
  uint64_t collections() const;

 private:
  void loop();

  std::function<std::string()> collect_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds stale_after_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::string text_;  ///< the newest successful collection
  std::optional<std::chrono::steady_clock::time_point> taken_;
  std::string last_error_;
  uint64_t collections_ = 0;
  uint64_t failures_ = 0;
  std::thread thread_;
};

/// Throws supactl::Error(usage) naming --token-file when `listen` is off loopback and `token`
/// is empty.
void refuse_open_without_token(const ListenAddress& listen, const std::string& token);

/// Refuses a listen address off loopback without a token (supactl::Error(usage) naming
/// --token-file), then serves GET /metrics (and / with a pointer to it) until Ctrl-C or
/// SIGTERM. A scrape whose `scrape` throws gets 503 with the error. Throws supactl::Error when the address cannot be
/// bound.
void serve(const ServeOptions& options);

/// The token in `path`: its first line, blanks trimmed. Throws supactl::Error(usage) when the
/// file cannot be read, is empty, or can be read by others than its owner.
std::string read_token_file(const std::string& path);

}  // namespace supactl::metrics
