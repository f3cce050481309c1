// SPDX-License-Identifier: Apache-2.0

#include "unit/compose/compose_fixture.hpp"

#include <gtest/gtest.h>

namespace supactl::compose {
namespace {

TEST(ComposeErrors, BadInputErrorsCarryFileAndLineAndAreReportedTogether) {
  test::ComposeFiles files;
  std::string message = files.load_error(R"(services:
  db:
    image: x
    ports: ["99999:80"]
    restart: sometimes
  rest:
    image: x
    depends_on: [nope]
    volumes: ["undeclared:/data"]
    networks: [missing]
  noimage:
    init: maybe
)");
  EXPECT_NE(message.find("7 problems in the compose files:"), std::string::npos) << message;
  EXPECT_NE(message.find("compose.yml:4: service db: bad port: port `99999` is out of range"), std::string::npos)
      << message;
  EXPECT_NE(message.find("compose.yml:5: service db: restart `sometimes`"), std::string::npos) << message;
  EXPECT_NE(message.find("compose.yml:8: service rest: depends on undefined service `nope`"), std::string::npos)
      << message;
  EXPECT_NE(message.find("compose.yml:9: service rest: refers to undefined volume `undeclared`"), std::string::npos)
      << message;
  EXPECT_NE(message.find("compose.yml:10: service rest: refers to undefined network `missing`"), std::string::npos)
      << message;
  EXPECT_NE(message.find("compose.yml:12: service noimage: init"), std::string::npos) << message;
}

TEST(ComposeErrors, MissingImageAndWrongTypesAreErrors) {
  test::ComposeFiles files;
  std::string message = files.load_error("services:\n  a:\n    command: x\n  b:\n    image: [not, scalar]\n");
  EXPECT_NE(message.find("compose.yml:2: service a: has no `image`"), std::string::npos) << message;
  EXPECT_NE(message.find("compose.yml:5: service b: `image` must be a single value"), std::string::npos) << message;
}

TEST(ComposeErrors, YamlSyntaxErrorsCarryFileAndLine) {
  test::ComposeFiles files;
  std::string message = files.load_error("services:\n  a:\n    image: [unclosed\n");
  EXPECT_NE(message.find("compose.yml:"), std::string::npos) << message;
  EXPECT_NE(message.find("YAML syntax error"), std::string::npos) << message;
}

TEST(ComposeErrors, DuplicateKeysAreErrors) {
  test::ComposeFiles files;
  std::string message = files.load_error("services:\n  a:\n    image: x\n    image: y\n");
  EXPECT_NE(message.find("compose.yml:4: duplicate key `image`"), std::string::npos) << message;
}

TEST(ComposeErrors, MissingFileIsAnError) {
  LoadOptions options;
  options.files = {"/nonexistent/compose.yml"};
  EXPECT_THROW(load(options), Error);
}

TEST(ComposeErrors, ContainerNameWithReplicasAndNetworkModeWithNetworksAreErrors) {
  test::ComposeFiles files;
  std::string message = files.load_error(R"(services:
  a:
    image: x
    container_name: fixed
    scale: 2
  b:
    image: x
    network_mode: host
    networks: [default]
  c:
    image: x
    network_mode: "service:a"
)");
  EXPECT_NE(message.find("compose.yml:4: service a: container_name `fixed` cannot be used with 2 replicas"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("compose.yml:8: service b: `network_mode` and `networks` cannot be used together"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("compose.yml:12: service c: network_mode `service:a` is not supported"), std::string::npos)
      << message;
}

TEST(ComposeErrors, DependencyCycleIsAnError) {
  test::ComposeFiles files;
  std::string message =
      files.load_error("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n");
  EXPECT_NE(message.find("dependency cycle between services: a -> b -> a"), std::string::npos) << message;
}

}  // namespace
}  // namespace supactl::compose
