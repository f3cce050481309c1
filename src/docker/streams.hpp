// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to src/docker: incremental parsers for the Engine's stream formats. Each accepts
// chunks split anywhere (even byte by byte) and emits complete units.

#include <supactl/docker/engine.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace supactl::docker {

/// Splits the 8-byte-header multiplexed stream of logs/attach/exec (byte 0 = stream type,
/// bytes 4-7 = big-endian payload length). In raw mode (a TTY container) every byte is stdout.
class FrameDemuxer {
 public:
  /// `sink` returns false to stop; feed() then returns false too.
  explicit FrameDemuxer(OutputSink sink) : m_sink(std::move(sink)) {}
  /// Feeds a chunk. Decides raw vs multiplexed on the first bytes seen (unless forced).
  bool feed(std::string_view chunk);
  void force_raw() { m_mode = Mode::raw; }

 private:
  enum class Mode { unknown, raw, multiplexed };
  bool drain();

  OutputSink m_sink;
  Mode m_mode = Mode::unknown;
  std::string m_buf;
};

/// Splits a newline-delimited JSON stream and parses each line.
class JsonLines {
 public:
  /// `sink` returns false to stop.
  explicit JsonLines(std::function<bool(const nlohmann::json&)> sink) : m_sink(std::move(sink)) {}
  bool feed(std::string_view chunk);
  /// Parses a final line without newline, if any.
  bool finish();

 private:
  bool emit(std::string_view line);
  std::function<bool(const nlohmann::json&)> m_sink;
  std::string m_buf;
};

/// The error carried by one line of a pull/push/load stream (`errorDetail.message` or the
/// legacy `error` string), or empty when the line is not an error.
std::string stream_line_error(const nlohmann::json& line);

/// The Engine's error text from an error response body ({"message": ...}, or the raw body).
std::string error_message_from_body(const std::string& body);

/// ErrorKind for an HTTP status.
ErrorKind kind_for_status(long status);

}  // namespace supactl::docker
