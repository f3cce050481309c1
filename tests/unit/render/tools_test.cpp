// SPDX-License-Identifier: Apache-2.0
// The rendered files pass the real tools: `docker-compose config` on compose.yml (with the
// rendered .env next to it) and `caddy validate` on the Caddyfile in every TLS mode. Outside
// CI a missing tool skips its test with a message; in CI (CI set) it is a failure.
#include <supactl/config/spec.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/render/render.hpp>

#include "support/temp_dir.hpp"
#include "unit/render/render_fixture.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <algorithm>
#include <map>
#include <set>
#include <vector>

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

TEST(RenderTools, DockerComposeAcceptsTheSharedEdgeAndAnInstanceBehindIt) {
  SUPACTL_REQUIRE_TOOL("docker-compose");
  test::TempDir dir;
  edge::Settings s;
  s.bind = "127.0.0.1";
  s.http_port = 18080;
  s.https_port = 18443;
  fs::create_directories(dir.path() / "edge");
  core::write_file_atomic(dir.path() / "edge" / "compose.yml", edge::render_compose(s, ""));
  std::string output;
  EXPECT_EQ(run_in(dir.path() / "edge", "docker-compose -f compose.yml -p supactl-edge config", output), 0) << output;
  EXPECT_NE(output.find("127.0.0.1"), std::string::npos) << output;
  EXPECT_EQ(output.find("WARNING"), std::string::npos) << output;

  config::Instance inst = test::default_instance(dir.path());
  inst.spec.domain = "shop.example.com";
  inst.spec.edge = "shared";
  RenderResult r = render_instance(inst, dir.path() / "shared", "");
  EXPECT_EQ(run_in(r.dir, "docker-compose -f compose.yml -p " + inst.name + " config", output), 0) << output;
  EXPECT_NE(output.find(inst.name + "-kong"), std::string::npos) << output;
  EXPECT_EQ(output.find("WARNING"), std::string::npos) << output;
}

TEST(RenderTools, CaddyValidatesTheSharedEdgesJsonConfig) {
  SUPACTL_REQUIRE_TOOL("caddy");
  test::TempDir dir;
  edge::Settings s;
  s.http_port = 18080;
  s.https_port = 18443;
  s.email = "ops@example.com";
  const std::vector<edge::Route> routes = {
      edge::Route{.instance = "shop", .domain = "shop.example.com", .internal_tls = false},
      edge::Route{.instance = "blog", .domain = "blog.test", .internal_tls = true}};
  // The host's caddy is Debian's 2.6, which predates stream_close_delay: validated without it.
  for (const auto& config : {edge::caddy_config(s, routes), edge::caddy_config(s, {})}) {
    core::write_file_atomic(dir.path() / "edge.json", config.dump(2));
    std::string output;
    const int code = run_in(dir.path(), "HOME='" + dir.path().string() + "' caddy validate --config edge.json", output);
    EXPECT_EQ(code, 0) << output;
    EXPECT_NE(output.find("Valid configuration"), std::string::npos) << output;
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

/// Every path of a document: mapping keys joined by '.', sequence items as [i]. Values are
/// left out: this is the document's shape.
void shape_of_yaml(const YAML::Node& n, const std::string& at, std::set<std::string>& out) {
  out.insert(at);
  if (n.IsMap()) {
    for (const auto& kv : n) shape_of_yaml(kv.second, at + "." + kv.first.as<std::string>(), out);
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) shape_of_yaml(n[i], at + "[" + std::to_string(i) + "]", out);
  }
}

void shape_of_json(const nlohmann::json& n, const std::string& at, std::set<std::string>& out) {
  out.insert(at);
  if (n.is_object()) {
    for (const auto& [k, v] : n.items()) shape_of_json(v, at + "." + k, out);
  } else if (n.is_array()) {
    for (std::size_t i = 0; i < n.size(); ++i) shape_of_json(n[i], at + "[" + std::to_string(i) + "]", out);
  }
}

/// The shape of every rendered file: the paths of a YAML file, of the Caddyfile as Caddy
/// itself adapts it to JSON, and the line count of any other file.
std::map<std::string, std::set<std::string>> rendered_shape(const RenderResult& r) {
  std::map<std::string, std::set<std::string>> out;
  for (const std::string& f : r.files) {
    const fs::path path = r.dir / f;
    std::set<std::string>& shape = out[f];
    if (path.extension() == ".yml" || path.extension() == ".yaml") {
      shape_of_yaml(YAML::LoadFile(path.string()), "", shape);
    } else if (path.filename() == "Caddyfile") {
      std::string json;
      EXPECT_EQ(run_in(r.dir, "HOME='" + r.dir.string() + "' caddy adapt --adapter caddyfile --config Caddyfile", json),
                0)
          << json;
      shape_of_json(nlohmann::json::parse(json.substr(json.find('{'))), "", shape);
    } else {
      const std::string text = core::read_file(path);
      shape.insert("lines " + std::to_string(std::count(text.begin(), text.end(), '\n')));
    }
  }
  return out;
}

/// `root` with the value at dotted `key` replaced by `value`.
YAML::Node with_value(const std::string& yaml, const std::string& key, const YAML::Node& value) {
  YAML::Node root = YAML::Load(yaml);
  std::vector<YAML::Node> chain = {root};
  std::size_t start = 0;
  for (std::size_t dot = key.find('.'); dot != std::string::npos; start = dot + 1, dot = key.find('.', start)) {
    chain.push_back(chain.back()[key.substr(start, dot - start)]);
  }
  chain.back()[key.substr(start)] = value;
  return root;
}

// Issue 19: whatever a string key of instance.yaml holds (quotes, `#`, `:`, `{{`, `$`, `\`,
// braces, unicode, a line break), either the loader refuses it naming the key, or every
// rendered file keeps the shape it has with plain values: no new key, service, route or
// directive. Every key of the loader's own list is tried, as a string and as a list of one.
TEST(RenderTools, NoValueOfAnyInstanceKeyChangesTheShapeOfARenderedFile) {
  SUPACTL_REQUIRE_TOOL("caddy");
  test::TempDir dir;
  const config::Instance plain = test::full_instance(dir.path());
  const std::string plain_yaml = config::format_spec(plain.spec);
  const auto plain_shape = rendered_shape(render_instance(plain, dir.path() / "plain", ""));
  const std::vector<std::string> values = {"x\" y\\z: #w $v ${U} $$ {{t}} {s} } 'r' ünï", "a\nservices:\n  evil: {}",
                                           "}\n:80 {\n  respond 1\n}"};
  int accepted = 0;
  int refused = 0;
  std::set<std::string> accepted_keys;
  int round = 0;
  for (std::string key : config::spec_key_paths()) {
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"<service>", "rest"}, {"<provider>", "github"}}) {
      if (const std::size_t at = key.find(from); at != std::string::npos) key.replace(at, from.size(), to);
    }
    for (const std::string& value : values) {
      YAML::Node list(YAML::NodeType::Sequence);
      list.push_back(value);
      for (const YAML::Node& node : {YAML::Node(value), list}) {
        YAML::Emitter yaml;
        yaml << with_value(plain_yaml, key, node);
        config::Instance inst = plain;
        RenderResult rendered;
        try {
          inst.spec = config::parse_spec(yaml.c_str(), "instance.yaml");
          rendered = render_instance(inst, dir.path() / std::to_string(++round), "");
        } catch (const Error& e) {
          ++refused;
          const std::string leaf = key.substr(key.rfind('.') + 1);
          EXPECT_NE(std::string(e.what()).find(leaf), std::string::npos)
              << "the refusal does not name " << key << ": " << e.what();
          continue;
        }
        ++accepted;
        accepted_keys.insert(key);
        const auto shape = rendered_shape(rendered);
        ASSERT_EQ(shape.size(), plain_shape.size()) << key << " = " << value;
        for (const auto& [file, paths] : plain_shape) {
          EXPECT_EQ(shape.at(file), paths) << file << " changed shape with " << key << " = " << yaml.c_str();
        }
      }
    }
  }
  // Both outcomes really happened: string keys take these values, others refuse them.
  std::string keys;
  for (const std::string& k : accepted_keys) keys += " " + k;
  EXPECT_GE(accepted_keys.size(), 7u) << "accepted:" << keys;
  EXPECT_GE(refused, 40) << "accepted " << accepted;
}

}  // namespace
}  // namespace supactl::render
