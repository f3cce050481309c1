// SPDX-License-Identifier: Apache-2.0
//
// Incremental stream parsers. The Engine's streams arrive in arbitrary chunks; these keep a
// small buffer and emit only complete frames or lines, so a frame header split across two
// reads is handled like any other.
#include "docker/streams.hpp"

#include <cstdint>

namespace supactl::docker {

bool FrameDemuxer::feed(std::string_view chunk) {
  m_buf.append(chunk);
  if (m_mode == Mode::unknown) {
    if (m_buf.size() < 4) return true;
    const auto b0 = static_cast<unsigned char>(m_buf[0]);
    bool header = b0 <= 3 && m_buf[1] == '\0' && m_buf[2] == '\0' && m_buf[3] == '\0';
    m_mode = header ? Mode::multiplexed : Mode::raw;
  }
  return drain();
}

bool FrameDemuxer::drain() {
  if (m_mode == Mode::raw) {
    if (m_buf.empty()) return true;
    bool go = m_sink(StreamKind::stdout_, m_buf);
    m_buf.clear();
    return go;
  }
  size_t pos = 0;
  bool go = true;
  while (go && m_buf.size() - pos >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(m_buf.data() + pos);
    uint32_t len = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) | (uint32_t{h[6]} << 8) | uint32_t{h[7]};
    if (m_buf.size() - pos - 8 < len) break;
    auto kind = static_cast<StreamKind>(h[0] <= 3 ? h[0] : 1);
    if (kind == StreamKind::stdin_) kind = StreamKind::stdout_;  // type 0 is written to stdout
    go = m_sink(kind, std::string_view(m_buf.data() + pos + 8, len));
    pos += 8 + len;
  }
  m_buf.erase(0, pos);
  return go;
}

bool JsonLines::feed(std::string_view chunk) {
  m_buf.append(chunk);
  size_t start = 0;
  while (true) {
    size_t nl = m_buf.find('\n', start);
    if (nl == std::string::npos) break;
    if (!emit(std::string_view(m_buf).substr(start, nl - start))) {
      m_buf.erase(0, nl + 1);
      return false;
    }
    start = nl + 1;
  }
  m_buf.erase(0, start);
  return true;
}

bool JsonLines::finish() {
  std::string rest;
  rest.swap(m_buf);
  return emit(rest);
}

bool JsonLines::emit(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return true;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return true;  // not JSON: ignore (never seen from a healthy Engine)
  return m_sink(j);
}

std::string stream_line_error(const nlohmann::json& line) {
  if (!line.is_object()) return {};
  auto detail = line.find("errorDetail");
  if (detail != line.end() && detail->is_object()) {
    auto msg = detail->find("message");
    if (msg != detail->end() && msg->is_string() && !msg->get<std::string>().empty()) return msg->get<std::string>();
  }
  auto err = line.find("error");
  if (err != line.end() && err->is_string() && !err->get<std::string>().empty()) return err->get<std::string>();
  if (detail != line.end() && !detail->is_null()) return detail->dump();
  return {};
}

std::string error_message_from_body(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto m = j.find("message");
    if (m != j.end() && m->is_string()) return m->get<std::string>();
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "no message" : text;
}

ErrorKind kind_for_status(long status) {
  if (status == 404) return ErrorKind::not_found;
  if (status == 409) return ErrorKind::conflict;
  if (status == 400) return ErrorKind::bad_request;
  if (status == 401 || status == 403) return ErrorKind::permission;
  if (status == 408 || status == 504) return ErrorKind::timeout;
  return ErrorKind::server;
}

}  // namespace supactl::docker
