// SPDX-License-Identifier: Apache-2.0
#pragma once

// Parsers for compose's scalar value syntaxes: shell words, Go durations, byte sizes, port
// specs, booleans. Pure functions; they throw ValueError with a message that the loader
// prefixes with file:line.

#include <supactl/docker/types.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace supactl::compose::detail {

class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Splits `text` at every `separator` (empty fields kept; "" gives one empty field).
std::vector<std::string> split(const std::string& text, char separator);

/// Splits a command string by POSIX shell rules (quotes, backslashes), as compose does for the
/// string form of `command` and `entrypoint`. No expansion of any kind.
std::vector<std::string> shell_split(const std::string& text);

/// A Go duration (`5s`, `1m30s`, `500ms`, `1.5h`, `0`) in nanoseconds.
int64_t parse_duration_ns(const std::string& text);

/// A byte size (`512`, `64m`, `1.5g`, `256mb`; 1024-based, case-insensitive) in bytes.
int64_t parse_bytes(const std::string& text);

/// A non-negative decimal number such as `0.5` or `2`.
double parse_decimal(const std::string& text);

/// `true`/`false` (and YAML 1.1's yes/no/on/off, any case).
bool parse_bool(const std::string& text);

/// A whole decimal number within [`min`, `max`].
int64_t parse_int(const std::string& text, int64_t min, int64_t max);

/// A port or port range `8000` / `8000-8010`, each within 1..65535 (0 allowed if `allow_zero`).
std::vector<uint16_t> parse_port_range(const std::string& text, bool allow_zero = false);

/// Short port syntax `[[host_ip:]host_port:]container_port[/protocol]` with ranges and
/// `[ipv6]` host IPs. Only a container port gives host_port 0.
std::vector<docker::PortBinding> parse_port_short(const std::string& text);

/// Long port syntax: `target` and `published` (each a port or range), host IP, protocol.
std::vector<docker::PortBinding> parse_port_long(const std::string& target, const std::string& published,
                                                 const std::string& host_ip, const std::string& protocol);

/// `expose` entries: `3000`, `3000/udp`, `3000-3005`.
std::vector<docker::PortBinding> parse_expose(const std::string& text);

}  // namespace supactl::compose::detail
