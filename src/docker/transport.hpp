// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to src/docker: HTTP/1.1 to the Engine with libcurl, over a Unix socket
// (CURLOPT_UNIX_SOCKET_PATH) or TCP with optional TLS client certificates. One easy handle
// per thread and transport, so connections are kept alive and several threads can call at
// once. Streams are delivered chunk by chunk and can be stopped by the sink or by Ctrl-C.

#include <supactl/docker/engine.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::docker {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;                            ///< whole body (non-streaming, or an error body)
};

/// Receives body chunks of a successful (< 400) response; return false to stop the stream.
using ChunkSink = std::function<bool(std::string_view)>;

struct HttpRequest {
  std::string method = "GET";
  std::string path;  ///< with query, e.g. "/v1.41/containers/json?all=1"
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::string> headers;  ///< extra "Name: value" lines
  std::string upload_file;           ///< when set, the body is streamed from this file
  ChunkSink sink;                    ///< when set, the body is streamed to it
  long timeout_ms = 0;               ///< 0 = none (streams)
};

class Transport {
 public:
  explicit Transport(Endpoint endpoint);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Performs one request. Throws EngineError(connection|permission|cancelled|timeout) when
  /// no HTTP response could be had; HTTP error statuses are returned, not thrown.
  HttpResponse perform(const HttpRequest& request);

  /// A request whose connection the Engine upgrades to a raw two-way stream (exec start with
  /// standard input): sends `input` up, then half-closes (the process sees EOF), and passes
  /// everything that comes down to `sink` until the Engine closes. Unix socket and plain TCP
  /// only. Returns the HTTP status (101 or 200 on success).
  long hijack(const HttpRequest& request, std::string_view input, const ChunkSink& sink) {
    return hijack(request, input, -1, {}, sink);
  }
  /// The same, with the input read from `input_fd` (after `input`) until it ends, and
  /// `on_open` called once the stream is open (e.g. to size the exec's terminal).
  long hijack(const HttpRequest& request, std::string_view input, int input_fd, const std::function<void()>& on_open,
              const ChunkSink& sink);

  const Endpoint& endpoint() const { return m_endpoint; }
  uint64_t request_count() const { return m_requests.load(); }

 private:
  void configure_connection(void* curl, const std::string& url) const;

  Endpoint m_endpoint;
  std::string m_base_url;     ///< "http://localhost" or "https://host:port"
  std::string m_socket_path;  ///< for unix://
  std::atomic<uint64_t> m_requests{0};
  uint64_t m_id;  ///< distinguishes transports in the per-thread handle cache
};

/// Percent-encodes `s` for a query string.
std::string url_encode(std::string_view s);

}  // namespace supactl::docker
