// SPDX-License-Identifier: Apache-2.0
// The shared edge's pure parts: Caddy's JSON config for a set of routes, the settings file,
// the edge's compose file, and what `edge: shared` changes in an instance's render.
#include <supactl/config/spec.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/render/render.hpp>

#include "support/temp_dir.hpp"
#include "unit/render/render_fixture.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace supactl::edge {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Settings ports(int http, int https) {
  Settings s;
  s.http_port = http;
  s.https_port = https;
  return s;
}

std::vector<Route> two_routes() {
  return {Route{.instance = "shop", .domain = "shop.example.com", .internal_tls = false},
          Route{.instance = "blog", .domain = "blog.test", .internal_tls = true}};
}

const json& server(const json& config, const char* name) { return config["apps"]["http"]["servers"][name]; }

TEST(EdgeConfig, RoutesEachDomainToItsOwnGatewayAndAnswers404ForAnyOtherHost) {
  const json c = caddy_config(ports(80, 443), two_routes());
  const json& routes = server(c, "edge")["routes"];
  ASSERT_EQ(routes.size(), 3U);
  // Sorted by instance: blog, shop; then the catch-all.
  EXPECT_EQ(routes[0]["@id"], "supactl-blog");
  EXPECT_EQ(routes[0]["match"][0]["host"], json::array({"blog.test"}));
  EXPECT_EQ(routes[0]["handle"][0]["handler"], "reverse_proxy");
  EXPECT_EQ(routes[0]["handle"][0]["upstreams"][0]["dial"], "blog-kong:8000");
  EXPECT_EQ(routes[1]["handle"][0]["upstreams"][0]["dial"], "shop-kong:8000");
  EXPECT_TRUE(routes[1]["terminal"].get<bool>());
  EXPECT_FALSE(routes[2].contains("match"));
  EXPECT_EQ(routes[2]["handle"][0]["status_code"], 404);
  EXPECT_EQ(server(c, "edge")["listen"], json::array({":443"}));
  EXPECT_EQ(c["admin"]["listen"], "localhost:2019") << "the admin API stays inside the container";
}

TEST(EdgeConfig, AnUnreachableGatewayIsA503NamingTheInstance) {
  const json c = caddy_config(ports(80, 443), two_routes());
  const json& errors = server(c, "edge")["errors"]["routes"];
  ASSERT_EQ(errors.size(), 2U);
  EXPECT_EQ(errors[1]["match"][0]["host"], json::array({"shop.example.com"}));
  const json& h = errors[1]["handle"][0];
  EXPECT_EQ(h["status_code"], 503);
  EXPECT_EQ(json::parse(h["body"].get<std::string>())["instance"], "shop");
  EXPECT_EQ(h["headers"]["Retry-After"], json::array({"5"}));
}

TEST(EdgeConfig, HttpRedirectsKnownDomainsToHttpsKeepingAnOddPort) {
  json c = caddy_config(ports(18080, 18443), two_routes());
  const json& http = server(c, "redirect");
  EXPECT_EQ(http["listen"], json::array({":18080"}));
  EXPECT_EQ(http["routes"][0]["handle"][0]["status_code"], 308);
  EXPECT_EQ(http["routes"][0]["handle"][0]["headers"]["Location"],
            json::array({"https://{http.request.host}:18443{http.request.uri}"}));
  EXPECT_TRUE(server(c, "edge")["automatic_https"]["disable_redirects"].get<bool>());
  c = caddy_config(ports(80, 443), two_routes());
  EXPECT_EQ(server(c, "redirect")["routes"][0]["handle"][0]["headers"]["Location"],
            json::array({"https://{http.request.host}{http.request.uri}"}));
  EXPECT_EQ(c["apps"]["http"]["http_port"], 80);
  EXPECT_EQ(c["apps"]["http"]["https_port"], 443);
}

TEST(EdgeConfig, InternalNamesGetTheInternalCaAndPublicNamesAcme) {
  Settings s = ports(80, 443);
  s.email = "ops@example.com";
  const json c = caddy_config(s, two_routes());
  const json& policies = c["apps"]["tls"]["automation"]["policies"];
  ASSERT_EQ(policies.size(), 2U);
  EXPECT_EQ(policies[0]["subjects"], json::array({"blog.test"}));
  EXPECT_EQ(policies[0]["issuers"][0]["module"], "internal");
  EXPECT_EQ(policies[1]["subjects"], json::array({"shop.example.com"}));
  EXPECT_EQ(policies[1]["issuers"][0]["module"], "acme");
  EXPECT_EQ(policies[1]["issuers"][0]["email"], "ops@example.com");
  EXPECT_FALSE(caddy_config(s, {}).contains("tls")) << "no route, no certificate";

  for (const char* name : {"localhost", "a.localhost", "shop.test", "x.internal", "printer.local", "h.home.arpa",
                           "10.0.0.7", "::1", "api.example"}) {
    EXPECT_TRUE(internal_name(name)) << name;
  }
  for (const char* name : {"shop.example.com", "api.supabase.co", "testing.com", "localhost.com", "mytest"}) {
    EXPECT_FALSE(internal_name(name)) << name;
  }
}

TEST(EdgeConfig, EachInstanceHasItsOwnJsonAccessLogWithoutCredentials) {
  const json c = caddy_config(ports(80, 443), two_routes());
  EXPECT_EQ(server(c, "edge")["logs"]["logger_names"]["shop.example.com"], "shop");
  const json& logs = c["logging"]["logs"];
  const json& shop = logs["access-shop"];
  EXPECT_EQ(shop["include"], json::array({"http.log.access.shop"}));
  EXPECT_EQ(shop["writer"]["filename"], "/data/access/shop.log");
  EXPECT_EQ(shop["encoder"]["wrap"]["format"], "json");
  for (const char* field : {"request>headers>Apikey", "request>headers>Authorization", "request>headers>Cookie"}) {
    EXPECT_EQ(shop["encoder"]["fields"][field]["filter"], "delete") << field;
  }
  // Not also in the container's own log.
  EXPECT_EQ(logs["default"]["exclude"], json::array({"http.log.access.blog", "http.log.access.shop"}));
}

TEST(EdgeConfig, TheSameRoutesGiveTheSameConfigInAnyOrder) {
  std::vector<Route> r = two_routes();
  const std::string a = caddy_config(ports(80, 443), r).dump();
  std::reverse(r.begin(), r.end());
  EXPECT_EQ(caddy_config(ports(80, 443), r).dump(), a);
}

TEST(EdgeConfig, WebsocketsOutliveAReloadWhereCaddyKnowsHow) {
  EXPECT_FALSE(server(caddy_config(ports(80, 443), two_routes()), "edge")["routes"][0]["handle"][0].contains(
      "stream_close_delay"));
  const json c = caddy_config(ports(80, 443), two_routes(), "30m");
  EXPECT_EQ(server(c, "edge")["routes"][0]["handle"][0]["stream_close_delay"], "30m");
  EXPECT_EQ(server(c, "edge")["routes"][1]["handle"][0]["stream_close_delay"], "30m");
  EXPECT_TRUE(caddy_keeps_streams("v2.10.2 h1:abc="));
  EXPECT_TRUE(caddy_keeps_streams("v2.7.0"));
  EXPECT_TRUE(caddy_keeps_streams("v3.0.0"));
  EXPECT_FALSE(caddy_keeps_streams("v2.6.2 h1:xyz="));
  EXPECT_FALSE(caddy_keeps_streams("2.6.2"));
  EXPECT_TRUE(caddy_keeps_streams("2.8.4"));
  EXPECT_FALSE(caddy_keeps_streams(""));
  EXPECT_FALSE(caddy_keeps_streams("garbage"));
}

TEST(EdgeSettings, SavedSettingsComeBackAndBadOnesAreRefused) {
  test::TempDir home;
  EXPECT_FALSE(load_settings(home.path()).has_value());
  Settings s = ports(18080, 18443);
  s.bind = "127.0.0.1";
  s.registry = "127.0.0.1:5000";
  s.email = "ops@example.com";
  save_settings(home.path(), s);
  EXPECT_TRUE(in_use(home.path()));
  const std::optional<Settings> back = load_settings(home.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->http_port, 18080);
  EXPECT_EQ(back->https_port, 18443);
  EXPECT_EQ(back->bind, "127.0.0.1");
  EXPECT_EQ(back->registry, "127.0.0.1:5000");
  EXPECT_EQ(back->email, "ops@example.com");

  EXPECT_THROW(check_settings(ports(443, 443)), Error);
  EXPECT_THROW(check_settings(ports(0, 443)), Error);
  EXPECT_THROW(check_settings(ports(80, 70000)), Error);
  Settings bad = ports(80, 443);
  bad.bind = "example.com";
  try {
    check_settings(bad);
    ADD_FAILURE() << "a host name as --bind was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
  core::write_file_atomic(edge_dir(home.path()) / "edge.yaml", "http_port: 80\nhttps_port: 80\n");
  EXPECT_THROW(load_settings(home.path()), Error);
}

TEST(EdgeCompose, PublishesOnlyTheTwoPortsOnTheBindAddressFromTheMirror) {
  Settings s = ports(18080, 18443);
  s.bind = "127.0.0.1";
  s.registry = "127.0.0.1:5000";
  const YAML::Node c = YAML::Load(render_compose(s, ""));
  const YAML::Node caddy = c["services"]["caddy"];
  ASSERT_TRUE(caddy);
  EXPECT_EQ(caddy["image"].as<std::string>().rfind("127.0.0.1:5000/caddy:", 0), 0U) << caddy["image"];
  ASSERT_EQ(caddy["ports"].size(), 2U);
  EXPECT_EQ(caddy["ports"][0].as<std::string>(), "127.0.0.1:18080:18080");
  EXPECT_EQ(caddy["ports"][1].as<std::string>(), "127.0.0.1:18443:18443");
  EXPECT_EQ(caddy["command"][2].as<std::string>(), "--resume");
  EXPECT_EQ(c["services"].size(), 1U);

  s.bind = "";
  s.registry = "";
  const YAML::Node open = YAML::Load(render_compose(s, ""));
  EXPECT_EQ(open["services"]["caddy"]["ports"][0].as<std::string>(), "18080:18080");
  EXPECT_EQ(open["services"]["caddy"]["image"].as<std::string>().rfind("caddy:", 0), 0U);
}

TEST(EdgeRender, ASharedInstanceHasNoCaddyOfItsOwnAndItsKongAnAliasForTheEdge) {
  test::TempDir dir;
  config::Instance inst = test::default_instance(dir.path());
  inst.spec.domain = "shop.example.com";
  inst.spec.edge = "shared";
  const render::RenderResult r = render::render_instance(inst, dir.path() / "r", "");
  const YAML::Node c = YAML::LoadFile(r.compose_file.string());
  EXPECT_FALSE(c["services"]["caddy"]);
  EXPECT_FALSE(c["volumes"]["caddy-data"]);
  EXPECT_FALSE(fs::exists(r.dir / "Caddyfile"));
  EXPECT_FALSE(fs::exists(r.dir / "edge")) << "the edge's own templates are not an instance's";
  ASSERT_TRUE(c["services"]["kong"]["networks"]["edge"]["aliases"]);
  EXPECT_EQ(c["services"]["kong"]["networks"]["edge"]["aliases"][0].as<std::string>(), "shop-kong");
  EXPECT_TRUE(c["services"]["kong"]["networks"]["backend"]);
  for (const auto& svc : c["services"]) EXPECT_FALSE(svc.second["ports"] && svc.first.as<std::string>() == "caddy");
  EXPECT_EQ(render::instance_endpoints(inst.spec).api_url, "https://shop.example.com");
  inst.spec.public_url = "https://shop.example.com:18443";
  EXPECT_EQ(render::instance_endpoints(inst.spec).api_url, "https://shop.example.com:18443");
  EXPECT_FALSE(inst.spec.enabled("caddy"));
}

TEST(EdgeSpec, TheEdgeKeyIsOwnOrSharedAndSharedNeedsADomain) {
  const std::string base = "name: shop\nports: {http: 8000, https: 8443}\n";
  EXPECT_EQ(config::parse_spec(base, "t").edge, "own");
  const config::InstanceSpec shared = config::parse_spec(base + "domain: shop.example.com\nedge: shared\n", "t");
  EXPECT_TRUE(shared.shared_edge());
  EXPECT_EQ(config::parse_spec(config::format_spec(shared), "t").edge, "shared");
  try {
    config::parse_spec(base + "edge: sideways\n", "t");
    ADD_FAILURE() << "edge: sideways was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("edge must be `own` or `shared`"), std::string::npos) << e.what();
  }
  try {
    config::parse_spec(base + "edge: shared\n", "t");
    ADD_FAILURE() << "edge: shared without a domain was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs a domain"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace supactl::edge
