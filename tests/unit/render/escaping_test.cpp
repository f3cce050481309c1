// SPDX-License-Identifier: Apache-2.0
// Values from instance.yaml and secrets.env reach rendered files with every character that
// matters to YAML, compose interpolation, env files and shells (", \, :, #, $, a space, {{,
// quotes, unicode) and come back out unchanged: through supactl's own compose loader and
// through docker-compose, with the same services and the same variable names as a plain
// instance (no value can add a key or a service). Control characters are refused at load.
#include <supactl/compose/model.hpp>
#include <supactl/config/spec.hpp>
#include <supactl/core/env_value.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/render/render.hpp>

#include "support/temp_dir.hpp"
#include "unit/render/render_fixture.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>
#include <cstdlib>
#include <map>
#include <set>

namespace supactl::render {
namespace {

const std::string k_nasty = "a\"b\\c: d #e $f ${G} $$ {{h}} 'i' ünï";

config::Instance hostile_instance(const std::filesystem::path& dir) {
  config::Instance inst = test::full_instance(dir);
  inst.spec.auth.site_url = "https://app.example.com/?q=" + k_nasty;
  inst.spec.auth.additional_redirect_urls = {"https://x.example.com/" + k_nasty};
  inst.spec.auth.smtp.host = "smtp " + k_nasty;
  inst.spec.auth.smtp.user = "user " + k_nasty;
  inst.spec.auth.smtp.sender_name = "sender " + k_nasty;
  inst.spec.auth.smtp.admin_email = "admin " + k_nasty;
  inst.spec.auth.providers["github"].client_id = "client " + k_nasty;
  inst.spec.auth.providers["github"].redirect_uri = "https://cb.example.com/" + k_nasty;
  inst.spec.rest.schemas = {"public", "odd " + k_nasty};
  inst.secrets["SMTP_PASS"] = secrets::Secret("smtp-pass " + k_nasty);
  inst.secrets["GITHUB_SECRET"] = secrets::Secret("gh " + k_nasty);
  inst.secrets["DASHBOARD_PASSWORD"] = secrets::Secret("dash " + k_nasty);
  return inst;
}

std::map<std::string, std::map<std::string, std::string>> loaded_env(const RenderResult& r) {
  compose::LoadOptions options;
  options.project_name = "full";
  options.files = {r.compose_file};
  options.variables = compose::parse_env_file(core::read_file(r.dir / ".env"));
  compose::Project p = compose::load(options);
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [name, service] : p.services) {
    for (const std::string& kv : service.spec.env) {
      std::size_t eq = kv.find('=');
      out[name][kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return out;
}

TEST(RenderEscaping, EveryValueComesBackUnchangedThroughSupactlsComposeLoader) {
  test::TempDir dir;
  config::Instance plain = test::full_instance(dir.path());
  config::Instance hostile = hostile_instance(dir.path());
  auto plain_env = loaded_env(render_instance(plain, dir.path() / "plain", ""));
  auto env = loaded_env(render_instance(hostile, dir.path() / "hostile", ""));

  // The same services with the same variable names: no value added a key or a service.
  ASSERT_EQ(env.size(), plain_env.size());
  for (const auto& [service, vars] : plain_env) {
    std::set<std::string> a, b;
    for (const auto& kv : vars) a.insert(kv.first);
    for (const auto& kv : env[service]) b.insert(kv.first);
    EXPECT_EQ(a, b) << service;
  }
  EXPECT_EQ(env["auth"]["GOTRUE_SITE_URL"], hostile.spec.auth.site_url);
  EXPECT_EQ(env["auth"]["GOTRUE_URI_ALLOW_LIST"], hostile.spec.auth.additional_redirect_urls[0]);
  EXPECT_EQ(env["auth"]["GOTRUE_SMTP_HOST"], hostile.spec.auth.smtp.host);
  EXPECT_EQ(env["auth"]["GOTRUE_SMTP_USER"], hostile.spec.auth.smtp.user);
  EXPECT_EQ(env["auth"]["GOTRUE_SMTP_SENDER_NAME"], hostile.spec.auth.smtp.sender_name);
  EXPECT_EQ(env["auth"]["GOTRUE_SMTP_ADMIN_EMAIL"], hostile.spec.auth.smtp.admin_email);
  EXPECT_EQ(env["auth"]["GOTRUE_EXTERNAL_GITHUB_CLIENT_ID"], "client " + k_nasty);
  EXPECT_EQ(env["auth"]["GOTRUE_EXTERNAL_GITHUB_REDIRECT_URI"], "https://cb.example.com/" + k_nasty);
  EXPECT_EQ(env["rest"]["PGRST_DB_SCHEMAS"], "public,odd " + k_nasty);
  // Secrets travel through .env and compose interpolation.
  EXPECT_EQ(env["auth"]["GOTRUE_SMTP_PASS"], "smtp-pass " + k_nasty);
  EXPECT_EQ(env["auth"]["GOTRUE_EXTERNAL_GITHUB_SECRET"], "gh " + k_nasty);
  EXPECT_EQ(env["kong"]["DASHBOARD_PASSWORD"], "dash " + k_nasty);
}

TEST(RenderEscaping, EnvFileValuesRoundTripInEveryQuotingForm) {
  for (const std::string& value :
       {std::string("plain-Value_1.2:3@x"), std::string("with space # and $HOME"), std::string("it's \"both\" \\ $x"),
        std::string("tab\there\nnewline"), k_nasty, std::string()}) {
    std::string line = "K=" + core::env_quote(value) + "\n";
    EXPECT_EQ(compose::parse_env_file(line)["K"], value) << line;
    EXPECT_EQ(core::env_unquote(core::env_quote(value)), value) << line;
  }
}

TEST(RenderEscaping, ControlCharactersInInstanceYamlAreRefusedNamingTheKey) {
  test::TempDir dir;
  config::Instance inst = test::default_instance(dir.path());
  std::string yaml = config::format_spec(inst.spec);
  // format_spec writes strings JSON-quoted, which YAML reads with escapes: \n is a line break.
  const std::string from = "site_url: \"http://localhost:3000\"";
  std::size_t at = yaml.find(from);
  ASSERT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, from.size(), "site_url: \"http://localhost:3000\\nservices:\\n  evil: {}\"");
  try {
    config::parse_spec(yaml, "instance.yaml");
    FAIL() << "a line break in auth.site_url was accepted:\n" << yaml;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("auth.site_url must not contain control characters"), std::string::npos)
        << e.what();
  }
}

TEST(RenderEscaping, DockerComposeReadsTheSameValues) {
  if (std::system("command -v docker-compose >/dev/null 2>&1") != 0) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0' && std::string(ci) != "false") FAIL() << "docker-compose is missing in CI";
    GTEST_SKIP() << "docker-compose is not installed";
  }
  test::TempDir dir;
  config::Instance hostile = hostile_instance(dir.path());
  // docker-compose 1.29 reads .env with python-dotenv, which expands `${NAME}` even inside
  // quotes and has no escape for it: secrets holding `${` are read exactly by supactl only
  // (API_REFERENCE, secrets.env). Every other character goes through.
  const std::string no_quote = "a\"b\\c: d #e $f $$ {{h}} ünï";
  hostile.secrets["SMTP_PASS"] = secrets::Secret("smtp-pass " + no_quote);
  hostile.secrets["DASHBOARD_PASSWORD"] = secrets::Secret("dash " + no_quote);
  RenderResult r = render_instance(hostile, dir.path() / "hostile", "");
  const std::string out = (dir.path() / "resolved.yml").string();
  int status = std::system(("cd '" + r.dir.string() + "' && docker-compose -f compose.yml -p full config > '" + out +
                            "' 2>'" + out + ".err'")
                               .c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << core::read_file(out + ".err");
  YAML::Node services = YAML::LoadFile(out)["services"];
  // `config` prints a literal `$` as `$$` so that its output stays a valid compose file.
  auto value = [](const YAML::Node& n) {
    std::string s = n.as<std::string>();
    for (std::size_t at = 0; (at = s.find("$$", at)) != std::string::npos; ++at) s.erase(at, 1);
    return s;
  };
  YAML::Node auth = services["auth"]["environment"];
  EXPECT_EQ(value(auth["GOTRUE_SITE_URL"]), hostile.spec.auth.site_url);
  EXPECT_EQ(value(auth["GOTRUE_SMTP_HOST"]), hostile.spec.auth.smtp.host);
  EXPECT_EQ(value(auth["GOTRUE_EXTERNAL_GITHUB_CLIENT_ID"]), "client " + k_nasty);
  EXPECT_EQ(value(auth["GOTRUE_SMTP_PASS"]), "smtp-pass " + no_quote);
  EXPECT_EQ(value(services["kong"]["environment"]["DASHBOARD_PASSWORD"]), "dash " + no_quote);
}

}  // namespace
}  // namespace supactl::render
