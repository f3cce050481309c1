// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace supactl::ports {

/// An inclusive range of host ports that automatic allocation may use.
struct PortRange {
  int first = 8000;
  int last = 8999;
};

/// Parses `FIRST-LAST` (e.g. `8000-8999`). Throws supactl::Error(ExitCode::usage) when it is
/// malformed, outside 1..65535 or empty, naming `source` (e.g. "SUPACTL_PORT_RANGE").
PortRange parse_port_range(std::string_view text, std::string_view source);

/// SUPACTL_PORT_RANGE when set, else the default 8000-8999.
PortRange port_range_from_env();

/// Looks at the host's ports. The real one binds sockets; tests and planners may fake it.
class PortProbe {
 public:
  virtual ~PortProbe() = default;
  /// True when nothing listens on `port`, i.e. a listener could bind it.
  virtual bool is_free(int port) const = 0;
  /// Who holds `port`, for an error message: "process caddy (pid 42)" or "another process".
  virtual std::string owner(int port) const = 0;
};

/// The host: `is_free` tries to bind 0.0.0.0, 127.0.0.1 and (when the host has IPv6) [::]
/// on TCP, closing at once (no connection, no traffic); `owner` maps the port to a listening
/// socket inode in /proc/net/tcp{,6} and that inode to a process through /proc/*/fd.
class HostPortProbe final : public PortProbe {
 public:
  bool is_free(int port) const override;
  std::string owner(int port) const override;
};

/// Ports already promised to other instances of the same home: port → instance name.
using ReservedPorts = std::map<int, std::string>;

/// What `init` asks for: explicit ports (checked, never changed) or automatic ones.
struct PortRequest {
  std::optional<int> http;
  std::optional<int> https;
  std::optional<int> db;
  bool want_db = false;      ///< allocate a DB port automatically when `db` is not given
  bool want_pooler = false;  ///< allocate Supavisor's session and transaction ports
};

/// The result; 0 means "none" (only `db` may be 0).
struct PortAssignment {
  int http = 0;
  int https = 0;
  int db = 0;
  int pooler_session = 0;
  int pooler_transaction = 0;
};

/// Picks the instance's host ports. Explicit ports must be in 1..65535, distinct, not
/// reserved by another instance (the error names it) and free on the host (the error names
/// the owner) — else supactl::Error(ExitCode::conflict). Automatic ones are the lowest ports of
/// `range` that are neither reserved, nor taken on the host, nor used by this request.
PortAssignment allocate_ports(const PortRequest& request, const ReservedPorts& reserved, const PortRange& range,
                              const PortProbe& probe);

/// Checks one port the way allocate_ports checks an explicit one (`what` names it in the
/// message, e.g. "HTTP port"). Throws supactl::Error(ExitCode::conflict) when it is taken.
void check_port_available(int port, std::string_view what, const ReservedPorts& reserved, const PortProbe& probe);

}  // namespace supactl::ports
