// SPDX-License-Identifier: Apache-2.0
// The db standby's pure parts: the pg_hba line the primary gets, the repeatable setup SQL,
// and how a row of pg_stat_replication becomes the state `status` shows.
#include <supactl/stack/standby.hpp>

#include <gtest/gtest.h>

namespace supactl::stack {
namespace {

TEST(Standby, HbaLineAllowsOnlyTheReplicatorToReplicateFromTheDbsNetworksWithAPassword) {
  EXPECT_EQ(standby_hba_line(), "host replication supactl_replicator samenet scram-sha-256");
}

TEST(Standby, SetupSqlIsRepeatableAndKeepsThePasswordOutOfTheText) {
  const std::string sql = replication_setup_sql();
  EXPECT_NE(sql.find("\\getenv pw SUPACTL_REPLICATION_PASSWORD"), std::string::npos) << sql;
  EXPECT_NE(sql.find("SET password_encryption = 'scram-sha-256'"), std::string::npos) << sql;
  EXPECT_NE(sql.find("WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supactl_replicator')"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("LOGIN REPLICATION NOSUPERUSER"), std::string::npos) << sql;
  EXPECT_NE(sql.find("pg_create_physical_replication_slot('supactl_standby') WHERE NOT EXISTS"), std::string::npos)
      << sql;
}

TEST(Standby, AStreamingRowGivesStateAndBothLags) {
  StandbyState s = parse_standby_row("streaming\t4096\t0.00125\n", true);
  EXPECT_EQ(s.state, "streaming");
  ASSERT_TRUE(s.lag_bytes);
  EXPECT_EQ(*s.lag_bytes, 4096);
  ASSERT_TRUE(s.lag_seconds);
  EXPECT_DOUBLE_EQ(*s.lag_seconds, 0.00125);
}

TEST(Standby, CaughtUpAndIdleIsZeroSecondsBehind) {
  StandbyState s = parse_standby_row("streaming\t0\t\n", true);
  ASSERT_TRUE(s.lag_seconds);
  EXPECT_EQ(*s.lag_seconds, 0.0);
  s = parse_standby_row("catchup\t123\t\n", true);
  EXPECT_EQ(s.state, "catchup");
  EXPECT_FALSE(s.lag_seconds) << "bytes behind with no measured time: unknown, not zero";
}

TEST(Standby, NoSenderIsDownWhenConfiguredAndAbsentOtherwise) {
  EXPECT_EQ(parse_standby_row("", true).state, "down");
  EXPECT_FALSE(parse_standby_row("", true).lag_bytes);
  EXPECT_EQ(parse_standby_row("\n", false).state, "absent");
}

}  // namespace
}  // namespace supactl::stack
