// SPDX-License-Identifier: Apache-2.0
// Creating and loading instances: disjoint ports across instances, all-or-nothing creation,
// an existing instance left byte-identical, and the not-found error with its hint.
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

namespace supactl::config {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t k_now = 1767225600;

class NoPortTaken final : public ports::PortProbe {
 public:
  bool is_free(int) const override { return true; }
  std::string owner(int) const override { return "nobody"; }
};

/// Every file below `dir` with its bytes.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end; ++it) {
    std::string rel = fs::relative(it->path(), dir).string();
    out[rel] = it->is_regular_file() ? core::read_file(it->path()) : std::string("<dir>");
  }
  return out;
}

TEST(Instance, ThreeInstancesGetDisjointPorts) {
  test::TempDir home;
  ports::HostPortProbe probe;
  std::set<int> seen;
  for (const char* name : {"one", "two", "three"}) {
    CreateOptions options;
    options.ports.want_db = true;
    Instance inst = create_instance(home.path(), name, options, ports::PortRange{20000, 20999}, probe, k_now);
    for (int port : {inst.spec.ports.http, inst.spec.ports.https, inst.spec.ports.db}) {
      EXPECT_TRUE(port >= 20000 && port <= 20999) << port;
      EXPECT_TRUE(seen.insert(port).second) << "port " << port << " given twice";
    }
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_EQ(list_instances(home.path()), (std::vector<std::string>{"one", "three", "two"}));
  ports::ReservedPorts reserved = reserved_ports(home.path(), "two");
  EXPECT_EQ(reserved.size(), 6u);
}

TEST(Instance, CreatedInstanceLoadsBackWithValidSecrets) {
  test::TempDir home;
  NoPortTaken probe;
  CreateOptions options;
  options.domain = "api.example.com";
  options.exclude = {"studio", "meta"};
  options.enable = {"supavisor"};
  Instance made = create_instance(home.path(), "shop", options, ports::PortRange{}, probe, k_now);
  Instance loaded = load_instance(home.path(), "shop");
  EXPECT_EQ(loaded.spec.domain, "api.example.com");
  EXPECT_FALSE(loaded.spec.enabled("studio"));
  EXPECT_TRUE(loaded.spec.enabled("supavisor"));
  EXPECT_EQ(loaded.secrets, made.secrets);
  EXPECT_EQ(loaded.spec.ports.http, 8000);
  EXPECT_EQ(loaded.spec.ports.https, 8001);
  struct stat st {};
  ASSERT_EQ(::stat(loaded.secrets_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Nothing but the two files: no temporary folder left behind.
  EXPECT_EQ(snapshot(home.path() / "instances").size(), 3u);
}

TEST(Instance, CreatingOverAnExistingInstanceChangesNothing) {
  test::TempDir home;
  NoPortTaken probe;
  create_instance(home.path(), "shop", CreateOptions{}, ports::PortRange{}, probe, k_now);
  auto before = snapshot(home.path());
  try {
    CreateOptions other;
    other.domain = "other.example.com";
    create_instance(home.path(), "shop", other, ports::PortRange{}, probe, k_now + 5);
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    EXPECT_NE(std::string(e.what()).find("instance `shop` already exists"), std::string::npos);
  }
  EXPECT_EQ(snapshot(home.path()), before);
}

TEST(Instance, ATakenDomainIsRefusedAndNothingIsCreated) {
  test::TempDir home;
  NoPortTaken probe;
  CreateOptions options;
  options.domain = "api.example.com";
  create_instance(home.path(), "shop", options, ports::PortRange{}, probe, k_now);
  const auto before = snapshot(home.path());
  try {
    create_instance(home.path(), "blog", options, ports::PortRange{}, probe, k_now);
    FAIL() << "expected the domain to be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    EXPECT_STREQ(e.what(), "domain api.example.com is already used by instance shop");
  }
  EXPECT_EQ(snapshot(home.path()), before) << "nothing was created";
}

TEST(Instance, FailedCreationLeavesNoTrace) {
  test::TempDir parent;
  fs::path home = parent.path() / "new-home";
  NoPortTaken probe;
  // A service dependency error is found before anything is written.
  CreateOptions no_meta;
  no_meta.exclude = {"meta"};
  EXPECT_THROW(create_instance(home, "shop", no_meta, ports::PortRange{}, probe, k_now), Error);
  // A port conflict is found after the home was created: it is removed again.
  ports::PortRequest taken;
  taken.http = 8000;
  taken.https = 8000;
  CreateOptions twice;
  twice.ports = taken;
  EXPECT_THROW(create_instance(home, "shop", twice, ports::PortRange{}, probe, k_now), Error);
  EXPECT_FALSE(fs::exists(home));
  EXPECT_THROW(create_instance(home, "Bad", CreateOptions{}, ports::PortRange{}, probe, k_now), Error);
  EXPECT_FALSE(fs::exists(home));
}

TEST(Instance, UnwritableHomeIsAOneLineErrorWithHint) {
  test::TempDir parent;
  core::write_file_atomic(parent.path() / "file", "x");
  NoPortTaken probe;
  try {
    create_instance(parent.path() / "file" / "home", "shop", CreateOptions{}, ports::PortRange{}, probe, k_now);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cannot create"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("--home"), std::string::npos);
  }
  EXPECT_EQ(snapshot(parent.path()).size(), 1u);
}

TEST(Instance, LoadingAMissingInstanceSaysHowToCreateIt) {
  test::TempDir home;
  try {
    load_instance(home.path(), "ghost");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::not_found);
    EXPECT_NE(e.hint().find("run `supactl init ghost`"), std::string::npos) << e.hint();
  }
}

TEST(Instance, LoadReportsSpecProblemsWithLinesAndAMismatchedName) {
  test::TempDir home;
  NoPortTaken probe;
  Instance inst = create_instance(home.path(), "shop", CreateOptions{}, ports::PortRange{}, probe, k_now);
  std::string text = core::read_file(inst.spec_file());
  core::write_file_atomic(inst.spec_file(), text + "bogus: 1\n");
  try {
    load_instance(home.path(), "shop");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find(":" + std::to_string(std::count(text.begin(), text.end(), '\n') + 1) +
                                         ": unknown key `bogus`"),
              std::string::npos)
        << e.what();
  }
  std::string renamed = text;
  renamed.replace(renamed.find("name: \"shop\""), 12, "name: \"other\"");
  core::write_file_atomic(inst.spec_file(), renamed);
  EXPECT_THROW(load_instance(home.path(), "shop"), Error);
}

TEST(Instance, ASecretsFileOthersCanReadIsRefusedWithTheChmodThatFixesIt) {
  test::TempDir home;
  NoPortTaken probe;
  Instance made = create_instance(home.path(), "shop", CreateOptions{}, ports::PortRange{}, probe, k_now);
  const std::string before = core::read_file(made.secrets_file());
  ASSERT_EQ(::chmod(made.secrets_file().c_str(), 0644), 0);
  try {
    load_instance(home.path(), "shop");
    FAIL() << "a world-readable secrets.env was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("readable by other users (mode 0644)"), std::string::npos) << e.what();
    EXPECT_EQ(e.hint().rfind("chmod 600 " + made.secrets_file().string(), 0), 0u) << e.hint();
  }
  EXPECT_EQ(core::read_file(made.secrets_file()), before);  // refused, not "fixed" behind the user's back
  ASSERT_EQ(::chmod(made.secrets_file().c_str(), 0600), 0);
  EXPECT_NO_THROW(load_instance(home.path(), "shop"));
}

TEST(Instance, NamesOfCommandsAndHomeFoldersAreRefusedForNewInstances) {
  test::TempDir home;
  NoPortTaken probe;
  for (const char* name : {"ls", "init", "backups", "instances", "up"}) {
    try {
      create_instance(home.path(), name, CreateOptions{}, ports::PortRange{}, probe, k_now);
      FAIL() << name << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_NE(std::string(e.what()).find("is reserved"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(list_instances(home.path()).empty());
  EXPECT_NO_THROW(validate_name("ls"));  // an existing instance of that name still loads
}

TEST(Instance, AHugeInstanceYamlIsRefusedAndLongValuesAreCutInMessages) {
  std::string big = "name: shop\n# " + std::string((1 << 20) + 10, 'x') + "\n";
  try {
    parse_spec(big, "instance.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at most 1 MiB"), std::string::npos) << e.what();
  }
  std::string long_key = "ünï" + std::string(200, 'k');
  try {
    parse_spec("name: shop\nports: {http: 1, https: 2}\n" + long_key + ": 1\n", "instance.yaml");
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown key `ünï"), std::string::npos) << m;  // non-ASCII shown as it is
    EXPECT_NE(m.find("…`"), std::string::npos) << m;
    EXPECT_LT(m.size(), 200u) << m;
  }
}

TEST(Instance, OverridesThatHandOverTheHostAreRefusedNamingTheKeyUnlessAllowed) {
  test::TempDir home;
  NoPortTaken probe;
  Instance inst = create_instance(home.path(), "shop", CreateOptions{}, ports::PortRange{}, probe, k_now);
  auto with = [&](const std::string& service_yaml) {
    core::write_file_atomic(inst.override_file(), "services:\n  auth:\n" + service_yaml);
  };
  auto refused = [&](const std::string& service_yaml, const std::string& key) {
    with(service_yaml);
    try {
      check_override(inst);
      ADD_FAILURE() << "accepted:\n" << service_yaml;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(e.hint().find("overrides.allow_host_access: true"), std::string::npos) << e.hint();
    }
  };
  refused("    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
          "services.auth.volumes `/var/run/docker.sock`");
  refused("    volumes:\n      - /:/host:ro\n", "volumes `/`");
  refused("    volumes:\n      - ../../other/secrets.env:/x\n", "volumes `../../other/secrets.env`");
  refused("    volumes:\n      - type: bind\n        source: /etc\n        target: /etc2\n", "volumes `/etc`");
  refused("    privileged: true\n", "services.auth.privileged");
  refused("    cap_add: [SYS_ADMIN]\n", "services.auth.cap_add");
  refused("    network_mode: host\n", "network_mode: host");
  refused("    pid: host\n", "pid: host");
  refused("    ipc: host\n", "ipc: host");
  refused("    devices: [/dev/sda]\n", "services.auth.devices");
  refused("    security_opt: [apparmor=unconfined]\n", "apparmor=unconfined");
  refused("    security_opt: [\"seccomp:unconfined\"]\n", "seccomp:unconfined");
  core::write_file_atomic(inst.override_file(), "services:\n  db:\n    ports:\n      - \"5432:5432\"\n");
  EXPECT_THROW(check_override(inst), Error);

  // What stays allowed: environment, limits, a file of the instance's own, db on loopback.
  core::write_file_atomic(inst.override_file(),
                          "services:\n  auth:\n    environment:\n      GOTRUE_LOG_LEVEL: debug\n"
                          "    volumes:\n      - ../templates-extra/hook.sql:/hook.sql:ro\n      - named:/data\n"
                          "  db:\n    ports:\n      - \"127.0.0.1:5433:5432\"\n");
  EXPECT_NO_THROW(check_override(inst));
  // With the opt-in, anything goes.
  core::write_file_atomic(inst.override_file(), "services:\n  auth:\n    privileged: true\n");
  inst.spec.overrides_allow_host_access = true;
  EXPECT_NO_THROW(check_override(inst));
}

}  // namespace
}  // namespace supactl::config
