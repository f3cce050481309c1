// SPDX-License-Identifier: Apache-2.0
// Port allocation: requested ports are checked (another instance, a real listener on the
// host), automatic ones skip everything taken, and ranges parse strictly.
#include <supactl/core/error.hpp>
#include <supactl/ports/ports.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <set>

namespace supactl::ports {
namespace {

class FakeProbe final : public PortProbe {
 public:
  std::set<int> taken;
  bool is_free(int port) const override { return taken.count(port) == 0; }
  std::string owner(int) const override { return "process fake (pid 7)"; }
};

/// A real TCP listener on 127.0.0.1 at a port the kernel picks; closed on destruction.
class Listener {
 public:
  Listener() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(m_fd, 1), 0);
    socklen_t len = sizeof sa;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&sa), &len);
    m_port = ntohs(sa.sin_port);
  }
  ~Listener() { ::close(m_fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return m_port; }

 private:
  int m_fd = -1;
  int m_port = 0;
};

PortRequest request(std::optional<int> http, std::optional<int> https, bool want_db = false) {
  PortRequest r;
  r.http = http;
  r.https = https;
  r.want_db = want_db;
  return r;
}

TEST(Ports, AutomaticPortsSkipReservedAndTakenOnes) {
  FakeProbe probe;
  probe.taken = {8000, 8003};
  ReservedPorts reserved = {{8001, "shop"}, {8002, "shop"}};
  PortAssignment a = allocate_ports(request({}, {}, true), reserved, PortRange{8000, 8010}, probe);
  EXPECT_EQ(a.http, 8004);
  EXPECT_EQ(a.https, 8005);
  EXPECT_EQ(a.db, 8006);
  PortAssignment no_db = allocate_ports(PortRequest{}, reserved, PortRange{8000, 8010}, probe);
  EXPECT_EQ(no_db.db, 0);
}

TEST(Ports, ExplicitPortOfAnotherInstanceIsRefusedNamingIt) {
  FakeProbe probe;
  try {
    allocate_ports(request(8001, {}), ReservedPorts{{8001, "shop"}}, PortRange{}, probe);
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    EXPECT_STREQ(e.what(), "HTTP port 8001 is already used by instance `shop`");
  }
}

TEST(Ports, RealListenerOnLoopbackIsSeenAndNamed) {
  Listener listener;
  HostPortProbe probe;
  EXPECT_FALSE(probe.is_free(listener.port()));
  try {
    allocate_ports(request({}, listener.port()), ReservedPorts{}, PortRange{}, probe);
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    std::string message = e.what();
    EXPECT_NE(message.find("HTTPS port " + std::to_string(listener.port()) + " is taken on this host by"),
              std::string::npos)
        << message;
    // This very test process holds the socket, and /proc names it.
    EXPECT_NE(message.find("process supactl_tests (pid " + std::to_string(::getpid()) + ")"), std::string::npos)
        << message;
  }
}

TEST(Ports, AutomaticAllocationStepsOverARealListener) {
  Listener listener;
  HostPortProbe probe;
  PortRange range{listener.port(), std::min(listener.port() + 50, 65535)};
  PortAssignment a = allocate_ports(PortRequest{}, ReservedPorts{}, range, probe);
  EXPECT_NE(a.http, listener.port());
  EXPECT_NE(a.https, listener.port());
  EXPECT_NE(a.http, a.https);
}

TEST(Ports, SamePortTwiceAndFullRangeAreErrors) {
  FakeProbe probe;
  EXPECT_THROW(allocate_ports(request(9000, 9000), {}, PortRange{}, probe), Error);
  probe.taken = {7000, 7001};
  try {
    allocate_ports(PortRequest{}, {}, PortRange{7000, 7001}, probe);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    EXPECT_NE(std::string(e.hint()).find("SUPACTL_PORT_RANGE"), std::string::npos);
  }
}

TEST(Ports, BothEndsOfTheRangeAreHandedOut) {
  FakeProbe probe;
  PortAssignment first = allocate_ports(PortRequest{}, {}, PortRange{7000, 7001}, probe);
  EXPECT_EQ(first.http, 7000);
  EXPECT_EQ(first.https, 7001);
  probe.taken = {7100, 7101};
  PortAssignment last = allocate_ports(request({}, 7100 + 50), {{7102, "blog"}}, PortRange{7100, 7103}, probe);
  EXPECT_EQ(last.http, 7103);
  EXPECT_EQ(last.https, 7150);
}

TEST(Ports, RangeParsing) {
  PortRange r = parse_port_range("9000-9100", "SUPACTL_PORT_RANGE");
  EXPECT_EQ(r.first, 9000);
  EXPECT_EQ(r.last, 9100);
  for (const char* bad : {"9000", "9100-9000", "0-10", "1-70000", "a-b", "10-20x"}) {
    EXPECT_THROW(parse_port_range(bad, "SUPACTL_PORT_RANGE"), Error) << bad;
  }
}

}  // namespace
}  // namespace supactl::ports
