// SPDX-License-Identifier: Apache-2.0
//
// libcurl transport to the Docker Engine. Connection failures become EngineErrors whose
// message and hint say what to do (start dockerd, join the docker group, set DOCKER_HOST);
// HTTP statuses are returned to the caller, which maps the Engine's {"message": ...}.
#include "docker/transport.hpp"

#include <supactl/core/cancel.hpp>

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace supactl::docker {
namespace {

std::once_flag g_curl_init;
std::atomic<uint64_t> g_next_transport_id{1};

/// One easy handle per (thread, transport).
struct HandleCache {
  std::unordered_map<uint64_t, CURL*> handles;
  ~HandleCache() {
    for (auto& [id, h] : handles) curl_easy_cleanup(h);
  }
};
thread_local HandleCache t_handles;

struct CallState {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* curl = nullptr;
  bool stopped_by_sink = false;
  FILE* upload = nullptr;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<CallState*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    st->response->headers[name] = value;
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<CallState*>(user);
  long code = 0;
  curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
  std::string_view chunk(data, size * n);
  if (st->request->sink && code < 400) {
    if (!st->request->sink(chunk)) {
      st->stopped_by_sink = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    return size * n;
  }
  st->response->body.append(chunk);
  return size * n;
}

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* st = static_cast<CallState*>(user);
  return std::fread(buffer, 1, size * n, st->upload);
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return core::cancel_requested() ? 1 : 0; }

std::string strip_scheme(const std::string& host, const char* scheme) {
  return host.rfind(scheme, 0) == 0 ? host.substr(std::string(scheme).size()) : host;
}

}  // namespace

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Transport::Transport(Endpoint endpoint) : m_endpoint(std::move(endpoint)), m_id(g_next_transport_id++) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string& host = m_endpoint.host;
  if (host.rfind("unix://", 0) == 0) {
    m_socket_path = strip_scheme(host, "unix://");
    m_base_url = "http://localhost";
  } else if (host.rfind("tcp://", 0) == 0 || host.rfind("http://", 0) == 0 || host.rfind("https://", 0) == 0) {
    std::string rest = host.substr(host.find("://") + 3);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    bool tls = m_endpoint.tls || host.rfind("https://", 0) == 0;
    m_base_url = (tls ? "https://" : "http://") + rest;
  } else {
    throw EngineError(ErrorKind::connection, 0,
                      fmt::format("cannot use Docker host `{}`: only unix:// and tcp:// are supported", host),
                      "set DOCKER_HOST to unix:///path/to/docker.sock or tcp://HOST:PORT");
  }
}

Transport::~Transport() {
  auto it = t_handles.handles.find(m_id);
  if (it != t_handles.handles.end()) {
    curl_easy_cleanup(it->second);
    t_handles.handles.erase(it);
  }
}

void Transport::configure_connection(void* handle, const std::string& url) const {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (!m_socket_path.empty()) curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, m_socket_path.c_str());
  if (m_base_url.rfind("https://", 0) == 0) {
    const std::string dir = m_endpoint.cert_path;
    if (!dir.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, (dir + "/cert.pem").c_str());
      curl_easy_setopt(curl, CURLOPT_SSLKEY, (dir + "/key.pem").c_str());
      curl_easy_setopt(curl, CURLOPT_CAINFO, (dir + "/ca.pem").c_str());
    }
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, m_endpoint.tls_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, m_endpoint.tls_verify ? 2L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
}

namespace {

/// Waits until `fd` is readable or (when `want_write`) writable; 200 ms at most, so Ctrl-C
/// is noticed.
void wait_socket(curl_socket_t fd, bool want_write) {
  pollfd p{.fd = fd, .events = static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), .revents = 0};
  ::poll(&p, 1, 200);
}

}  // namespace

long Transport::hijack(const HttpRequest& request, std::string_view input, int input_fd,
                       const std::function<void()>& on_open, const ChunkSink& sink) {
  if (m_base_url.rfind("https://", 0) == 0) {
    throw EngineError(ErrorKind::unsupported, 0, "exec with standard input is not supported over TLS",
                      "use the local Unix socket, or copy the input into the container first");
  }
  ++m_requests;
  std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
  CURL* curl = handle.get();
  configure_connection(curl, m_base_url + "/");
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  if (CURLcode rc = curl_easy_perform(curl); rc != CURLE_OK) {
    throw EngineError(ErrorKind::connection, 0,
                      fmt::format("cannot connect to the Docker Engine: {}", curl_easy_strerror(rc)));
  }
  curl_socket_t fd = CURL_SOCKET_BAD;
  curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &fd);

  // The upgrade request, by hand: the Engine answers 101 and the connection becomes a raw,
  // two-way stream (stdin up, multiplexed stdout/stderr down).
  std::string head = fmt::format(
      "{} {} HTTP/1.1\r\nHost: docker\r\nUser-Agent: supactl\r\nContent-Type: {}\r\n"
      "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {}\r\n\r\n",
      request.method, request.path, request.content_type, request.body.size());
  std::string out = head + request.body;
  auto send_some = [&](std::string_view& pending) {
    size_t sent = 0;
    CURLcode rc = curl_easy_send(curl, pending.data(), pending.size(), &sent);
    if (rc == CURLE_AGAIN) return;
    if (rc != CURLE_OK)
      throw EngineError(ErrorKind::connection, 0, fmt::format("exec stream: {}", curl_easy_strerror(rc)));
    pending.remove_prefix(sent);
  };
  std::string_view pending = out;
  while (!pending.empty()) {
    if (core::cancel_requested()) throw EngineError(ErrorKind::cancelled, 0, "interrupted");
    send_some(pending);
    if (!pending.empty()) wait_socket(fd, true);
  }

  // Status line and headers; anything after them is already stream data.
  std::string buf;
  char chunk[65536];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    if (core::cancel_requested()) throw EngineError(ErrorKind::cancelled, 0, "interrupted");
    size_t got = 0;
    CURLcode rc = curl_easy_recv(curl, chunk, sizeof(chunk), &got);
    if (rc == CURLE_AGAIN) {
      wait_socket(fd, false);
      continue;
    }
    if (rc != CURLE_OK || got == 0) {
      throw EngineError(ErrorKind::server, 0, "the Docker Engine closed the exec stream before answering");
    }
    buf.append(chunk, got);
    header_end = buf.find("\r\n\r\n");
  }
  long status = 0;
  if (std::sscanf(buf.c_str(), "HTTP/%*s %ld", &status) != 1) status = 0;
  std::string rest = buf.substr(header_end + 4);
  if (status >= 400) return status;
  if (on_open) on_open();
  bool open = true;
  if (!rest.empty() && sink && !sink(rest)) open = false;

  // Stdin up (then half-close, which the Engine passes on as EOF), output down, interleaved so
  // neither side blocks the other. With an input fd, its bytes follow `input` as they come.
  std::string from_fd;
  pending = input;
  bool fd_open = input_fd >= 0;
  bool write_closed = false;
  while (open) {
    if (core::cancel_requested()) throw EngineError(ErrorKind::cancelled, 0, "interrupted");
    if (pending.empty() && fd_open) {
      pollfd p{.fd = input_fd, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 0) > 0) {
        char in[4096];
        ssize_t n = ::read(input_fd, in, sizeof(in));
        if (n > 0) {
          from_fd.assign(in, static_cast<size_t>(n));
          pending = from_fd;
        } else {
          fd_open = false;
        }
      }
    }
    if (!pending.empty()) send_some(pending);
    if (pending.empty() && !fd_open && !write_closed) {
      ::shutdown(fd, SHUT_WR);
      write_closed = true;
    }
    size_t got = 0;
    CURLcode rc = curl_easy_recv(curl, chunk, sizeof(chunk), &got);
    if (rc == CURLE_AGAIN) {
      if (fd_open && pending.empty()) {
        // Wait for either side: the Engine's output or the user's input.
        pollfd both[2] = {{.fd = fd, .events = POLLIN, .revents = 0}, {.fd = input_fd, .events = POLLIN, .revents = 0}};
        ::poll(both, 2, 200);
      } else {
        wait_socket(fd, !pending.empty());
      }
      continue;
    }
    if (rc != CURLE_OK || got == 0) break;  // the process ended and the Engine closed the stream
    if (sink && !sink(std::string_view(chunk, got))) break;
  }
  return status;
}

HttpResponse Transport::perform(const HttpRequest& request) {
  CURL*& curl = t_handles.handles[m_id];
  if (curl == nullptr) {
    curl = curl_easy_init();
  } else {
    curl_easy_reset(curl);  // keeps the live connection
  }
  ++m_requests;
  HttpResponse response;
  CallState st{.request = &request, .response = &response, .curl = curl, .stopped_by_sink = false, .upload = nullptr};

  const std::string url = m_base_url + request.path;
  configure_connection(curl, url);
  if (request.timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);

  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Expect:");
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());

  std::unique_ptr<FILE, int (*)(FILE*)> upload(nullptr, std::fclose);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (!request.upload_file.empty()) {
    upload.reset(std::fopen(request.upload_file.c_str(), "rb"));
    if (!upload) {
      curl_slist_free_all(headers);
      throw EngineError(ErrorKind::bad_request, 0, fmt::format("cannot read {}", request.upload_file));
    }
    struct stat sb {};
    ::stat(request.upload_file.c_str(), &sb);
    st.upload = upload.get();
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &st);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(sb.st_size));
    headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  } else {
    if (request.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method == "POST" || request.method == "PUT") {
      headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  spdlog::trace("engine {} {} -> {} ({})", request.method, request.path, response.status, curl_easy_strerror(rc));

  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && st.stopped_by_sink)) return response;
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw EngineError(ErrorKind::cancelled, 0, "interrupted");
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    // Connected, but no answer in time: an Engine that hangs is as unavailable as one that is
    // gone (exit code 5), whatever the request was.
    throw EngineError(ErrorKind::connection, 0,
                      fmt::format("the Docker Engine did not answer {} {} within {} s", request.method, request.path,
                                  request.timeout_ms / 1000),
                      "check that dockerd runs and is not frozen or overloaded (`supactl doctor`); "
                      "SUPACTL_ENGINE_TIMEOUT sets how long the first request may take");
  }
  if (rc == CURLE_GOT_NOTHING && response.status != 0) return response;
  // No HTTP exchange: say why, and what to do.
  const std::string where = m_socket_path.empty() ? m_endpoint.host : m_socket_path;
  if (!m_socket_path.empty()) {
    struct stat sb {};
    if (::stat(m_socket_path.c_str(), &sb) != 0) {
      throw EngineError(ErrorKind::connection, 0,
                        fmt::format("no Docker Engine socket at {} (chosen from {})", m_socket_path, m_endpoint.source),
                        "start the Engine (`sudo systemctl start docker`, or `sudo dockerd &`), or set DOCKER_HOST to "
                        "where it listens");
    }
    if (::access(m_socket_path.c_str(), R_OK | W_OK) != 0) {
      throw EngineError(ErrorKind::permission, 0,
                        fmt::format("permission denied on the Docker socket {}", m_socket_path),
                        "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), or "
                        "use rootless Docker");
    }
  }
  throw EngineError(
      ErrorKind::connection, 0, fmt::format("cannot reach the Docker Engine at {} ({})", where, curl_easy_strerror(rc)),
      "start the Engine (`sudo systemctl start docker`), or set DOCKER_HOST / --host to where it listens");
}

}  // namespace supactl::docker
