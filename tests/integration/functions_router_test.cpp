// SPDX-License-Identifier: Apache-2.0
// supactl's functions router (templates/functions/main/index.ts) run by a real Deno, outside
// the edge runtime (tests/support/deno/router_harness.ts stands in for Deno.serve and
// EdgeRuntime.userWorkers): the settings files `supactl functions deploy` and `functions
// secrets set` write give each function its own variables and secrets and its own verify_jwt,
// and nothing of another function's. The kit's edge-runtime stand-in does not run functions,
// so this is where the router's JavaScript is checked. Deno comes from npm through
// `tests/images/kit up`; without it the test skips, except in CI (CI=true) where it fails.
#include <gtest/gtest.h>

#include <supactl/core/fs.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "support/docker_env.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

namespace fs = std::filesystem;

fs::path deno_binary() {
  const char* kit = std::getenv("SUPACTL_KIT_DIR");
  return fs::path(kit != nullptr ? kit : "/var/lib/supactl-kit") / "npm" / "deno" / "node_modules" / "deno" / "deno";
}

class FunctionsRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(deno_binary())) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true")
        FAIL() << "no Deno at " << deno_binary() << "; run tests/images/kit up";
      GTEST_SKIP() << "no Deno at " << deno_binary() << " (run tests/images/kit up)";
    }
    fs::create_directories(scratch.path() / "settings");
  }

  /// Each request's answer through the router, by path: {"status", "body"}.
  std::map<std::string, nlohmann::json> route(const nlohmann::json& requests, bool verify_jwt) {
    const std::string src = SUPACTL_SOURCE_DIR;
    const std::string cmd =
        "cd " + scratch.path().string() +
        " && env -i PATH=/usr/bin:/bin DENO_DIR=" + (scratch.path() / "deno").string() +
        " VERIFY_JWT=" + (verify_jwt ? "true" : "false") + " JWT_SECRET=" + k_jwt_secret +
        " SUPABASE_URL=http://kong:8000 SUPACTL_FUNCTION_SETTINGS=" + (scratch.path() / "settings").string() + " " +
        deno_binary().string() + " run --quiet --no-prompt --allow-read --allow-env " + src +
        "/tests/support/deno/router_harness.ts " + src + "/templates/functions/main/index.ts '" + requests.dump() + "'";
    std::string out, err;
    EXPECT_EQ(test::run_command(cmd, &out, &err), 0) << err << out;
    std::map<std::string, nlohmann::json> answers;
    size_t at = 0;
    while (at < out.size()) {
      const size_t end = out.find('\n', at);
      const nlohmann::json line = nlohmann::json::parse(out.substr(at, end - at), nullptr, false);
      if (line.is_object()) answers[line.value("path", "")] = line;
      at = end == std::string::npos ? out.size() : end + 1;
    }
    return answers;
  }

  void settings(const std::string& function, const std::string& json) {
    core::write_file_atomic(scratch.path() / "settings" / (function + ".json"), json, 0600);
  }

  static constexpr const char* k_jwt_secret = "router-test-secret-of-32-characters";
  test::TempDir scratch;
};

TEST_F(FunctionsRouterTest, EachFunctionGetsOnlyItsOwnVariablesAndSecrets) {
  settings("greet", R"({"env": {"GREETING": "hello", "API_TOKEN": "s3cret-greet"}})");
  settings("bill", R"({"env": {"BILLING_KEY": "s3cret-bill"}})");
  auto answers = route(nlohmann::json::array({{{"path", "/greet/hi"}}, {{"path", "/bill"}}, {{"path", "/plain"}}}),
                       /*verify_jwt=*/false);
  ASSERT_EQ(answers.size(), 3u);
  const nlohmann::json greet = answers["/greet/hi"]["body"];
  EXPECT_EQ(answers["/greet/hi"]["status"], 200);
  EXPECT_EQ(greet["servicePath"], "/home/deno/functions/greet");
  EXPECT_EQ(greet["env"].value("GREETING", ""), "hello");
  EXPECT_EQ(greet["env"].value("API_TOKEN", ""), "s3cret-greet");
  EXPECT_FALSE(greet["env"].contains("BILLING_KEY")) << greet.dump();
  EXPECT_EQ(greet["env"].value("SUPABASE_URL", ""), "http://kong:8000") << "the runtime's variables stay";
  EXPECT_FALSE(greet["env"].contains("SUPACTL_FUNCTION_SETTINGS")) << "the router's own setting is not passed on";

  const nlohmann::json bill = answers["/bill"]["body"];
  EXPECT_EQ(bill["env"].value("BILLING_KEY", ""), "s3cret-bill");
  EXPECT_FALSE(bill["env"].contains("API_TOKEN")) << bill.dump();
  EXPECT_FALSE(bill["env"].contains("GREETING"));

  const nlohmann::json plain = answers["/plain"]["body"];
  EXPECT_FALSE(plain["env"].contains("API_TOKEN"));
  EXPECT_FALSE(plain["env"].contains("BILLING_KEY"));
}

TEST_F(FunctionsRouterTest, AFunctionsVerifyJwtOverridesTheInstancesBothWays) {
  settings("open", R"({"verify_jwt": false, "env": {}})");
  settings("closed", R"({"verify_jwt": true, "env": {}})");
  const nlohmann::json requests =
      nlohmann::json::array({{{"path", "/open"}}, {{"path", "/closed"}}, {{"path", "/default"}}});
  auto checked = route(requests, /*verify_jwt=*/true);
  EXPECT_EQ(checked["/open"]["status"], 200) << checked["/open"].dump();
  EXPECT_EQ(checked["/closed"]["status"], 401);
  EXPECT_EQ(checked["/default"]["status"], 401) << "the instance's verify_jwt applies without a setting";
  auto unchecked = route(requests, /*verify_jwt=*/false);
  EXPECT_EQ(unchecked["/open"]["status"], 200);
  EXPECT_EQ(unchecked["/closed"]["status"], 401) << unchecked["/closed"].dump();
  EXPECT_EQ(unchecked["/default"]["status"], 200);

  // A settings file that does not parse is a 500 naming no value, never a call without its settings.
  settings("broken", "{not json");
  auto broken = route(nlohmann::json::array({{{"path", "/broken"}}}), false);
  EXPECT_EQ(broken["/broken"]["status"], 500) << broken["/broken"].dump();
}

}  // namespace
}  // namespace supactl
