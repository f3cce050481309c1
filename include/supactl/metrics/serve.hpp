// SPDX-License-Identifier: Apache-2.0
#pragma once

// `supactl metrics serve`: /metrics over HTTP for Prometheus to scrape, on loopback unless a
// bearer token guards it.

#include <functional>
#include <string>

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
  /// The body of one scrape (collects and formats).
  std::function<std::string()> scrape;
  /// Called once the socket listens, with the port (useful with port 0).
  std::function<void(int port)> on_listening;
};

/// Refuses a listen address off loopback without a token (supactl::Error(usage) naming
/// --token-file), then serves GET /metrics (and / with a pointer to it) until Ctrl-C or
/// SIGTERM. Scrapes run one at a time. Throws supactl::Error when the address cannot be bound.
void serve(const ServeOptions& options);

/// The token in `path`: its first line, blanks trimmed. Throws supactl::Error(usage) when the
/// file cannot be read, is empty, or can be read by others than its owner.
std::string read_token_file(const std::string& path);

}  // namespace supactl::metrics
