// SPDX-License-Identifier: Apache-2.0
// `supactl inspect db` through the real binary on an instance from the image kit's registry
// (real PostgreSQL 15 in db): a table the test creates shows in table-sizes; a lock one psql
// session holds open shows in `locks`, and a second session waiting on it in `blocking`;
// every report runs with exit 0 in text and in JSON.
// `supactl gen types` asks the same instance's postgres-meta (the real one, from npm) for
// the types of a table the test creates.
// Needs `tests/images/kit up`; skips without it, except in CI (CI=true) where it fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

const std::vector<std::string> k_reports = {
    "table-sizes",  "index-usage", "cache-hit",         "bloat",       "locks", "blocking",
    "long-running", "seq-scans",   "replication-slots", "vacuum-stats"};

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    name = test::instance_name("in");
    std::string out;
    ASSERT_EQ(run("init " + name + " --registry " + test::k_kit_registry + " --http-port " +
                      std::to_string(test::free_port()) + " --https-port " + std::to_string(test::free_port()) +
                      " --exclude studio,functions,realtime",
                  &out),
              0)
        << out;
    created = true;
    ASSERT_EQ(run("up " + name, &out), 0) << out;
  }
  void TearDown() override {
    if (created) {
      // End the sessions the test left waiting, then remove everything.
      run("psql " + name + " -- -c \"select pg_terminate_backend(pid) from pg_stat_activity where query like " +
          "'%pg_sleep%' and pid <> pg_backend_pid()\"");
      run("down " + name + " --volumes --yes");
    }
    test::remove_test_objects(name);
  }

  int run(const std::string& args, std::string* out = nullptr) {
    std::string cmd = "SUPACTL_HOME=" + home.path().string() + " SUPACTL_PORT_RANGE=48000-48999 " + SUPACTL_BINARY +
                      " " + args + " </dev/null";
    return test::run_shell(cmd, out);
  }

  /// Runs `statements` through `supactl psql` (no double quotes in them); true when psql ran them.
  ::testing::AssertionResult sql(const std::string& statements) {
    std::string out;
    if (run("psql " + name + " -- -c \"" + statements + "\" 2>&1", &out) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << out;
  }

  /// `supactl inspect db NAME REPORT -o json` parsed (stderr dropped).
  nlohmann::json report(const std::string& name_of_report) {
    std::string out;
    EXPECT_EQ(run("inspect db " + name + " " + name_of_report + " -o json 2>/dev/null", &out), 0) << out;
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << out;
    return j.is_array() ? j : nlohmann::json::array();
  }

  test::TempDir home;
  test::TempDir scratch;
  std::string name;
  bool created = false;
};

TEST_F(InspectTest, ReportsShowTheTestsTableLockAndBlockedSessionAndAllRunInTextAndJson) {
  std::string out;
  ASSERT_TRUE(
      sql("create table public.inspect_t (id int primary key, v text); insert into "
          "public.inspect_t select g, repeat('x', 100) from generate_series(1, 2000) g"));

  // table-sizes lists the new table, in text and JSON.
  ASSERT_EQ(run("inspect db " + name + " table-sizes", &out), 0) << out;
  EXPECT_EQ(out.rfind("schema", 0), 0u) << out;
  EXPECT_NE(out.find("inspect_t"), std::string::npos) << out;
  bool listed = false;
  for (const nlohmann::json& row : report("table-sizes")) {
    if (row.at("schema") == "public" && row.at("table") == "inspect_t") {
      listed = true;
      EXPECT_GT(row.at("total_bytes").get<int64_t>(), 100000) << row.dump();
    }
  }
  EXPECT_TRUE(listed);

  // One session holds an exclusive lock on the table; a second one waits for it.
  const std::string holder_log = (scratch.path() / "holder.log").string();
  const std::string waiter_log = (scratch.path() / "waiter.log").string();
  run("psql " + name + " -- -c \"begin; lock table public.inspect_t in access exclusive mode; select pg_sleep(60)\" >" +
      holder_log + " 2>&1 &");
  ASSERT_TRUE(test::eventually("SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " inspect db " + name +
                                   " locks | grep -q AccessExclusiveLock",
                               std::chrono::seconds(20), &out))
      << out;
  run("psql " + name + " -- -c \"select count(*) from public.inspect_t\" >" + waiter_log + " 2>&1 &");
  ASSERT_TRUE(test::eventually("SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " inspect db " + name +
                                   " blocking | grep -q inspect_t",
                               std::chrono::seconds(20), &out))
      << out;

  bool held = false;
  bool awaited = false;
  for (const nlohmann::json& row : report("locks")) {
    if (row.at("relation") != "public.inspect_t") continue;
    if (row.at("mode") == "AccessExclusiveLock" && row.at("granted") == true) held = true;
    if (row.at("mode") == "AccessShareLock" && row.at("granted") == false) awaited = true;
  }
  EXPECT_TRUE(held);
  EXPECT_TRUE(awaited);
  const nlohmann::json blocking = report("blocking");
  ASSERT_EQ(blocking.size(), 1u) << blocking.dump();
  EXPECT_NE(blocking[0].at("blocked_query").get<std::string>().find("count(*)"), std::string::npos);
  EXPECT_NE(blocking[0].at("blocking_query").get<std::string>().find("pg_sleep"), std::string::npos);
  EXPECT_TRUE(blocking[0].at("blocking_pid").is_number());
  ASSERT_EQ(run("inspect db " + name + " blocking", &out), 0) << out;
  EXPECT_NE(out.find("blocked_pid"), std::string::npos) << out;

  // Every report, in text and JSON.
  for (const std::string& r : k_reports) {
    EXPECT_EQ(run("inspect db " + name + " " + r + " 2>&1", &out), 0) << r << "\n" << out;
    EXPECT_EQ(run("inspect db " + name + " " + r + " --output json 2>&1", &out), 0) << r << "\n" << out;
    EXPECT_TRUE(nlohmann::json::parse(out, nullptr, false).is_array()) << r << "\n" << out;
  }
  const nlohmann::json hit = report("cache-hit");
  ASSERT_EQ(hit.size(), 2u) << hit.dump();
  EXPECT_EQ(hit[0].at("kind"), "table");

  // An unknown report is a usage error that lists the reports.
  EXPECT_EQ(run("inspect db " + name + " sizes 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("table-sizes"), std::string::npos) << out;
}

TEST_F(InspectTest, GenTypesDescribesTheTestsTablesInTheSchemasAsked) {
  std::string out;
  ASSERT_TRUE(
      sql("create table public.gen_t (id bigint primary key, title text not null, done boolean); "
          "create schema other; create table other.hidden_t (n int)"));
  ASSERT_EQ(run("gen types " + name + " 2>&1", &out), 0) << out;
  for (const char* want : {"export type Database", "public: {", "gen_t: {", "Row: {", "id: number", "title: string",
                           "done: boolean | null", "Insert: {", "id: number", "title?: string"}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
  EXPECT_EQ(out.find("title?: string"), out.rfind("title?: string")) << "only Update makes title optional\n" << out;
  EXPECT_EQ(out.find("hidden_t"), std::string::npos) << "other is not asked for\n" << out;

  ASSERT_EQ(run("gen types " + name + " --schema public,other -o json 2>&1", &out), 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  const std::string types = j.value("types", "");
  EXPECT_NE(types.find("hidden_t: {"), std::string::npos) << types;
  EXPECT_NE(types.find("n: number | null"), std::string::npos) << types;

  EXPECT_EQ(run("gen types " + name + " --schema 'public,x y' 2>&1", &out), 2) << out;
}

}  // namespace
}  // namespace supactl
