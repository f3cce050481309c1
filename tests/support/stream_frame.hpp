// SPDX-License-Identifier: Apache-2.0
#pragma once

// One frame of the Engine's multiplexed stream (logs, attach, exec), as tests build them.

#include <supactl/docker/types.hpp>

#include <cstdint>
#include <string>

namespace supactl::test {

/// `payload` behind the 8-byte header: stream type, three zero bytes, big-endian length.
inline std::string stream_frame(docker::StreamKind kind, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(kind);
  const auto n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>((n >> 24) & 0xff);
  f[5] = static_cast<char>((n >> 16) & 0xff);
  f[6] = static_cast<char>((n >> 8) & 0xff);
  f[7] = static_cast<char>(n & 0xff);
  return f + payload;
}

}  // namespace supactl::test
