// SPDX-License-Identifier: Apache-2.0
// The failover's pure parts: reading pg_control's leading fields, LSNs in Postgres' text form,
// and the order of the steps (the Docker tests run them against the kit's real PostgreSQL and
// check the checkpoint read here against pg_controldata's).
#include <supactl/core/error.hpp>
#include <supactl/stack/failover.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace supactl::stack {
namespace {

void put_le(std::string& bytes, size_t offset, std::uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

/// The first bytes of a pg_control as PostgreSQL writes ControlFileData on x86-64.
std::string control_bytes(std::uint32_t version, std::uint32_t state, std::uint64_t checkpoint) {
  std::string bytes(296, '\0');
  put_le(bytes, 0, 0x7311c0ffee123456ULL, 8);  // system_identifier
  put_le(bytes, 8, version, 4);                // pg_control_version
  put_le(bytes, 12, 202209061, 4);             // catalog_version_no (15)
  put_le(bytes, 16, state, 4);                 // DBState
  put_le(bytes, 20, 0xdeadbeef, 4);            // padding before the 8-byte time
  put_le(bytes, 24, 1764547200, 8);            // time
  put_le(bytes, 32, checkpoint, 8);            // checkPoint
  return bytes;
}

TEST(Failover, PgControlGivesTheStateAndTheLatestCheckpointOfPostgres13To17) {
  const ControlData c = parse_pg_control(control_bytes(1300, 1, 0x16B374D848ULL));
  EXPECT_EQ(c.version, 1300u);
  EXPECT_EQ(c.state, 1);
  EXPECT_TRUE(c.shut_down());
  EXPECT_EQ(c.checkpoint, 0x16B374D848ULL);
  EXPECT_EQ(format_lsn(c.checkpoint), "16/B374D848");

  const ControlData running = parse_pg_control(control_bytes(1700, 6, 0x3000028));
  EXPECT_FALSE(running.shut_down()) << "in production: it was killed, not stopped";
  EXPECT_FALSE(parse_pg_control(control_bytes(1300, 2, 1)).shut_down()) << "shut down in recovery: a standby's";
}

TEST(Failover, PgControlThatIsShortOrOfAnUnknownVersionIsRefused) {
  EXPECT_THROW(parse_pg_control(control_bytes(1300, 1, 1).substr(0, 39)), Error);
  EXPECT_THROW(parse_pg_control(""), Error);
  EXPECT_THROW(parse_pg_control(control_bytes(942, 1, 1)), Error) << "9.6 had another layout";
  EXPECT_THROW(parse_pg_control(control_bytes(0x14050000, 1, 1)), Error) << "big-endian bytes";
}

TEST(Failover, LsnsRoundTripInPostgresTextForm) {
  for (const char* text : {"0/0", "0/3000148", "16/B374D848", "FFFFFFFF/FFFFFFFF"}) {
    const std::optional<std::uint64_t> v = parse_lsn(text);
    ASSERT_TRUE(v) << text;
    EXPECT_EQ(format_lsn(*v), text);
  }
  EXPECT_EQ(parse_lsn("0/3000148"), 0x3000148ULL);
  EXPECT_EQ(parse_lsn("1/0"), 0x100000000ULL);
  EXPECT_EQ(parse_lsn("16/b374d848"), 0x16B374D848ULL);
  for (const char* bad : {"", "/", "0/", "/0", "03000148", "0/30001G8", "123456789/0", "0/123456789", "0/1/2"}) {
    EXPECT_FALSE(parse_lsn(bad)) << bad;
  }
}

TEST(Failover, TheFormerPrimaryIsFencedBeforeTheStandbyIsPromotedAndASwitchoverChecksFirst) {
  auto index = [](const std::vector<std::string>& steps, const std::string& word) {
    auto it = std::find_if(steps.begin(), steps.end(), [&](const std::string& s) { return s.rfind(word, 0) == 0; });
    return it == steps.end() ? -1 : static_cast<int>(it - steps.begin());
  };
  const std::vector<std::string> failover = failover_steps("shop", "db", "db-standby", false);
  ASSERT_GE(index(failover, "fence db"), 0);
  EXPECT_LT(index(failover, "fence db"), index(failover, "promote db-standby"));
  EXPECT_LT(index(failover, "promote db-standby"), index(failover, "instance.yaml"));
  EXPECT_NE(failover[static_cast<size_t>(index(failover, "fence db"))].find("shop_db-data"), std::string::npos);
  EXPECT_EQ(index(failover, "wait until"), -1);

  const std::vector<std::string> switchover = failover_steps("shop", "db-standby", "db", true);
  EXPECT_EQ(index(switchover, "wait until db has replayed"), 0);
  EXPECT_LT(index(switchover, "stop db-standby cleanly"), index(switchover, "check that db-standby shut down"));
  EXPECT_LT(index(switchover, "check that"), index(switchover, "fence db-standby"));
  EXPECT_NE(switchover[static_cast<size_t>(index(switchover, "fence db-standby"))].find("shop_db-standby-data"),
            std::string::npos);
}

}  // namespace
}  // namespace supactl::stack
