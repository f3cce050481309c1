// SPDX-License-Identifier: Apache-2.0
// The rendered files pass the real tools: `docker-compose config` on compose.yml (with the
// rendered .env next to it) and `caddy validate` on the Caddyfile in every TLS mode. Outside
// CI a missing tool skips its test with a message; in CI (CI set) it is a failure.
#include <supactl/core/fs.hpp>
#include <supactl/render/render.hpp>

#include "support/temp_dir.hpp"
#include "unit/render/render_fixture.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>
#include <map>

#include <cstdlib>

namespace supactl::render {
namespace {

namespace fs = std::filesystem;

bool have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false";
}

/// Runs `cmd` in `dir`; returns the exit code and fills `output` with stdout+stderr.
int run_in(const fs::path& dir, const std::string& cmd, std::string& output) {
  fs::path log = dir / ".tool-output";
  int status = std::system(("cd '" + dir.string() + "' && " + cmd + " >'" + log.string() + "' 2>&1").c_str());
  output = core::read_file(log);
  fs::remove(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define SUPACTL_REQUIRE_TOOL(tool)                                                 \
  do {                                                                             \
    if (!have(tool)) {                                                             \
      if (in_ci()) FAIL() << tool " is not installed (scripts/setup installs it)"; \
      GTEST_SKIP() << tool " is not installed; skipping (it is required in CI)";   \
    }                                                                              \
  } while (0)

TEST(RenderTools, DockerComposeAcceptsTheRenderedProject) {
  SUPACTL_REQUIRE_TOOL("docker-compose");
  test::TempDir dir;
  for (const config::Instance& inst : {test::default_instance(dir.path()), test::full_instance(dir.path())}) {
    RenderResult r = render_instance(inst, dir.path() / inst.name, "");
    std::string output;
    int code = run_in(r.dir, "docker-compose -f compose.yml -p " + inst.name + " config", output);
    EXPECT_EQ(code, 0) << inst.name << ":\n" << output;
    // Interpolation really used .env: the resolved file carries the secret, not the variable.
    EXPECT_NE(output.find(inst.secrets.at("POSTGRES_PASSWORD").reveal()), std::string::npos);
    EXPECT_EQ(output.find("${POSTGRES_PASSWORD}"), std::string::npos);
    EXPECT_EQ(output.find("WARNING"), std::string::npos) << output;
  }
}

TEST(RenderTools, CaddyValidatesTheCaddyfileInEveryTlsMode) {
  SUPACTL_REQUIRE_TOOL("caddy");
  test::TempDir dir;
  config::Instance inst = test::default_instance(dir.path());
  for (config::TlsMode mode : {config::TlsMode::internal, config::TlsMode::acme, config::TlsMode::off}) {
    inst.spec.tls.mode = mode;
    inst.spec.tls.email = "ops@example.com";
    inst.spec.domain = mode == config::TlsMode::acme ? "api.example.com" : "localhost";
    RenderResult r = render_instance(inst, dir.path() / config::to_string(mode), "");
    std::string output;
    int code = run_in(r.dir, "HOME='" + dir.path().string() + "' caddy validate --adapter caddyfile --config Caddyfile",
                      output);
    EXPECT_EQ(code, 0) << config::to_string(mode) << ":\n" << output;
    EXPECT_NE(output.find("Valid configuration"), std::string::npos) << output;
  }
}

TEST(RenderTools, KongEntrypointFillsPlaceholdersAsYamlStringsAndTrustsOnlyTheEdgeNetwork) {
  SUPACTL_REQUIRE_TOOL("awk");
  test::TempDir dir;
  RenderResult r = render_instance(test::default_instance(dir.path()), dir.path() / "r", "");
  // Run the rendered script against the rendered kong.yml, with Kong's exec replaced by a
  // print of the trusted range, and /proc/net/route replaced by a table of a container on two
  // networks: eth0 = backend (internal, no default route), eth1 = edge (default route).
  std::string script = core::read_file(r.dir / "kong-entrypoint.sh");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::size_t at = script.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    script.replace(at, from.size(), to);
  };
  replace("template=/home/kong/temp.yml", "template='" + (r.dir / "kong.yml").string() + "'");
  replace("exec /entrypoint.sh kong docker-start", "echo \"trusted=$KONG_TRUSTED_IPS\"");
  for (std::size_t at; (at = script.find("/proc/net/route")) != std::string::npos;) {
    script.replace(at, 15, (dir.path() / "route").string());
  }
  core::write_file_atomic(dir.path() / "route",
                          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                          "eth1\t00000000\t0100C90A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                          "eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
                          "eth1\t0000C90A\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0\n");
  core::write_file_atomic(dir.path() / "entry.sh", script);
  std::string output;
  // Values with every character that matters to YAML, the shell or awk's substitution.
  const std::string anon = "a&b\\1|x";
  const std::string password = "p$w\"d \\ : # x";
  std::string env = "SUPABASE_ANON_KEY='" + anon +
                    "' SUPABASE_SERVICE_KEY=svc DASHBOARD_USERNAME='us er:#' "
                    "DASHBOARD_PASSWORD='" +
                    password + "' KONG_DECLARATIVE_CONFIG='" + (dir.path() / "kong.out").string() + "'";
  ASSERT_EQ(run_in(dir.path(), env + " sh entry.sh", output), 0) << output;
  // 10.201.0.0/20: the edge network's range, read from the route of the default gateway.
  EXPECT_NE(output.find("trusted=10.201.0.0/20"), std::string::npos) << output;
  YAML::Node kong = YAML::LoadFile((dir.path() / "kong.out").string());
  std::map<std::string, std::string> keys;
  for (const YAML::Node& c : kong["consumers"]) {
    if (c["keyauth_credentials"])
      keys[c["username"].as<std::string>()] = c["keyauth_credentials"][0]["key"].as<std::string>();
  }
  EXPECT_EQ(keys["anon"], anon);
  EXPECT_EQ(keys["service_role"], "svc");
  EXPECT_EQ(kong["basicauth_credentials"][0]["username"].as<std::string>(), "us er:#");
  EXPECT_EQ(kong["basicauth_credentials"][0]["password"].as<std::string>(), password);
  EXPECT_EQ(core::read_file(dir.path() / "kong.out").find("$SUPABASE_ANON_KEY"), std::string::npos);

  // Without a default route (no edge network) nobody is trusted.
  core::write_file_atomic(dir.path() / "route",
                          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                          "eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
  ASSERT_EQ(run_in(dir.path(), env + " sh entry.sh", output), 0) << output;
  EXPECT_NE(output.find("trusted=127.0.0.1"), std::string::npos) << output;
}

}  // namespace
}  // namespace supactl::render
