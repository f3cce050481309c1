// SPDX-License-Identifier: Apache-2.0

#include "compose/values.hpp"

#include <gtest/gtest.h>

namespace supactl::compose::detail {
namespace {

using Words = std::vector<std::string>;

TEST(ComposeValues, ShellSplitHonoursQuotesAndBackslashes) {
  EXPECT_EQ(shell_split("postgres -c config_file=/etc/postgresql/postgresql.conf"),
            (Words{"postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"}));
  EXPECT_EQ(shell_split("sh -c 'echo $HOME && exit 0'"), (Words{"sh", "-c", "echo $HOME && exit 0"}));
  EXPECT_EQ(shell_split(R"(echo "a \"quoted\" word" back\ slash)"), (Words{"echo", "a \"quoted\" word", "back slash"}));
  EXPECT_EQ(shell_split("  spaced\t\tout  "), (Words{"spaced", "out"}));
  EXPECT_EQ(shell_split("empty '' arg"), (Words{"empty", "", "arg"}));
  EXPECT_EQ(shell_split(""), Words{});
}

TEST(ComposeValues, SplitKeepsEmptyFields) {
  EXPECT_EQ(split("127.0.0.1::3000", ':'), (Words{"127.0.0.1", "", "3000"}));
  EXPECT_EQ(split("", ':'), (Words{""}));
}

TEST(ComposeValues, ShellSplitRejectsUnterminatedQuotes) {
  EXPECT_THROW(shell_split("sh -c 'oops"), ValueError);
  EXPECT_THROW(shell_split("echo \"oops"), ValueError);
}

TEST(ComposeValues, DurationsBecomeNanoseconds) {
  EXPECT_EQ(parse_duration_ns("5s"), 5'000'000'000);
  EXPECT_EQ(parse_duration_ns("1m30s"), 90'000'000'000);
  EXPECT_EQ(parse_duration_ns("500ms"), 500'000'000);
  EXPECT_EQ(parse_duration_ns("1.5h"), 5'400'000'000'000);
  EXPECT_EQ(parse_duration_ns("10us"), 10'000);
  EXPECT_EQ(parse_duration_ns("0"), 0);
  EXPECT_THROW(parse_duration_ns("5"), ValueError);
  EXPECT_THROW(parse_duration_ns("5 sec"), ValueError);
  EXPECT_THROW(parse_duration_ns(""), ValueError);
}

TEST(ComposeValues, ByteSizesAre1024Based) {
  EXPECT_EQ(parse_bytes("512"), 512);
  EXPECT_EQ(parse_bytes("64m"), 64 * 1024 * 1024);
  EXPECT_EQ(parse_bytes("1GB"), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_bytes("1.5g"), 1536LL * 1024 * 1024);
  EXPECT_EQ(parse_bytes("2kb"), 2048);
  EXPECT_THROW(parse_bytes("lots"), ValueError);
  EXPECT_THROW(parse_bytes("5x"), ValueError);
}

TEST(ComposeValues, PortShortSyntaxWithHostIpHostPortAndProtocol) {
  std::vector<docker::PortBinding> p = parse_port_short("127.0.0.1:5432:5432");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].host_ip, "127.0.0.1");
  EXPECT_EQ(p[0].host_port, 5432);
  EXPECT_EQ(p[0].container_port, 5432);
  EXPECT_EQ(p[0].protocol, "tcp");

  p = parse_port_short("8000:8000/tcp");
  EXPECT_EQ(p[0].host_ip, "");
  EXPECT_EQ(p[0].host_port, 8000);

  p = parse_port_short("443:8443/udp");
  EXPECT_EQ(p[0].protocol, "udp");
  EXPECT_EQ(p[0].host_port, 443);
  EXPECT_EQ(p[0].container_port, 8443);
}

TEST(ComposeValues, PortShortSyntaxContainerOnlyAndEmptyHostPort) {
  std::vector<docker::PortBinding> p = parse_port_short("3000");
  EXPECT_EQ(p[0].container_port, 3000);
  EXPECT_EQ(p[0].host_port, 0);
  p = parse_port_short("127.0.0.1::3000");
  EXPECT_EQ(p[0].host_ip, "127.0.0.1");
  EXPECT_EQ(p[0].host_port, 0);
}

TEST(ComposeValues, PortShortSyntaxRangesAndIpv6) {
  std::vector<docker::PortBinding> p = parse_port_short("9000-9002:8000-8002");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[2].host_port, 9002);
  EXPECT_EQ(p[2].container_port, 8002);
  p = parse_port_short("[::1]:8080:80");
  EXPECT_EQ(p[0].host_ip, "::1");
  EXPECT_EQ(p[0].host_port, 8080);
}

TEST(ComposeValues, BadPortsAreRejected) {
  EXPECT_THROW(parse_port_short("70000:80"), ValueError);
  EXPECT_THROW(parse_port_short("abc"), ValueError);
  EXPECT_THROW(parse_port_short("80:80/icmp"), ValueError);
  EXPECT_THROW(parse_port_short("1:2:3:4"), ValueError);
  EXPECT_THROW(parse_port_short("9000-9001:80"), ValueError);
  EXPECT_THROW(parse_port_short("0:80"), ValueError);
  EXPECT_THROW(parse_port_short("8000:"), ValueError);
}

TEST(ComposeValues, PortLongSyntax) {
  std::vector<docker::PortBinding> p = parse_port_long("5432", "15432", "127.0.0.1", "tcp");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].host_ip, "127.0.0.1");
  EXPECT_EQ(p[0].host_port, 15432);
  EXPECT_EQ(p[0].container_port, 5432);
  EXPECT_THROW(parse_port_long("80", "", "", "bogus"), ValueError);
}

TEST(ComposeValues, ExposeEntries) {
  std::vector<docker::PortBinding> p = parse_expose("4000/udp");
  EXPECT_EQ(p[0].container_port, 4000);
  EXPECT_EQ(p[0].protocol, "udp");
  EXPECT_EQ(p[0].host_port, 0);
  EXPECT_EQ(parse_expose("3000-3002").size(), 3u);
}

TEST(ComposeValues, BooleansAcceptYamlSpellings) {
  EXPECT_TRUE(parse_bool("true"));
  EXPECT_TRUE(parse_bool("True"));
  EXPECT_TRUE(parse_bool("yes"));
  EXPECT_FALSE(parse_bool("false"));
  EXPECT_FALSE(parse_bool("off"));
  EXPECT_THROW(parse_bool("maybe"), ValueError);
}

}  // namespace
}  // namespace supactl::compose::detail
