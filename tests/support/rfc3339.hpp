// SPDX-License-Identifier: Apache-2.0
#pragma once

// Times as the Engine reports them (State.StartedAt, State.FinishedAt, health log entries),
// parsed so tests compare them as times, not as strings.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

namespace supactl::test {

/// An RFC 3339 time as Docker writes State.StartedAt/FinishedAt and health log entries
/// ("2026-11-29T22:50:06.123456789Z", or with a +hh:mm offset), as nanoseconds since the
/// epoch; nullopt when it does not parse.
inline std::optional<std::chrono::nanoseconds> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int64_t nanos = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (*rest - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int64_t offset_s = 0;
  if (*rest == 'Z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset_s = (*rest == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  const int64_t seconds = static_cast<int64_t>(::timegm(&tm)) - offset_s;
  return std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos);
}

}  // namespace supactl::test
