// SPDX-License-Identifier: Apache-2.0
// instance.yaml: the documented errors (with line numbers, all at once), unknown keys, name
// rules, home resolution, and a format → parse round trip.
#include <supactl/config/home.hpp>
#include <supactl/config/spec.hpp>
#include <supactl/core/error.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

namespace supactl::config {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_spec(text, "instance.yaml");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

const char* k_minimal = "name: shop\nports:\n  http: 8000\n  https: 8443\n";

TEST(Name, AcceptsDnsLabels) {
  for (const char* ok : {"a", "shop", "shop-2", "0x", "a-b-c", "abcdefghijabcdefghijabcdefghijabcdefghij"}) {
    EXPECT_NO_THROW(validate_name(ok)) << ok;
  }
}

TEST(Name, RejectionsNameTheRule) {
  auto message = [](const std::string& name) {
    try {
      validate_name(name);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(""), "instance name is empty");
  EXPECT_EQ(message("Shop"), "instance name `Shop` may contain only lower-case letters, digits and '-' (found 'S')");
  EXPECT_EQ(message("a_b"), "instance name `a_b` may contain only lower-case letters, digits and '-' (found '_')");
  EXPECT_EQ(message("-a"), "instance name `-a` must not start or end with '-'");
  EXPECT_EQ(message("a-"), "instance name `a-` must not start or end with '-'");
  EXPECT_EQ(message(std::string(41, 'a')), "instance name `" + std::string(41, 'a') + "` is longer than 40 characters");
  EXPECT_EQ(message("../x"), "instance name `../x` may contain only lower-case letters, digits and '-' (found '.')");
}

TEST(Spec, MinimalFileGetsDefaults) {
  InstanceSpec s = parse_spec(k_minimal, "instance.yaml");
  EXPECT_EQ(s.name, "shop");
  EXPECT_EQ(s.release, "v0.8.1");
  EXPECT_EQ(s.domain, "localhost");
  EXPECT_EQ(s.ports.http, 8000);
  EXPECT_EQ(s.ports.db, 0);
  EXPECT_EQ(s.tls.mode, TlsMode::internal);
  EXPECT_EQ(s.storage.backend, StorageBackend::minio);
  EXPECT_TRUE(s.enabled("studio"));
  EXPECT_FALSE(s.enabled("analytics"));
  EXPECT_TRUE(s.enabled("minio-init"));
}

TEST(Spec, LogsRotateAtTenMegabytesTimesFiveUnlessSaid) {
  EXPECT_EQ(parse_spec(k_minimal, "instance.yaml").logs.max_size, "10m");
  EXPECT_EQ(parse_spec(k_minimal, "instance.yaml").logs.max_files, 5);
  InstanceSpec s = parse_spec(std::string(k_minimal) + "logs:\n  max_size: 200k\n  max_files: 2\n", "instance.yaml");
  EXPECT_EQ(s.logs.max_size, "200k");
  EXPECT_EQ(s.logs.max_files, 2);
  EXPECT_EQ(error_of(std::string(k_minimal) + "logs:\n  max_size: 10 MB\n  max_files: 0\n"),
            "instance.yaml:6: logs.max_size must look like 10m (a number and k, m or g)\n"
            "instance.yaml:7: logs.max_files must be a number between 1 and 100");
}

TEST(Spec, PortOutOfRangeNamesLineAndRule) {
  std::string text = "name: shop\nports:\n  http: 70000\n  https: 8443\n";
  EXPECT_EQ(error_of(text), "instance.yaml:3: ports.http must be a number between 1 and 65535");
  EXPECT_EQ(error_of("name: shop\nports:\n  http: abc\n  https: 8443\n"),
            "instance.yaml:3: ports.http must be a number between 1 and 65535");
}

TEST(Spec, UnknownKeysAreRejectedWithTheirLine) {
  std::string text = std::string(k_minimal) + "tls:\n  mode: off\n  colour: blue\nextra: 1\n";
  EXPECT_EQ(error_of(text), "instance.yaml:7: unknown key `tls.colour`\ninstance.yaml:8: unknown key `extra`");
}

TEST(Spec, EveryProblemIsReportedOnceInLineOrder) {
  std::string text =
      "name: shop\n"          // 1
      "domain: Not_A_Host\n"  // 2
      "ports:\n"              // 3
      "  http: 0\n"           // 4
      "  https: 8443\n"       // 5
      "services:\n"           // 6
      "  db: false\n"         // 7
      "  meta: false\n"       // 8
      "storage:\n"            // 9
      "  backend: s3\n"       // 10
      "tls:\n"                // 11
      "  mode: acme\n"        // 12
      "kong:\n"               // 13
      "  replicas: 99\n";     // 14
  std::string all = error_of(text);
  EXPECT_EQ(all,
            "instance.yaml:2: domain `Not_A_Host` must be a lower-case host name\n"
            "instance.yaml:4: ports.http must be a number between 1 and 65535\n"
            "instance.yaml:6: services.studio needs services.meta\n"
            "instance.yaml:7: services.db cannot be switched off (optional services: auth, rest, realtime, "
            "storage, imgproxy, meta, studio, functions, analytics, vector, supavisor)\n"
            "instance.yaml:10: storage.backend must be minio or file (not `s3`)\n"
            "instance.yaml:11: tls.mode acme needs tls.email (the ACME account)\n"
            "instance.yaml:12: tls.mode acme needs a public domain (set `domain`)\n"
            "instance.yaml:14: kong.replicas must be a number between 1 and 16");
}

TEST(Spec, SyntaxErrorCarriesLine) {
  std::string message = error_of("name: shop\nports: [unclosed\n");
  EXPECT_EQ(message.rfind("instance.yaml:", 0), 0u) << message;
}

TEST(Spec, FormatThenParseGivesTheSameSpec) {
  InstanceSpec s;
  s.name = "shop";
  s.domain = "api.example.com";
  s.registry = "127.0.0.1:5000";
  s.images["studio"] = "supabase/studio:custom";
  s.ports = Ports{.http = 8080, .https = 8443, .db = 5433};
  s.services["analytics"] = true;
  s.services["imgproxy"] = false;
  s.kong.replicas = 3;
  s.kong.rate_limit.per_second = 0;
  s.auth.additional_redirect_urls = {"https://app.example.com/*", "http://x/\"quoted\""};
  s.auth.providers["github"] = OAuthProvider{.enabled = true, .client_id = "abc", .redirect_uri = ""};
  s.storage.backend = StorageBackend::file;
  s.storage.bucket = "files";
  s.tls = TlsSpec{.mode = TlsMode::acme, .email = "ops@example.com"};
  s.resources["db"] = Resources{.memory = "2g", .cpus = "1.5"};
  s.wait.timeout_s = 120;
  s.functions_verify_jwt = true;
  s.scale["rest"] = 3;
  std::string text = format_spec(s);
  InstanceSpec back = parse_spec(text, "instance.yaml");
  EXPECT_EQ(format_spec(back), text);
  EXPECT_EQ(back.images.at("studio"), "supabase/studio:custom");
  EXPECT_EQ(back.auth.additional_redirect_urls, s.auth.additional_redirect_urls);
  EXPECT_TRUE(back.auth.providers.at("github").enabled);
  EXPECT_EQ(back.resources.at("db").cpus, "1.5");
  EXPECT_FALSE(back.enabled("imgproxy"));
  EXPECT_EQ(back.tls.email, "ops@example.com");
  EXPECT_EQ(back.scale.at("rest"), 3);
}

TEST(Spec, DbStandbyIsOffUnlessSaidAndRunsServiceDbStandbyWhenOn) {
  InstanceSpec off = parse_spec(k_minimal, "instance.yaml");
  EXPECT_FALSE(off.db_standby);
  EXPECT_FALSE(off.enabled("db-standby"));
  InstanceSpec on = parse_spec(std::string(k_minimal) + "db:\n  standby: true\n", "instance.yaml");
  EXPECT_TRUE(on.db_standby);
  EXPECT_TRUE(on.enabled("db-standby"));
  EXPECT_EQ(parse_spec(format_spec(on), "instance.yaml").db_standby, true);
  EXPECT_THROW(parse_spec(std::string(k_minimal) + "db:\n  standby: maybe\n", "instance.yaml"), Error);
  EXPECT_THROW(parse_spec(std::string(k_minimal) + "db:\n  replicas: 2\n", "instance.yaml"), Error);
}

TEST(Spec, BackupWalIsOffUnlessSetAndRoundTrips) {
  InstanceSpec s = parse_spec(k_minimal, "instance.yaml");
  EXPECT_FALSE(s.backup.wal);
  s = parse_spec(std::string(k_minimal) + "backup:\n  wal: true\n", "instance.yaml");
  EXPECT_TRUE(s.backup.wal);
  EXPECT_TRUE(parse_spec(format_spec(s), "instance.yaml").backup.wal);
  EXPECT_THROW(parse_spec(std::string(k_minimal) + "backup:\n  wal: often\n", "instance.yaml"), Error);
}

TEST(Spec, DbPrimaryIsDbUnlessAFailoverMovedItAndDecidesWhichPostgresRuns) {
  InstanceSpec s = parse_spec(k_minimal, "instance.yaml");
  EXPECT_EQ(s.db_primary, "db");
  EXPECT_EQ(s.db_standby_service(), "db-standby");
  EXPECT_TRUE(s.enabled("db"));
  EXPECT_FALSE(s.enabled("db-standby"));

  InstanceSpec moved = parse_spec(std::string(k_minimal) + "db:\n  primary: db-standby\n", "instance.yaml");
  EXPECT_EQ(moved.db_primary, "db-standby");
  EXPECT_EQ(moved.db_standby_service(), "db");
  EXPECT_TRUE(moved.enabled("db-standby"));
  EXPECT_FALSE(moved.enabled("db")) << "the fenced former primary does not run";
  moved.db_standby = true;
  EXPECT_TRUE(moved.enabled("db")) << "until it is made the standby";
  EXPECT_EQ(parse_spec(format_spec(moved), "instance.yaml").db_primary, "db-standby");

  try {
    parse_spec(std::string(k_minimal) + "db:\n  primary: replica\n", "instance.yaml");
    FAIL() << "db.primary: replica was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("db.primary must be db or db-standby"), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

TEST(Spec, ScaleAcceptsStatelessServicesAndRefusesStatefulOnesWithTheReason) {
  InstanceSpec s = parse_spec(std::string(k_minimal) + "scale:\n  rest: 3\n  auth: 2\n", "instance.yaml");
  EXPECT_EQ(s.scale.at("rest"), 3);
  EXPECT_EQ(s.scale.at("auth"), 2);
  std::string db = error_of(std::string(k_minimal) + "scale:\n  db: 2\n");
  EXPECT_EQ(db.rfind("instance.yaml:6: scale.db: db holds the data on one volume", 0), 0u) << db;
  EXPECT_EQ(error_of(std::string(k_minimal) + "scale:\n  rest: 40\n"),
            "instance.yaml:6: scale.rest must be a number between 1 and 16");
  EXPECT_EQ(error_of(std::string(k_minimal) + "scale:\n  kong: 2\n"),
            "instance.yaml:6: scale.kong: kong's replicas are kong.replicas");
  for (const char* stateful : {"db", "minio", "redis", "realtime", "caddy"}) {
    EXPECT_FALSE(scale_refusal(stateful).empty()) << stateful;
  }
  for (const char* stateless : {"rest", "auth", "storage", "functions", "kong", "imgproxy", "meta"}) {
    EXPECT_TRUE(scale_refusal(stateless).empty()) << stateless;
  }
}

TEST(Spec, PublicUrlAcceptsSchemeHostAndPortOnly) {
  EXPECT_EQ(parse_spec(k_minimal, "instance.yaml").public_url, "") << "unset = derived from domain and ports";
  for (const char* ok : {"https://api.example.com", "http://api.example.com", "https://api.example.com:8443",
                         "http://10.0.0.5:8080", "https://[2001:db8::1]", "https://Supa.Example.COM"}) {
    InstanceSpec s = parse_spec(std::string(k_minimal) + "public_url: \"" + ok + "\"\n", "instance.yaml");
    EXPECT_EQ(s.public_url, ok);
  }
  EXPECT_EQ(parse_spec(std::string(k_minimal) + "public_url: \"\"\n", "instance.yaml").public_url, "");
}

TEST(Spec, PublicUrlRefusalsAreOneLineNamingTheKeyAndTheFix) {
  auto error = [](const std::string& url) {
    return error_of(std::string(k_minimal) + "public_url: \"" + url + "\"\n");
  };
  EXPECT_EQ(error("api.example.com"),
            "instance.yaml:5: public_url must start with http:// or https://, e.g. https://api.example.com");
  EXPECT_EQ(error("ftp://api.example.com"),
            "instance.yaml:5: public_url must start with http:// or https://, e.g. https://api.example.com");
  EXPECT_EQ(error("https://api.example.com/"),
            "instance.yaml:5: public_url must not end with `/`: write `https://api.example.com`");
  EXPECT_EQ(error("https://api.example.com?x=1"),
            "instance.yaml:5: public_url must not have a query or fragment: write `https://api.example.com`");
  EXPECT_EQ(error("https://api.example.com:8443/#top"),
            "instance.yaml:5: public_url must not have a query or fragment: write `https://api.example.com:8443`");
  EXPECT_EQ(error("https://api.example.com/supabase")
                .rfind("instance.yaml:5: public_url must not have a path (the API routes and Studio sit at /): write "
                       "`https://api.example.com`",
                       0),
            0u);
  const std::string no_host = "public_url needs a host name after https:// (and optionally :PORT 1-65535)";
  for (const char* bad : {"https://", "https://:8443", "https://user@api.example.com", "https://api.example.com:0",
                          "https://api.example.com:70000", "https://api example.com", "https://api.example.com:x",
                          "https://\\\"quoted\\\""}) {
    const std::string message = error(bad);
    EXPECT_NE(message.find(no_host), std::string::npos) << bad << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Spec, PublicUrlSurvivesFormatThenParse) {
  InstanceSpec s = parse_spec(k_minimal, "instance.yaml");
  s.public_url = "https://api.example.com:8443";
  const std::string text = format_spec(s);
  EXPECT_NE(text.find("\npublic_url: \"https://api.example.com:8443\"\n"), std::string::npos) << text;
  EXPECT_EQ(parse_spec(text, "instance.yaml").public_url, "https://api.example.com:8443");
  EXPECT_EQ(format_spec(parse_spec(text, "instance.yaml")), text);
}

TEST(Home, FlagThenEnvironmentThenXdgThenHome) {
  const char* old_home = std::getenv("HOME");
  std::string saved_home = old_home == nullptr ? "" : old_home;
  ::setenv("SUPACTL_HOME", "/env/home", 1);
  ::setenv("XDG_DATA_HOME", "/xdg", 1);
  EXPECT_EQ(home_dir("/flag"), "/flag");
  EXPECT_EQ(home_dir(""), "/env/home");
  ::unsetenv("SUPACTL_HOME");
  EXPECT_EQ(home_dir(""), "/xdg/supactl");
  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(home_dir(""), "/home/someone/.local/share/supactl");
  EXPECT_EQ(instance_dir("/h", "shop"), "/h/instances/shop");
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace supactl::config
