// SPDX-License-Identifier: Apache-2.0
//
// `supactl metrics` against the fake Engine: what is asked of the Engine (a bounded number of
// requests), what is exported, that promtool's own checker accepts it, and the refusals of
// `metrics serve`. The live scrape by a real Prometheus is in tests/integration.
#include <supactl/backup/archive.hpp>
#include <supactl/cli/app.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/metrics/metrics.hpp>
#include <supactl/metrics/serve.hpp>
#include <supactl/stack/certs.hpp>

#include "support/cli_run.hpp"
#include "support/fake_engine.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace supactl {
namespace {

namespace fs = std::filesystem;

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false";
}

/// `promtool check metrics` on `text`: its exit code, and its output in `output`.
int promtool_check(const fs::path& dir, const std::string& text, std::string& output) {
  const fs::path in = dir / "metrics.prom";
  const fs::path log = dir / "promtool.out";
  core::write_file_atomic(in, text);
  const int status =
      std::system(("promtool check metrics <'" + in.string() + "' >'" + log.string() + "' 2>&1").c_str());
  output = core::read_file(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

using Result = test::CliResult;

class Metrics : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("SUPACTL_PORT_RANGE", "23000-23999", 1);
    ::setenv("SUPACTL_TEST_DATA_ROOT_SPACE", "50 1000", 1);
    core::reset_cancel();
    ASSERT_EQ(run({"init", "shop", "--http-port", std::to_string(test::free_port()), "--https-port",
                   std::to_string(test::free_port())})
                  .code,
              0);
    engine.exit_on_start["shop-minio-init-1"] = 0;
    // psql in the db container answers the metrics query; every other exec is a health probe.
    engine.on_exec = [](const std::string&, const docker::ExecSpec& spec, const docker::OutputSink&) {
      docker::ExecResult r{.exit_code = 0, .out = "", .err = ""};
      if (!spec.cmd.empty() && spec.cmd.front() == "psql") {
        r.out =
            "size\t\t123456789\nconnections\tactive\t3\nconnections\tidle in transaction\t1\n"
            "longest_transaction\t\t42.5\nwal_archive_failures\t\t2\nreplication_lag\tstandby \"b\"\t1.25\n";
      }
      return r;
    };
  }
  void TearDown() override {
    ::unsetenv("SUPACTL_PORT_RANGE");
    ::unsetenv("SUPACTL_TEST_DATA_ROOT_SPACE");
    core::reset_cancel();
  }

  Result run(std::vector<std::string> args) { return test::run_cli(home.path(), engine, std::move(args)); }

  test::TempDir home;
  test::FakeEngine engine;
};

TEST_F(Metrics, EveryServiceDatabaseBackupAndTheDiskAreExportedWithBoundedEngineRequests) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  engine.stats["shop-db-1"] = docker::ContainerStats{.cpu_ns = 2'500'000'000, .memory_bytes = 1048576};
  backup::record_outcome(home.path() / "backups" / "shop", {.time = 1764460800, .ok = true, .size = 4096});
  const size_t containers = engine.list_containers({}, true).size();
  const size_t before = engine.calls().size();

  Result r = run({"metrics", "shop"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& m = r.out;
  EXPECT_NE(m.find("supactl_instance_healthy{instance=\"shop\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("supactl_service_up{instance=\"shop\",service=\"db\",container=\"shop-db-1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find("supactl_service_cpu_seconds_total{instance=\"shop\",service=\"db\",container=\"shop-db-1\"} 2.5\n"),
            std::string::npos);
  EXPECT_NE(m.find("supactl_service_memory_bytes{instance=\"shop\",service=\"db\",container=\"shop-db-1\"} 1048576\n"),
            std::string::npos);
  EXPECT_NE(m.find("supactl_service_restarts_total{instance=\"shop\",service=\"rest\",container=\"shop-rest-1\"} 0\n"),
            std::string::npos);
  EXPECT_NE(m.find("supactl_db_size_bytes{instance=\"shop\"} 123456789\n"), std::string::npos);
  EXPECT_NE(m.find("supactl_db_connections{instance=\"shop\",state=\"idle in transaction\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("supactl_db_longest_transaction_seconds{instance=\"shop\"} 42.5\n"), std::string::npos);
  EXPECT_NE(m.find("supactl_db_wal_archive_failures_total{instance=\"shop\"} 2\n"), std::string::npos);
  EXPECT_NE(m.find("supactl_db_replication_lag_seconds{instance=\"shop\",standby=\"standby \\\"b\\\"\"} 1.25\n"),
            std::string::npos)
      << "label values are escaped";
  EXPECT_NE(m.find("supactl_backup_last_timestamp_seconds{instance=\"shop\"} 1764460800\n"), std::string::npos);
  EXPECT_NE(m.find("supactl_backup_last_success{instance=\"shop\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("supactl_docker_data_root_free_bytes{path=\"\"} 50\n"), std::string::npos);

  // One list, one inspect and one stats per (running) container, one exec, one info.
  std::vector<std::string> calls = engine.calls();
  calls.erase(calls.begin(), calls.begin() + static_cast<std::ptrdiff_t>(before));
  auto count = [&](const std::string& prefix) {
    return std::count_if(calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(count("list_containers"), 1);
  EXPECT_EQ(count("inspect_container"), static_cast<std::ptrdiff_t>(containers));
  EXPECT_EQ(count("container_stats"), static_cast<std::ptrdiff_t>(containers) - 1) << "minio-init has exited";
  EXPECT_EQ(count("exec"), 1);
  EXPECT_EQ(count("info"), 1);
  EXPECT_EQ(count("get_archive"), 1) << "Caddy's certificates";
  EXPECT_EQ(calls.size(), 2 * containers - 1 + 4);

  // A secret never appears.
  for (const auto& [key, value] : config::load_instance(home.path(), "shop").secrets) {
    if (value.reveal().size() < 8) continue;  // unset (empty) ones, and short words like a user name
    EXPECT_EQ(m.find(value.reveal()), std::string::npos) << key;
  }
}

TEST_F(Metrics, PromtoolAcceptsTheOutputOfARunningAndAStoppedInstance) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    if (in_ci()) FAIL() << "promtool is not installed (scripts/setup installs prometheus)";
    GTEST_SKIP() << "promtool is not installed; skipping (it is required in CI)";
  }
  ASSERT_EQ(run({"init", "blog", "--http-port", std::to_string(test::free_port()), "--https-port",
                 std::to_string(test::free_port())})
                .code,
            0);
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  Result r = run({"metrics"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("supactl_instance_healthy{instance=\"blog\"} 0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("supactl_db_up{instance=\"blog\"} 0\n"), std::string::npos);
  std::string output;
  EXPECT_EQ(promtool_check(home.path(), r.out, output), 0) << output << "\n" << r.out;
  EXPECT_EQ(output, "") << "no lint finding either";
  // The checker is not a rubber stamp: a family without HELP fails it.
  EXPECT_NE(promtool_check(home.path(), "supactl_x 1\n", output), 0);
  // What `metrics serve` answers (the snapshot plus its age and the failed collections) too.
  metrics::Refresher refresher([&r] { return r.out; }, std::chrono::hours(1));
  const std::string served = refresher.current(std::chrono::seconds(10));
  EXPECT_EQ(promtool_check(home.path(), served, output), 0) << output << "\n" << served;
  EXPECT_EQ(output, "");
}

TEST_F(Metrics, TheExpiryOfEachCertificateCaddyHoldsIsExported) {
  // A certificate valid for 10 days from now, made by openssl.
  const fs::path key = home.path() / "k.pem";
  const fs::path crt = home.path() / "c.pem";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=api.example.com -days 10 -keyout '" +
                         key.string() + "' -out '" + crt.string() + "' >/dev/null 2>&1")
                            .c_str()),
            0);
  const std::string pem = core::read_file(crt);
  const std::optional<int64_t> not_after = stack::certificate_not_after(pem);
  ASSERT_TRUE(not_after.has_value());
  const int64_t in_ten_days = static_cast<int64_t>(std::time(nullptr)) + 10 * 86400;
  EXPECT_LE(*not_after, in_ten_days);
  EXPECT_GT(*not_after, in_ten_days - 3600);
  EXPECT_FALSE(stack::certificate_not_after("not a certificate").has_value());

  ASSERT_EQ(run({"up", "shop"}).code, 0);
  engine.archives[{"shop-caddy-1", stack::k_caddy_certificates}] = docker::make_tar(
      {{.path = "certificates/acme-v02.api.letsencrypt.org-directory/api.example.com/api.example.com.crt",
        .content = pem},
       {.path = "certificates/acme-v02.api.letsencrypt.org-directory/api.example.com/api.example.com.key",
        .content = "never read"}});
  Result r = run({"metrics", "shop"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("supactl_certificate_expiry_timestamp_seconds{{instance=\"shop\",issuer=\"acme-v02."
                                   "api.letsencrypt.org-directory\",name=\"api.example.com\"}} {}\n",
                                   *not_after)),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("never read"), std::string::npos);
}

TEST_F(Metrics, AFailedLastBackupIsExportedAsSuchAndAnUnknownInstanceExits3) {
  backup::record_outcome(home.path() / "backups" / "shop", {.time = 1764460800, .ok = false, .size = 0});
  Result r = run({"metrics", "shop"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("supactl_backup_last_success{instance=\"shop\"} 0\n"), std::string::npos) << r.out;
  Result unknown = run({"metrics", "nope"});
  EXPECT_EQ(unknown.code, 3);
  EXPECT_NE(unknown.err.find("supactl init nope"), std::string::npos) << unknown.err;
}

TEST_F(Metrics, ServeRefusesAnAddressOffLoopbackWithoutATokenBeforeAskingTheEngine) {
  Result open = run({"metrics", "serve", "--listen", "0.0.0.0:9477"});
  EXPECT_EQ(open.code, 2);
  EXPECT_NE(open.err.find("--token-file"), std::string::npos) << open.err;
  Result never = run({"metrics", "serve", "--interval", "0"});
  EXPECT_EQ(never.code, 2);
  EXPECT_NE(never.err.find("from 1 to 3600"), std::string::npos) << never.err;
  Result bad = run({"metrics", "serve", "--listen", "9477"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("127.0.0.1:9477"), std::string::npos) << bad.err;
  const fs::path token = home.path() / "token";
  core::write_file_atomic(token, "s3cret\n", 0644);
  Result shared = run({"metrics", "serve", "--listen", "0.0.0.0:9477", "--token-file", token.string()});
  EXPECT_EQ(shared.code, 2);
  EXPECT_NE(shared.err.find("chmod 600"), std::string::npos) << shared.err;
  EXPECT_TRUE(engine.calls().empty());
}

/// Runs `cmd` in the source folder; its exit code, and its output in `output`.
int run_in_source(const std::string& cmd, std::string& output, const fs::path& scratch) {
  const fs::path log = scratch / "cmd.out";
  const int status = std::system(("cd '" SUPACTL_SOURCE_DIR "' && " + cmd + " >'" + log.string() + "' 2>&1").c_str());
  output = core::read_file(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// The text of a snapshot that has every family (a standby, a backup, a certificate, the data
/// root) as `metrics serve` answers it (its own two series added).
std::string every_series() {
  metrics::Snapshot full;
  full.instances = {{.instance = "shop", .healthy = true}};
  full.containers = {{.instance = "shop",
                      .service = "db",
                      .container = "shop-db-1",
                      .running = true,
                      .healthy = true,
                      .restarts = 0,
                      .stats = docker::ContainerStats{}}};
  metrics::DatabaseSample db;
  db.instance = "shop";
  db.up = true;
  db.replication_lag_s = {{"replica1", 1.0}};
  db.connections = {{"active", 1}};
  full.databases = {db};
  full.backups = {{.instance = "shop", .exists = true, .time_s = 1, .size_bytes = 1, .ok = true}};
  full.disk = stack::DiskSpace{.path = "/var/lib/docker", .free_bytes = 1, .total_bytes = 2};
  full.certificates = {{.instance = "shop", .issuer = "local", .name = "localhost", .not_after_s = 1}};
  metrics::Refresher served([&full] { return metrics::exposition(full); }, std::chrono::hours(1));
  return served.current(std::chrono::seconds(10));
}

/// Whether `text` (Prometheus text format) has a sample of `series`.
bool has_series(const std::string& text, const std::string& series) {
  return text.find("\n" + series + "{") != std::string::npos || text.find("\n" + series + " ") != std::string::npos;
}

TEST(AlertRules, PassPromtoolsChecksAndUnitTestsAndUseOnlyExportedSeries) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    if (in_ci()) FAIL() << "promtool is not installed (scripts/setup installs prometheus)";
    GTEST_SKIP() << "promtool is not installed; skipping (it is required in CI)";
  }
  test::TempDir scratch;
  std::string output;
  EXPECT_EQ(run_in_source("promtool check rules docs/alerts.yml", output, scratch.path()), 0) << output;
  EXPECT_EQ(run_in_source("promtool test rules docs/alerts_test.yml", output, scratch.path()), 0) << output;

  // Every alert has a unit test, and every series an alert reads is one supactl exports.
  const std::string rules = core::read_file(fs::path(SUPACTL_SOURCE_DIR) / "docs" / "alerts.yml");
  const std::string tests = core::read_file(fs::path(SUPACTL_SOURCE_DIR) / "docs" / "alerts_test.yml");
  const std::string exported = every_series();
  const std::regex alert(R"(- alert: (\w+))");
  int alerts = 0;
  for (std::sregex_iterator it(rules.begin(), rules.end(), alert), end; it != end; ++it, ++alerts) {
    EXPECT_NE(tests.find("alertname: " + (*it)[1].str() + "\n"), std::string::npos) << (*it)[1] << " has no test";
  }
  EXPECT_EQ(alerts, 7);
  const std::regex series(R"(supactl_[a-z_]+)");
  for (std::sregex_iterator it(rules.begin(), rules.end(), series), end; it != end; ++it) {
    EXPECT_TRUE(has_series(exported, it->str())) << it->str() << " is not exported";
  }
}

/// Polls `done` every 5 ms for up to 10 s (a bound for a loaded machine, not a timing claim).
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

TEST(MetricsRefresher, ScrapesAreAnsweredFromOneCollectionHoweverManyThereAre) {
  std::atomic<int> collected{0};
  metrics::Refresher refresher([&] { return fmt::format("supactl_x {}\n", ++collected); }, std::chrono::hours(1));
  for (int i = 0; i < 100; ++i) {
    const std::string text = refresher.current(std::chrono::seconds(10));
    ASSERT_EQ(text.rfind("supactl_x 1\n", 0), 0u) << text;
    EXPECT_NE(text.find("\nsupactl_snapshot_age_seconds "), std::string::npos) << text;
    EXPECT_NE(text.find("\nsupactl_collect_failures_total 0\n"), std::string::npos) << text;
  }
  EXPECT_EQ(collected.load(), 1);
  EXPECT_EQ(refresher.collections(), 1u);
}

TEST(MetricsRefresher, ANewSnapshotIsTakenEachIntervalAndAFailedOneKeepsThePrevious) {
  std::atomic<int> collected{0};
  metrics::Refresher refresher(
      [&]() -> std::string {
        const int n = ++collected;
        if (n >= 3) throw Error("the Engine did not answer");
        return fmt::format("supactl_x {}\n", n);
      },
      std::chrono::milliseconds(10));
  ASSERT_TRUE(eventually([&] { return refresher.collections() >= 4; }));
  const std::string text = refresher.current(std::chrono::seconds(10));
  EXPECT_EQ(text.rfind("supactl_x 2\n", 0), 0u) << text;
  EXPECT_EQ(text.find("supactl_collect_failures_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_collect_failures_total "), std::string::npos) << text;
}

TEST(MetricsRefresher, NoSnapshotOrATooOldOneFailsTheScrapeWithTheLastError) {
  metrics::Refresher never([]() -> std::string { throw Error("cannot reach the Engine"); }, std::chrono::hours(1));
  try {
    never.current(std::chrono::seconds(10));
    ADD_FAILURE() << "a scrape without any snapshot must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach the Engine"), std::string::npos) << e.what();
  }
  std::atomic<int> collected{0};
  metrics::Refresher stale(
      [&]() -> std::string {
        if (++collected > 1) throw Error("the Engine hangs");
        return "supactl_x 1\n";
      },
      std::chrono::milliseconds(5), std::chrono::milliseconds(50));
  EXPECT_EQ(stale.stale_after(), std::chrono::milliseconds(50));
  ASSERT_TRUE(eventually([&] {
    try {
      stale.current(std::chrono::seconds(10));
      return false;
    } catch (const Error& e) {
      return std::string(e.what()).find("the Engine hangs") != std::string::npos;
    }
  }));
  EXPECT_EQ(metrics::Refresher([] { return std::string(); }, std::chrono::seconds(15)).stale_after(),
            std::chrono::minutes(1));
  EXPECT_EQ(metrics::Refresher([] { return std::string(); }, std::chrono::seconds(60)).stale_after(),
            std::chrono::minutes(3));
}

TEST(GrafanaDashboard, ParsesAndEveryQueryIsPromqlOverExportedSeries) {
  const nlohmann::json dashboard =
      nlohmann::json::parse(core::read_file(fs::path(SUPACTL_SOURCE_DIR) / "docs" / "grafana-dashboard.json"));
  const std::string exported = every_series();
  const std::regex series(R"(supactl_[a-z_]+)");
  std::set<std::string> used;
  // Every query becomes a recording rule, so promtool's own PromQL parser checks it; Grafana's
  // variables are given values first, as Grafana does.
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  auto add_query = [&](const std::string& expr, const std::string& where) {
    std::string promql = std::regex_replace(expr, std::regex(R"(\$__rate_interval)"), "5m");
    promql = std::regex_replace(promql, std::regex(R"(\$instance)"), ".*");
    EXPECT_EQ(promql.find('$'), std::string::npos) << where << ": a variable the test does not know: " << expr;
    rules += "      - record: dashboard:query_" + std::to_string(used.size()) + "_" + std::to_string(rules.size()) +
             "\n        expr: " + nlohmann::json(promql).dump() + "\n";
    int found = 0;
    for (std::sregex_iterator it(expr.begin(), expr.end(), series), end; it != end; ++it, ++found) {
      EXPECT_TRUE(has_series(exported, it->str())) << where << ": " << it->str() << " is not exported";
      used.insert(it->str());
    }
    EXPECT_GT(found, 0) << where << " reads no supactl series: " << expr;
  };
  ASSERT_TRUE(dashboard.at("panels").is_array());
  std::set<int> ids;
  for (const nlohmann::json& panel : dashboard.at("panels")) {
    const std::string title = panel.at("title").get<std::string>();
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << title << ": its id is taken";
    ASSERT_FALSE(panel.at("targets").empty()) << title;
    for (const nlohmann::json& target : panel.at("targets")) add_query(target.at("expr").get<std::string>(), title);
  }
  for (const nlohmann::json& variable : dashboard.at("templating").at("list")) {
    if (variable.at("type") != "query") continue;
    const std::string query = variable.at("query").at("query").get<std::string>();
    std::smatch m;
    ASSERT_TRUE(std::regex_match(query, m, std::regex(R"(label_values\((supactl_[a-z_]+), (\w+)\))"))) << query;
    EXPECT_NE(exported.find("\n" + m[1].str() + "{" + m[2].str() + "=\""), std::string::npos) << query;
  }
  // The dashboard shows every family of the snapshot but the scrape's own cost.
  for (const char* family :
       {"supactl_instance_healthy", "supactl_service_healthy", "supactl_service_restarts_total",
        "supactl_service_cpu_seconds_total", "supactl_service_memory_bytes", "supactl_db_size_bytes",
        "supactl_db_connections", "supactl_db_longest_transaction_seconds", "supactl_db_replication_lag_seconds",
        "supactl_db_wal_archive_failures_total", "supactl_backup_last_timestamp_seconds", "supactl_backup_last_success",
        "supactl_certificate_expiry_timestamp_seconds", "supactl_docker_data_root_free_bytes"}) {
    EXPECT_EQ(used.count(family), 1u) << family << " has no panel";
  }
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    if (in_ci()) FAIL() << "promtool is not installed (scripts/setup installs prometheus)";
    GTEST_SKIP() << "promtool is not installed; the PromQL check is skipped (it is required in CI)";
  }
  test::TempDir scratch;
  core::write_file_atomic(scratch.path() / "dashboard-rules.yml", rules);
  std::string output;
  EXPECT_EQ(run_in_source("promtool check rules '" + (scratch.path() / "dashboard-rules.yml").string() + "'", output,
                          scratch.path()),
            0)
      << output << rules;
  // The check is not a rubber stamp: a query that does not parse fails it.
  core::write_file_atomic(scratch.path() / "bad.yml",
                          "groups:\n  - name: x\n    rules:\n      - record: x:y\n        expr: rate(supactl_x[5m]\n");
  EXPECT_NE(
      run_in_source("promtool check rules '" + (scratch.path() / "bad.yml").string() + "'", output, scratch.path()), 0);
}

TEST(MetricsListen, LoopbackAddressesAndTheForms) {
  EXPECT_TRUE(metrics::is_loopback("127.0.0.1"));
  EXPECT_TRUE(metrics::is_loopback("127.1.2.3"));
  EXPECT_TRUE(metrics::is_loopback("::1"));
  EXPECT_TRUE(metrics::is_loopback("localhost"));
  EXPECT_FALSE(metrics::is_loopback("0.0.0.0"));
  EXPECT_FALSE(metrics::is_loopback("::"));
  EXPECT_FALSE(metrics::is_loopback("10.0.0.1"));
  EXPECT_EQ(metrics::parse_listen("[::1]:9477").host, "::1");
  EXPECT_EQ(metrics::parse_listen("127.0.0.1:0").port, 0);
  EXPECT_THROW(metrics::parse_listen("127.0.0.1:70000"), Error);
  EXPECT_THROW(metrics::parse_listen(":9477"), Error);
}

}  // namespace
}  // namespace supactl
