// SPDX-License-Identifier: Apache-2.0
// The shared edge (`supactl edge`), through the real binary and the kit's real Caddy: several
// instances behind one Caddy on loopback ports, each reached by its own Host with TLS verified
// against the root `supactl ca edge` exports (curl --resolve, no DNS), a websocket upgrade, a
// 503 at once for an instance whose gateway is stopped, routes back after the edge restarts,
// a new instance that does not restart the edge, and `edge down`'s refusal.
// Needs `tests/images/kit up`; skips without it, except in CI (CI=true) where it fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

std::string sh(const std::string& command, int* status = nullptr) { return test::shell_output(command, status); }

// The subject here is the edge, not the stack behind it: each instance keeps what the checks
// below reach (Kong, and auth for its URLs, realtime for the websocket path) and leaves out the
// rest, whose health checks would only compete with the edge for the CPU.
constexpr const char* k_slim = "storage,imgproxy,meta,studio,functions";

class EdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    base = test::instance_name("edge");
    // A shared edge left by an earlier run would hold the project name.
    ASSERT_TRUE(sh("docker ps -aq --filter label=com.docker.compose.project=supactl-edge").empty())
        << "a shared edge (project supactl-edge) already runs on this Engine; take it down first";
    http_port = test::free_port();
    https_port = test::free_port();
  }
  void TearDown() override {
    for (const std::string& n : created) run("down " + n + " --volumes --yes");
    run("edge down --force");
    sh("docker volume rm -f supactl-edge_data supactl-edge_config");
    test::remove_test_objects(base);
  }

  int run(const std::string& args, std::string* out = nullptr) {
    const std::string cmd = "SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " " + args + " </dev/null";
    return test::run_shell(cmd, out);
  }

  std::string domain(const std::string& name) { return name + ".test"; }

  std::string init_shared(const std::string& suffix) {
    const std::string name = base + suffix;
    std::string out;
    EXPECT_EQ(run("init " + name + " --registry " + test::k_kit_registry + " --domain " + domain(name) +
                      " --edge shared --exclude " + k_slim,
                  &out),
              0)
        << out;
    created.push_back(name);
    return name;
  }

  /// curl through the edge's HTTPS port on loopback for `host`, verifying against `ca`:
  /// "STATUS TIME_TOTAL" on the last line, the body before it.
  std::string https(const std::string& host, const std::string& path, const std::string& extra = "") {
    return sh("curl -sS --max-time 5 --cacert " + ca.string() + " --resolve " + host + ":" +
              std::to_string(https_port) + ":127.0.0.1 " + extra + " -w '\\n%{http_code} %{time_total}' https://" +
              host + ":" + std::to_string(https_port) + path + " 2>&1");
  }

  static std::string status_of(const std::string& curl_out) {
    const std::string last = curl_out.substr(curl_out.rfind('\n') + 1);
    return last.substr(0, last.find(' '));
  }

  std::string edge_started_at() { return sh("docker inspect -f '{{.State.StartedAt}}' supactl-edge-caddy-1"); }

  nlohmann::json edge_status() {
    std::string out;
    run("--output json edge status 2>/dev/null", &out);
    return nlohmann::json::parse(out, nullptr, false);
  }

  test::TempDir home;
  std::filesystem::path ca = home.path() / "edge-ca.pem";
  std::string base;
  std::vector<std::string> created;
  int http_port = 0;
  int https_port = 0;
};

TEST_F(EdgeTest, InstancesBehindOneEdgeEachByItsOwnHost) {
  std::string out;
  ASSERT_EQ(run("edge up --registry " + std::string(test::k_kit_registry) + " --bind 127.0.0.1 --http-port " +
                    std::to_string(http_port) + " --https-port " + std::to_string(https_port),
                &out),
            0)
      << out;
  // The admin API is not published: only the two ports are, on loopback.
  const std::string ports = sh("docker port supactl-edge-caddy-1");
  EXPECT_NE(ports.find("127.0.0.1:" + std::to_string(https_port)), std::string::npos) << ports;
  EXPECT_NE(ports.find("127.0.0.1:" + std::to_string(http_port)), std::string::npos) << ports;
  EXPECT_EQ(ports.find("2019"), std::string::npos) << ports;
  EXPECT_EQ(ports.find("0.0.0.0"), std::string::npos) << ports;

  // 1. Three instances behind it, each by its own Host; init wrote the edge's port into the URL.
  std::vector<std::string> names;
  for (const char* s : {"-a", "-b", "-c"}) names.push_back(init_shared(s));
  for (const std::string& n : names) ASSERT_EQ(run("up " + n, &out), 0) << out;
  ASSERT_EQ(run("ca edge > " + ca.string()), 0);
  ASSERT_NE(sh("cat " + ca.string()).find("BEGIN CERTIFICATE"), std::string::npos);
  for (const std::string& n : names) {
    const std::string r = https(domain(n), "/rest/v1/");
    EXPECT_EQ(status_of(r), "200") << n << ": " << r;
    EXPECT_NE(r.find("\"service\":\"kong\""), std::string::npos) << r;
    // The instance's URLs name the edge: API_EXTERNAL_URL of its auth service.
    const std::string env = sh("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' " + n + "-auth-1");
    EXPECT_NE(env.find("API_EXTERNAL_URL=https://" + domain(n) + ":" + std::to_string(https_port)), std::string::npos)
        << env;
    // Its own Caddy is gone: nothing of the instance publishes a port.
    EXPECT_EQ(sh("docker ps -q --filter label=com.docker.compose.project=" + n +
                 " --filter label=com.docker.compose.service=caddy"),
              "");
  }
  // A host no instance has: 404 over HTTPS-less HTTP; HTTP of a known host redirects to HTTPS.
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' --resolve nobody.test:" + std::to_string(http_port) +
               ":127.0.0.1 http://nobody.test:" + std::to_string(http_port) + "/"),
            "404");
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --resolve " + domain(names[0]) + ":" +
               std::to_string(http_port) + ":127.0.0.1 'http://" + domain(names[0]) + ":" + std::to_string(http_port) +
               "/auth/v1/health?x=1'"),
            "308 https://" + domain(names[0]) + ":" + std::to_string(https_port) + "/auth/v1/health?x=1");

  // `edge up` again changes nothing and keeps every route.
  ASSERT_EQ(run("--output json edge up", &out), 0) << out;
  const nlohmann::json again = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_TRUE(again.is_object()) << out;
  EXPECT_EQ(again["writes"], 0) << out;
  EXPECT_EQ(again["routes"].size(), 3U) << out;
  EXPECT_EQ(again["https_port"], https_port) << "the saved settings are kept";

  // 2. Isolation: the edge is on each instance's edge network; no two instances share one.
  const std::string edge_nets =
      sh("docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' supactl-edge-caddy-1");
  for (const std::string& n : names) EXPECT_NE(edge_nets.find(n + "_edge"), std::string::npos) << edge_nets;
  const std::string a_nets =
      sh("docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' " + names[0] + "-kong-1");
  EXPECT_EQ(a_nets.find(names[1]), std::string::npos) << a_nets;
  EXPECT_NE(sh("docker exec " + names[0] + "-kong-1 getent hosts " + names[1] + "-kong; echo rc=$?").find("rc=2"),
            std::string::npos);

  // 3. A JSON access log per instance, without the API key the client sent.
  https(domain(names[1]), "/rest/v1/todos", "-H 'apikey: edge-test-secret-key'");
  const std::string log = sh("docker exec supactl-edge-caddy-1 cat /data/access/" + names[1] + ".log");
  EXPECT_NE(log.find("/rest/v1/todos"), std::string::npos) << log;
  EXPECT_EQ(log.find("edge-test-secret-key"), std::string::npos);
  EXPECT_EQ(sh("docker exec supactl-edge-caddy-1 cat /data/access/" + names[0] + ".log").find("/rest/v1/todos"),
            std::string::npos);

  // 4. A websocket upgrade passes through (Realtime's path).
  const std::string ws = https(domain(names[2]), "/realtime/v1/websocket?vsn=1.0.0",
                               "-i -N --http1.1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' "
                               "-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "
                               "--max-time 2");
  EXPECT_NE(ws.find("HTTP/1.1 101"), std::string::npos) << ws;
  EXPECT_NE(ws.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << ws;

  // 5. After the edge restarts, every route is back (Caddy resumes its last config).
  ASSERT_EQ(sh("docker restart supactl-edge-caddy-1 >/dev/null; echo $?"), "0");
  for (const std::string& n : names) {
    EXPECT_TRUE(test::eventually("curl -sf -o /dev/null --max-time 2 --cacert " + ca.string() + " --resolve " +
                                     domain(n) + ":" + std::to_string(https_port) + ":127.0.0.1 https://" + domain(n) +
                                     ":" + std::to_string(https_port) + "/rest/v1/",
                                 std::chrono::seconds(30)))
        << n;
  }

  // 6. A fourth instance's `up` loads its route without restarting the edge.
  const std::string started = edge_started_at();
  const std::string d = init_shared("-d");
  ASSERT_EQ(run("up " + d, &out), 0) << out;
  EXPECT_EQ(edge_started_at(), started);
  EXPECT_EQ(status_of(https(domain(d), "/rest/v1/")), "200");
  nlohmann::json st = edge_status();
  ASSERT_TRUE(st.is_object()) << st;
  EXPECT_EQ(st["routes"].size(), 4U) << st;
  EXPECT_TRUE(st["ok"].get<bool>()) << st;

  // 7. Its gateway stopped: a clear 503 at once, not a hang (curl gives up after 1 s).
  ASSERT_EQ(sh("docker stop " + d + "-kong-1 >/dev/null; echo $?"), "0");
  const std::string down = https(domain(d), "/rest/v1/", "--max-time 1");
  EXPECT_EQ(status_of(down), "503") << down;
  EXPECT_NE(down.find("is not running"), std::string::npos) << down;
  // `down`: its route and the edge's hold on its network are gone; the others still answer.
  ASSERT_EQ(run("down " + d, &out), 0) << out;
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' --resolve " + domain(d) + ":" + std::to_string(http_port) +
               ":127.0.0.1 http://" + domain(d) + ":" + std::to_string(http_port) + "/"),
            "404");
  st = edge_status();
  EXPECT_EQ(st["routes"].size(), 3U) << st;
  EXPECT_EQ(sh("docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "
               "supactl-edge-caddy-1")
                .find(d + "_edge"),
            std::string::npos);
  EXPECT_EQ(status_of(https(domain(names[0]), "/rest/v1/")), "200");
  EXPECT_EQ(edge_started_at(), started);

  // 8. `edge down` refuses while instances route through it (exit 4), and --force cuts them off.
  EXPECT_EQ(run("edge down", &out), 4) << out;
  EXPECT_NE(out.find(names[0]), std::string::npos) << out;
  EXPECT_EQ(sh("docker ps -q --filter name=supactl-edge-caddy-1").empty(), false);
  EXPECT_EQ(run("edge down --force", &out), 0) << out;
  EXPECT_EQ(sh("docker ps -aq --filter label=com.docker.compose.project=supactl-edge"), "");
  // The instances' networks survive the edge (their own down removes them).
  EXPECT_EQ(run("down " + names[0], &out), 0) << out;
}

TEST_F(EdgeTest, UpOfASharedInstanceWithoutTheEdgeChangesNothing) {
  const std::string n = init_shared("-x");
  std::string out;
  EXPECT_EQ(run("up " + n, &out), 3) << out;
  EXPECT_NE(out.find("supactl edge up"), std::string::npos) << out;
  EXPECT_EQ(sh("docker ps -aq --filter label=com.docker.compose.project=" + n), "");
  EXPECT_EQ(sh("docker network ls -q --filter label=com.docker.compose.project=" + n), "");
  // And init refuses --edge shared without a domain.
  EXPECT_EQ(run("init " + base + "-y --edge shared", &out), 2) << out;
  EXPECT_NE(out.find("--domain"), std::string::npos) << out;
}

}  // namespace
}  // namespace supactl
