// SPDX-License-Identifier: Apache-2.0
// The Engine's JSON to and from supactl's types, against hand-written Engine API documents
// (shapes as API 1.41 sends and takes them): list rows with health only in the Status text,
// inspect's State, and the body of POST /containers/create.
#include "docker/json_codec.hpp"

#include <gtest/gtest.h>

namespace supactl::docker {
namespace {

TEST(JsonCodec, AListRowDecodesStateHealthExitCodeNamePortsAndNetworks) {
  const nlohmann::json row = nlohmann::json::parse(R"json({
    "Id": "4f1c", "Names": ["/shop-db-1"], "Image": "supabase/postgres:17.6.1.136", "ImageID": "sha256:ab",
    "State": "running", "Status": "Up 3 minutes (health: starting)", "Created": 1764400000,
    "Labels": {"com.docker.compose.service": "db"},
    "Ports": [{"IP": "127.0.0.1", "PrivatePort": 5432, "PublicPort": 54322, "Type": "tcp"}],
    "NetworkSettings": {"Networks": {"shop_backend": {}}}})json");
  const ContainerSummary c = decode_container_summary(row);
  EXPECT_EQ(c.id, "4f1c");
  EXPECT_EQ(c.name, "shop-db-1");
  EXPECT_EQ(c.run_state(), RunState::running);
  EXPECT_EQ(c.health(), Health::starting);
  EXPECT_EQ(c.exit_code(), -1);
  EXPECT_EQ(c.created, 1764400000);
  EXPECT_EQ(label_of(c.labels, "com.docker.compose.service"), "db");
  EXPECT_EQ(label_of(c.labels, "no.such.label"), "");
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].container_port, 5432);
  EXPECT_EQ(c.ports[0].host_port, 54322);
  EXPECT_EQ(c.ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ(c.networks, std::vector<std::string>{"shop_backend"});

  nlohmann::json exited = row;
  exited["State"] = "exited";
  exited["Status"] = "Exited (137) 2 minutes ago";
  const ContainerSummary e = decode_container_summary(exited);
  EXPECT_EQ(e.run_state(), RunState::exited);
  EXPECT_EQ(e.health(), Health::none);
  EXPECT_EQ(e.exit_code(), 137);
}

TEST(JsonCodec, StatusTextAndStateWordsDecodeOnlyWhatDockerWrites) {
  EXPECT_EQ(health_in_status_text("Up 2 hours (healthy)"), Health::healthy);
  EXPECT_EQ(health_in_status_text("Up 2 hours (unhealthy)"), Health::unhealthy);
  EXPECT_EQ(health_in_status_text("Up 2 hours"), Health::none);
  EXPECT_EQ(exit_code_in_status_text("Exited (0) 1 second ago"), 0);
  EXPECT_EQ(exit_code_in_status_text("Exited (x) 1 second ago"), -1);
  EXPECT_EQ(exit_code_in_status_text("Up 1 second"), -1);
  for (RunState s : {RunState::created, RunState::running, RunState::paused, RunState::restarting, RunState::removing,
                     RunState::exited, RunState::dead}) {
    EXPECT_EQ(parse_run_state(to_string(s)), s) << to_string(s);
  }
  EXPECT_EQ(parse_run_state("Running"), RunState::unknown) << "Docker's words are lower case";
  EXPECT_EQ(parse_health(""), Health::none);
  EXPECT_EQ(to_string(Health::none), "");
}

TEST(JsonCodec, InspectDecodesStateAndHealthLog) {
  const nlohmann::json doc = nlohmann::json::parse(R"json({
    "Id": "4f1c", "Name": "/shop-auth-1", "Image": "sha256:cd",
    "Config": {"Image": "supabase/gotrue:v2.180.0", "Labels": {"a": "b"}, "Env": ["X=1"],
               "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5000000000, "Retries": 3}},
    "State": {"Status": "running", "Running": true, "ExitCode": 0, "StartedAt": "2026-11-29T10:00:00.123456789Z",
              "Health": {"Status": "unhealthy", "Log": [{"ExitCode": 1, "Output": "connection refused"}]}}})json");
  const ContainerInfo c = decode_container_info(doc);
  EXPECT_EQ(c.name, "shop-auth-1");
  EXPECT_EQ(c.image, "supabase/gotrue:v2.180.0");
  EXPECT_EQ(c.state.run_state(), RunState::running);
  EXPECT_EQ(c.state.health_state(), Health::unhealthy);
  ASSERT_EQ(c.state.health_log.size(), 1u);
  EXPECT_EQ(c.state.health_log[0].output, "connection refused");
  EXPECT_EQ(c.state.started_at, "2026-11-29T10:00:00.123456789Z");
  ASSERT_TRUE(c.healthcheck);
  EXPECT_EQ(c.healthcheck->interval_ns, 5000000000);
  EXPECT_EQ(c.healthcheck->retries, 3);
}

TEST(JsonCodec, CreateBodyCarriesWhatTheEngineApiNames) {
  ContainerSpec spec;
  spec.name = "shop-kong-1";
  spec.image = "kong/kong:3.9.3";
  spec.env = {"KONG_DATABASE=off"};
  spec.labels = {{"com.docker.compose.project", "shop"}};
  spec.healthcheck = Healthcheck{.test = {"CMD", "kong", "health"},
                                 .interval_ns = 5000000000,
                                 .timeout_ns = 0,
                                 .start_period_ns = 0,
                                 .start_interval_ns = 1000000000,
                                 .retries = 3};
  spec.ports = {PortBinding{.container_port = 8000, .protocol = "tcp", .host_ip = "127.0.0.1", .host_port = 8000},
                PortBinding{.container_port = 8443, .protocol = "tcp", .host_ip = "", .host_port = 0}};
  spec.mounts = {Mount{.type = Mount::Type::bind,
                       .source = "/srv/kong.yml",
                       .target = "/kong.yml",
                       .read_only = true,
                       .content_digest = "never sent"}};
  spec.restart = RestartPolicy{.name = "unless-stopped", .max_retries = 0};
  spec.networks = {EndpointSpec{.network = "shop_edge", .aliases = {"kong"}},
                   EndpointSpec{.network = "shop_backend", .aliases = {"kong"}}};

  const nlohmann::json old_api = encode_container(spec, /*multi_network=*/false, /*start_interval=*/false);
  EXPECT_EQ(old_api.at("Image"), "kong/kong:3.9.3");
  EXPECT_EQ(old_api.at("Env"), nlohmann::json::array({"KONG_DATABASE=off"}));
  EXPECT_EQ(old_api.at("Healthcheck"),
            nlohmann::json::parse(R"json({"Test":["CMD","kong","health"],"Interval":5000000000,"Retries":3})json"))
      << "StartInterval only for Engines that know it";
  EXPECT_EQ(old_api.at("ExposedPorts"), nlohmann::json::parse(R"json({"8000/tcp":{},"8443/tcp":{}})json"));
  const nlohmann::json& host = old_api.at("HostConfig");
  EXPECT_EQ(host.at("PortBindings"),
            nlohmann::json::parse(R"json({"8000/tcp":[{"HostIp":"127.0.0.1","HostPort":"8000"}]})json"));
  EXPECT_EQ(host.at("Mounts"),
            nlohmann::json::parse(
                R"json([{"Type":"bind","Source":"/srv/kong.yml","Target":"/kong.yml","ReadOnly":true}])json"));
  EXPECT_EQ(host.at("RestartPolicy"),
            nlohmann::json::parse(R"json({"Name":"unless-stopped","MaximumRetryCount":0})json"));
  EXPECT_EQ(host.at("NetworkMode"), "shop_edge");
  EXPECT_EQ(old_api.at("NetworkingConfig").at("EndpointsConfig"),
            nlohmann::json::parse(R"json({"shop_edge":{"Aliases":["kong"]}})json"))
      << "before API 1.44 only the first network; the rest are connected after create";

  EXPECT_FALSE(host.contains("LogConfig")) << "no logging key: the Engine's default driver";

  spec.log = LogConfig{.driver = "json-file", .options = {{"max-size", "10m"}, {"max-file", "5"}}};
  const nlohmann::json new_api = encode_container(spec, /*multi_network=*/true, /*start_interval=*/true);
  EXPECT_EQ(new_api.at("HostConfig").at("LogConfig"),
            nlohmann::json::parse(R"json({"Type":"json-file","Config":{"max-file":"5","max-size":"10m"}})json"));
  EXPECT_EQ(new_api.at("Healthcheck").at("StartInterval"), 1000000000);
  EXPECT_EQ(new_api.at("NetworkingConfig").at("EndpointsConfig").size(), 2u);
}

TEST(JsonCodec, StatsSampleGivesCpuTimeAndMemoryLessThePageCache) {
  const auto v2 = nlohmann::json::parse(R"json({"cpu_stats": {"cpu_usage": {"total_usage": 2500000000}},
    "memory_stats": {"usage": 104857600, "stats": {"inactive_file": 4857600}}})json");
  EXPECT_EQ(decode_container_stats(v2).cpu_ns, 2500000000u);
  EXPECT_EQ(decode_container_stats(v2).memory_bytes, 100000000u);
  const auto v1 =
      nlohmann::json::parse(R"json({"memory_stats": {"usage": 1000, "stats": {"total_inactive_file": 400}}})json");
  EXPECT_EQ(decode_container_stats(v1).memory_bytes, 600u);
  EXPECT_EQ(decode_container_stats(nlohmann::json::object()).cpu_ns, 0u) << "a stopped container's empty sample";
  EXPECT_EQ(decode_container_info(nlohmann::json::parse(R"json({"RestartCount": 7})json")).restart_count, 7);
}

TEST(JsonCodec, ApiVersionsCompareAsNumbers) {
  EXPECT_LT(compare_api("1.41", "1.44"), 0);
  EXPECT_GT(compare_api("1.100", "1.44"), 0);
  EXPECT_EQ(compare_api("1.44", "1.44"), 0);
  EXPECT_LT(compare_api("1.9", "2.0"), 0);
}

}  // namespace
}  // namespace supactl::docker
