// SPDX-License-Identifier: Apache-2.0
//
// Host port allocation for a new instance. Ports promised to other instances of the home
// (their instance.yaml) are never handed out again even while those instances are down, and
// ports something else listens on are skipped; an explicitly requested port that is taken is
// refused with its owner named, never silently replaced.
#include <supactl/ports/ports.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>

#include <charconv>
#include <set>

namespace supactl::ports {

namespace {

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool valid_port(int port) { return port >= 1 && port <= 65535; }

}  // namespace

PortRange parse_port_range(std::string_view text, std::string_view source) {
  std::size_t dash = text.find('-');
  std::optional<int> first = dash == std::string_view::npos ? std::nullopt : parse_int(text.substr(0, dash));
  std::optional<int> last = dash == std::string_view::npos ? std::nullopt : parse_int(text.substr(dash + 1));
  if (!first || !last || !valid_port(*first) || !valid_port(*last) || *first > *last) {
    throw Error(fmt::format("{} `{}` is not a port range FIRST-LAST within 1-65535", source, text), ExitCode::usage,
                fmt::format("set {} like 8000-8999", source));
  }
  return PortRange{*first, *last};
}

PortRange port_range_from_env() {
  std::string text = core::env_or("SUPACTL_PORT_RANGE");
  if (text.empty()) return PortRange{};
  return parse_port_range(text, "SUPACTL_PORT_RANGE");
}

void check_port_available(int port, std::string_view what, const ReservedPorts& reserved, const PortProbe& probe) {
  if (!valid_port(port)) {
    throw Error(fmt::format("{} {} is not between 1 and 65535", what, port), ExitCode::usage,
                "choose a port between 1 and 65535");
  }
  auto it = reserved.find(port);
  if (it != reserved.end()) {
    throw Error(fmt::format("{} {} is already used by instance `{}`", what, port, it->second), ExitCode::conflict,
                "choose another port, or leave it out to get a free one");
  }
  if (!probe.is_free(port)) {
    throw Error(fmt::format("{} {} is taken on this host by {}", what, port, probe.owner(port)), ExitCode::conflict,
                "stop that process or choose another port");
  }
}

PortAssignment allocate_ports(const PortRequest& request, const ReservedPorts& reserved, const PortRange& range,
                              const PortProbe& probe) {
  std::set<int> used;
  auto claim_explicit = [&](const std::optional<int>& port, std::string_view what) -> int {
    if (!port) return 0;
    if (used.count(*port) != 0) {
      throw Error(fmt::format("{} {} is requested twice", what, *port), ExitCode::usage,
                  "give the HTTP, HTTPS and DB ports different numbers");
    }
    check_port_available(*port, what, reserved, probe);
    used.insert(*port);
    return *port;
  };
  auto claim_free = [&](std::string_view what) -> int {
    for (int port = range.first; port <= range.last; ++port) {
      if (used.count(port) != 0 || reserved.count(port) != 0 || !probe.is_free(port)) continue;
      used.insert(port);
      return port;
    }
    throw Error(fmt::format("no free port left for the {} in {}-{}", what, range.first, range.last), ExitCode::conflict,
                "widen SUPACTL_PORT_RANGE (e.g. 8000-9999) or pass the port");
  };

  PortAssignment out;
  out.http = claim_explicit(request.http, "HTTP port");
  out.https = claim_explicit(request.https, "HTTPS port");
  out.db = claim_explicit(request.db, "DB port");
  if (out.http == 0) out.http = claim_free("HTTP port");
  if (out.https == 0) out.https = claim_free("HTTPS port");
  if (out.db == 0 && request.want_db) out.db = claim_free("DB port");
  if (request.want_pooler) {
    out.pooler_session = claim_free("pooler session port");
    out.pooler_transaction = claim_free("pooler transaction port");
  }
  return out;
}

}  // namespace supactl::ports
