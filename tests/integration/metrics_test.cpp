// SPDX-License-Identifier: Apache-2.0
// `supactl metrics` on a running instance from the image kit: the real Engine's stats and
// inspect answers and the real Postgres query become series that `promtool check metrics`
// accepts (and the containers were created with json-file log rotation); a real Prometheus (Debian's `prometheus`,
// started here on loopback with its own config and data folder) scrapes `supactl metrics serve`, and its query API
// returns the instance's series (served from the snapshot the background collection took); with --token-file a request
// without the token gets 401. Needs `tests/images/kit up` and prometheus; skips without them, except in CI where it
// fails.
#include <gtest/gtest.h>

#include <supactl/core/fs.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <string>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

namespace fs = std::filesystem;

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    if (test::run_shell("command -v prometheus && command -v promtool") != 0) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << "prometheus is not installed (scripts/setup)";
      GTEST_SKIP() << "prometheus is not installed";
    }
    name = test::instance_name("mt");
    std::string out;
    ASSERT_EQ(run("init " + name + " --registry " + test::k_kit_registry + " --http-port " +
                      std::to_string(test::free_port()) + " --https-port " + std::to_string(test::free_port()) +
                      " --exclude studio,meta,functions,realtime,storage,imgproxy",
                  &out),
              0)
        << out;
    created = true;
    ASSERT_EQ(run("up " + name, &out), 0) << out;
  }
  void TearDown() override {
    // Our own background processes, by the pids they wrote.
    for (const char* pid_file : {"serve.pid", "token-serve.pid", "prometheus.pid"}) {
      const fs::path p = scratch.path() / pid_file;
      if (!fs::exists(p)) continue;
      const int pid = std::atoi(core::read_file(p).c_str());
      if (pid > 1) ::kill(pid, SIGTERM);
    }
    if (created) run("down " + name + " --volumes --yes");
    test::remove_test_objects(name);
  }

  std::string env() const { return "SUPACTL_HOME=" + home.path().string() + " SUPACTL_PORT_RANGE=48000-48999 "; }
  int run(const std::string& args, std::string* out = nullptr) {
    return test::run_shell(env() + SUPACTL_BINARY + " " + args + " </dev/null", out);
  }
  /// Starts `command` in the background, its output in scratch/LOG, its pid in scratch/PIDFILE.
  void start(const std::string& command, const std::string& pid_file, const std::string& log) {
    const std::string p = scratch.path().string();
    ASSERT_EQ(test::run_shell("cd '" + p + "' && (" + command + " >'" + log + "' 2>&1 </dev/null & echo $! >'" +
                              pid_file + "')"),
              0);
  }

  test::TempDir home;
  test::TempDir scratch;
  std::string name;
  bool created = false;
};

TEST_F(MetricsTest, PromtoolAcceptsTheSeriesOfARunningInstanceAndPrometheusScrapesThem) {
  // 0. Every container's log rotates as instance.yaml's logs.* say (defaults 10m x 5).
  std::string log_config;
  ASSERT_EQ(test::run_shell("docker inspect -f '{{json .HostConfig.LogConfig}}' " + name + "-db-1", &log_config), 0);
  EXPECT_EQ(log_config, "{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"5\",\"max-size\":\"10m\"}}\n");
  // 1. The text, checked by Prometheus' own checker.
  std::string text;
  ASSERT_EQ(test::run_command(env() + SUPACTL_BINARY + " metrics " + name, &text, nullptr), 0);
  core::write_file_atomic(scratch.path() / "m.prom", text);
  std::string checked;
  EXPECT_EQ(test::run_shell("promtool check metrics <'" + (scratch.path() / "m.prom").string() + "'", &checked), 0)
      << checked << text;
  const std::string db = "{instance=\"" + name + "\",service=\"db\",container=\"" + name + "-db-1\"}";
  // Right after `up` Docker may not have run every first health check yet: present, 0 or 1.
  EXPECT_NE(text.find("supactl_instance_healthy{instance=\"" + name + "\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_service_healthy" + db + " 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_service_up" + db + " 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_service_restarts_total" + db + " 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_service_cpu_seconds_total" + db + " "), std::string::npos) << text;
  EXPECT_EQ(text.find("supactl_service_memory_bytes" + db + " 0\n"), std::string::npos) << "a real sample";
  EXPECT_NE(text.find("supactl_service_memory_bytes" + db + " "), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_db_up{instance=\"" + name + "\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_db_size_bytes{instance=\"" + name + "\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_docker_data_root_free_bytes{path=\""), std::string::npos) << text;
  EXPECT_NE(text.find("supactl_scrape_skipped_requests 0\n"), std::string::npos) << text;
  const size_t value = text.find("\nsupactl_scrape_duration_seconds ");
  ASSERT_NE(value, std::string::npos);
  std::cout << "one snapshot of one instance:" << text.substr(value, text.find('\n', value + 1) - value) << "\n";

  // 2. `metrics serve`, scraped every second by a Prometheus of our own on loopback.
  const int serve_port = test::free_port();
  const int prom_port = test::free_port();
  start(env() + SUPACTL_BINARY + " metrics serve " + name + " --listen 127.0.0.1:" + std::to_string(serve_port),
        "serve.pid", "serve.log");
  const std::string config =
      "global:\n  scrape_interval: 3s\n  scrape_timeout: 3s\nscrape_configs:\n"
      "  - job_name: supactl\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:" +
      std::to_string(serve_port) + "']\n";
  core::write_file_atomic(scratch.path() / "prometheus.yml", config);
  start("prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb --web.listen-address=127.0.0.1:" +
            std::to_string(prom_port),
        "prometheus.pid", "prometheus.log");
  const std::string query = "curl -sf 'http://127.0.0.1:" + std::to_string(prom_port) +
                            "/api/v1/query' --data-urlencode 'query=supactl_service_up{instance=\"" + name +
                            "\",service=\"db\"}'";
  std::string answer;
  ASSERT_TRUE(test::eventually(query + " | grep -q '\"result\":\\[{'", std::chrono::seconds(30), &answer)) << answer
                                                                                                           << "\n"
                                                                                                           <<
      [&] {
        std::string targets;
        test::run_shell("curl -s http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/targets", &targets);
        return targets;
      }() << core::read_file(scratch.path() / "serve.log");
  ASSERT_EQ(test::run_shell(query, &answer), 0);
  const nlohmann::json result = nlohmann::json::parse(answer).at("data").at("result");
  ASSERT_EQ(result.size(), 1u) << answer;
  EXPECT_EQ(result[0].at("metric").at("job"), "supactl");
  EXPECT_EQ(result[0].at("metric").at("container"), name + "-db-1");
  EXPECT_EQ(result[0].at("value").at(1), "1") << answer;

  // 3. With a token: a request without it is refused, one with it answered.
  const int token_port = test::free_port();
  core::write_file_atomic(scratch.path() / "token", "t0k3n\n", 0600);
  start(env() + SUPACTL_BINARY + " metrics serve " + name + " --listen 127.0.0.1:" + std::to_string(token_port) +
            " --token-file token",
        "token-serve.pid", "token-serve.log");
  const std::string url = "http://127.0.0.1:" + std::to_string(token_port) + "/metrics";
  std::string code;
  ASSERT_TRUE(test::eventually("curl -s -o /dev/null -w '%{http_code}' " + url + " | grep -q 401",
                               std::chrono::seconds(10), &code))
      << code;
  std::string body;
  EXPECT_EQ(test::run_shell("curl -sf -H 'Authorization: Bearer t0k3n' " + url, &body), 0) << body;
  EXPECT_NE(body.find("supactl_db_up{instance=\"" + name + "\"} 1\n"), std::string::npos) << body;
  // Answered from the snapshot the background collection took, which says its age.
  EXPECT_NE(body.find("\nsupactl_snapshot_age_seconds "), std::string::npos) << body;
  EXPECT_NE(body.find("\nsupactl_collect_failures_total 0\n"), std::string::npos) << body;
}

}  // namespace
}  // namespace supactl
