// SPDX-License-Identifier: Apache-2.0
//
// Two settings for instances that share a host's front: `public_url` (init --public-url,
// config set, what init/up/status print) and one domain per instance (init, config set and
// up refuse a domain another instance has, naming it; `localhost` is everyone's). Run as a
// person types them, in this process, against the in-memory fake Engine.
#include <supactl/backup/backup.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/fs.hpp>

#include <supactl/instance/restore.hpp>

#include "support/cli_run.hpp"
#include "support/fake_engine.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace supactl {
namespace {

namespace fs = std::filesystem;

class FrontDoor : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("SUPACTL_PORT_RANGE", "23000-23999", 1); }
  void TearDown() override { ::unsetenv("SUPACTL_PORT_RANGE"); }

  test::CliResult run(std::vector<std::string> args) { return test::run_cli(home.path(), engine, std::move(args)); }

  /// `init NAME EXTRA...` on two ports no other test gets, so a later `up` finds them free.
  test::CliResult init(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"init",         name,
                                     "--http-port",  std::to_string(test::free_port()),
                                     "--https-port", std::to_string(test::free_port())};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }

  fs::path spec_file(const std::string& name) const { return home.path() / "instances" / name / "instance.yaml"; }
  config::Instance instance(const std::string& name) const { return config::load_instance(home.path(), name); }

  test::TempDir home;
  test::FakeEngine engine;
};

/// How many `supactl: error:` lines `err` holds.
long error_lines(const std::string& err) {
  long n = 0;
  for (size_t at = err.find("supactl: error:"); at != std::string::npos; at = err.find("supactl: error:", at + 1)) ++n;
  return n;
}

// --- public_url -----------------------------------------------------------------------------------

TEST_F(FrontDoor, InitPublicUrlIsWrittenAndPrintedAsTheApiUrl) {
  const test::CliResult text = init("shop", {"--public-url", "https://api.example.com"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("  API      https://api.example.com\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  Studio   https://api.example.com/  "), std::string::npos) << text.out;
  EXPECT_NE(core::read_file(spec_file("shop")).find("\npublic_url: \"https://api.example.com\"\n"), std::string::npos);
  EXPECT_EQ(instance("shop").spec.public_url, "https://api.example.com");
  EXPECT_EQ(run({"config", "get", "shop", "public_url"}).out, "https://api.example.com\n");

  const test::CliResult json = init("blog", {"--public-url", "http://10.0.0.5:8080", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out).at("api_url"), "http://10.0.0.5:8080");
  // Without the flag nothing changes: the URL comes from the domain and ports, and the key is empty.
  const test::CliResult plain = init("plain");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_NE(plain.out.find("  API      http://localhost:"), std::string::npos) << plain.out;
  EXPECT_EQ(instance("plain").spec.public_url, "");
}

TEST_F(FrontDoor, InitWithABadPublicUrlExits2WithOneLineNamingTheFixAndCreatesNothing) {
  const test::CliResult slash = init("shop", {"--public-url", "https://api.example.com/"});
  EXPECT_EQ(slash.code, 2);
  EXPECT_NE(slash.err.find("supactl: error: public_url must not end with `/`: write `https://api.example.com`\n"),
            std::string::npos)
      << slash.err;
  EXPECT_NE(slash.err.find("--public-url"), std::string::npos) << slash.err;
  EXPECT_EQ(error_lines(slash.err), 1) << slash.err;
  EXPECT_FALSE(fs::exists(home.path() / "instances" / "shop"));

  const test::CliResult scheme = init("shop", {"--public-url", "api.example.com"});
  EXPECT_EQ(scheme.code, 2);
  EXPECT_NE(scheme.err.find("public_url must start with http:// or https://"), std::string::npos) << scheme.err;
  EXPECT_FALSE(fs::exists(home.path() / "instances" / "shop"));
}

TEST_F(FrontDoor, ConfigSetPublicUrlIsKeptAndFollowedByUpAndStatusAndABadOneChangesNothing) {
  ASSERT_EQ(init("shop").code, 0);
  engine.exit_on_start["shop-minio-init-1"] = 0;
  const test::CliResult set = run({"config", "set", "shop", "public_url", "https://supa.example.org:9443"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(instance("shop").spec.public_url, "https://supa.example.org:9443");
  EXPECT_NE(core::read_file(spec_file("shop")).find("# The URL clients use"), std::string::npos)
      << "the file keeps its comments";
  EXPECT_EQ(run({"config", "get", "shop", "public_url"}).out, "https://supa.example.org:9443\n");

  const std::string before = core::read_file(spec_file("shop"));
  const test::CliResult bad = run({"config", "set", "shop", "public_url", "https://supa.example.org/api"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("public_url must not have a path"), std::string::npos) << bad.err;
  EXPECT_EQ(core::read_file(spec_file("shop")), before);

  const test::CliResult up = run({"up", "shop"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_NE(up.out.find("  API      https://supa.example.org:9443\n"), std::string::npos) << up.out;
  const std::string compose = core::read_file(home.path() / "instances/shop/rendered/compose.yml");
  EXPECT_NE(compose.find("API_EXTERNAL_URL: \"https://supa.example.org:9443/auth/v1\""), std::string::npos);
  const test::CliResult status = run({"status", "shop", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(status.out).at("endpoints").at("api"), "https://supa.example.org:9443") << status.err;

  // Back to the derived URL: the empty value.
  ASSERT_EQ(run({"config", "set", "shop", "public_url", ""}).code, 0);
  EXPECT_EQ(instance("shop").spec.public_url, "");
}

// --- one domain, one instance ---------------------------------------------------------------------

TEST_F(FrontDoor, InitRefusesADomainAnotherInstanceHasNamingItWithExit4) {
  ASSERT_EQ(init("shop", {"--domain", "api.example.com"}).code, 0);
  const test::CliResult r = init("blog", {"--domain", "api.example.com"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("supactl: error: domain api.example.com is already used by instance shop\n"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("choose another --domain, or remove shop with `supactl rm shop`"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home.path() / "instances" / "blog"));
  EXPECT_EQ(init("blog", {"--domain", "blog.example.com"}).code, 0) << "another domain is fine";
}

TEST_F(FrontDoor, InstancesWithoutADomainNeverConflict) {
  ASSERT_EQ(init("shop").code, 0);
  ASSERT_EQ(init("blog").code, 0);
  ASSERT_EQ(init("wiki", {"--domain", "localhost"}).code, 0);
  EXPECT_EQ(instance("blog").spec.domain, "localhost");
  engine.exit_on_start["blog-minio-init-1"] = 0;
  const test::CliResult up = run({"up", "blog"});
  EXPECT_EQ(up.code, 0) << up.err;
}

TEST_F(FrontDoor, DomainsCompareWithoutCaseAndLocalhostIsNobodys) {
  ASSERT_EQ(init("shop", {"--domain", "api.example.com"}).code, 0);
  ASSERT_EQ(init("blog").code, 0);
  EXPECT_EQ(config::domain_owner(home.path(), "API.Example.COM", "blog"), "shop");
  EXPECT_EQ(config::domain_owner(home.path(), "api.example.com", "shop"), "")
      << "an instance does not conflict with itself";
  EXPECT_EQ(config::domain_owner(home.path(), "localhost", "shop"), "");
  EXPECT_EQ(config::domain_owner(home.path(), "LocalHost", "shop"), "");
  EXPECT_EQ(config::domain_owner(home.path(), "", "shop"), "");
  EXPECT_EQ(config::domain_owner(home.path(), "other.example.com", "blog"), "");
}

TEST_F(FrontDoor, AnInstanceWhoseSpecDoesNotLoadIsSkipped) {
  ASSERT_EQ(init("shop", {"--domain", "api.example.com"}).code, 0);
  core::write_file_atomic(spec_file("shop"), "domain: [unclosed\n");
  EXPECT_EQ(config::domain_owner(home.path(), "api.example.com", "blog"), "");
  const test::CliResult r = init("blog", {"--domain", "api.example.com"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(FrontDoor, ConfigSetRefusesADomainAnotherInstanceHasAndWritesNothing) {
  ASSERT_EQ(init("shop", {"--domain", "api.example.com"}).code, 0);
  ASSERT_EQ(init("blog").code, 0);
  const std::string before = core::read_file(spec_file("blog"));
  const test::CliResult r = run({"config", "set", "blog", "domain", "api.example.com"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("domain api.example.com is already used by instance shop"), std::string::npos) << r.err;
  EXPECT_EQ(core::read_file(spec_file("blog")), before);
}

TEST_F(FrontDoor, UpRefusesADomainAnotherInstanceHasBeforeAnyEngineCall) {
  ASSERT_EQ(init("shop", {"--domain", "api.example.com"}).code, 0);
  ASSERT_EQ(init("blog", {"--domain", "blog.example.com"}).code, 0);
  // Edited by hand (or made before domains were checked): both now claim one domain.
  std::string text = core::read_file(spec_file("blog"));
  const std::string from = "domain: \"blog.example.com\"";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "domain: \"api.example.com\"");
  core::write_file_atomic(spec_file("blog"), text);
  // Were the check missing, `up` would converge at once (not wait for minio-init) and exit 0.
  engine.exit_on_start["blog-minio-init-1"] = 0;

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"up", "blog"}, std::vector<std::string>{"up", "blog", "--dry-run"},
        std::vector<std::string>{"scale", "blog", "rest=2"}}) {
    const test::CliResult r = run(args);
    EXPECT_EQ(r.code, 4) << args.back();
    EXPECT_NE(r.err.find("supactl: error: domain api.example.com is already used by instance shop\n"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("`supactl config set blog domain HOST`"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("`supactl rm shop`"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(engine.calls().empty()) << "refused before the Engine was asked anything";
  EXPECT_FALSE(fs::exists(home.path() / "instances/blog/rendered"));
  EXPECT_EQ(instance("blog").spec.scale.count("rest"), 0U) << "scale changed nothing either";
}

TEST_F(FrontDoor, ARestoredCopyOfALiveInstanceGetsLocalhostSoBothStillComeUp) {
  ASSERT_EQ(init("shop", {"--domain", "api.example.com", "--public-url", "https://api.example.com"}).code, 0);
  config::InstanceSpec archived = instance("shop").spec;
  archived.tls.mode = config::TlsMode::acme;
  archived.tls.email = "ops@example.com";
  test::TempDir nothing;
  const backup::Extracted ex{.manifest = {}, .dir = nothing.path()};
  std::string secrets_from;
  const config::Instance drill =
      instance::create_from_backup(home.path(), "drill", archived, ex, "shop.tar.gz", &secrets_from);
  EXPECT_EQ(drill.spec.domain, "localhost");
  EXPECT_EQ(drill.spec.public_url, "") << "shop's proxy is not in front of the copy";
  EXPECT_EQ(drill.spec.tls.mode, config::TlsMode::internal) << "no ACME for localhost";
  EXPECT_EQ(config::domain_owner(home.path(), "api.example.com", ""), "shop") << "shop keeps its domain alone";
  // A domain nobody has stays with the restored instance.
  archived.domain = "old.example.com";
  archived.public_url.clear();
  const config::Instance moved =
      instance::create_from_backup(home.path(), "moved", archived, ex, "shop.tar.gz", &secrets_from);
  EXPECT_EQ(moved.spec.domain, "old.example.com");
  EXPECT_EQ(moved.spec.tls.mode, config::TlsMode::acme);
}

}  // namespace
}  // namespace supactl
