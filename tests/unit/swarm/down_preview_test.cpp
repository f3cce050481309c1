// SPDX-License-Identifier: Apache-2.0
// `down --dry-run` of a swarm instance: what `down` would remove, read with list calls alone.
#include <supactl/compose/model.hpp>
#include <supactl/swarm/swarm.hpp>

#include <gtest/gtest.h>

#include "support/fake_engine.hpp"

namespace supactl::swarm {
namespace {

/// A manager where the stack "shop" has two services, a network, a config and a secret, and
/// another stack ("shop-2") has a service of its own.
void play_stack(test::FakeEngine& engine) {
  engine.on_call_json = [](const std::string& method, const std::string& path) -> nlohmann::json {
    EXPECT_EQ(method, "GET") << path;
    const bool ours = path.find("com.docker.stack.namespace%3Dshop%22") != std::string::npos ||
                      path.find("com.docker.stack.namespace=shop\"") != std::string::npos;
    if (!ours) return nlohmann::json::array({{{"ID", "x"}, {"Spec", {{"Name", "shop-2_db"}}}}});
    if (path.rfind("/services?", 0) == 0)
      return nlohmann::json::array(
          {{{"ID", "s1"}, {"Spec", {{"Name", "shop_db"}}}}, {{"ID", "s2"}, {"Spec", {{"Name", "shop_kong"}}}}});
    if (path.rfind("/networks?", 0) == 0) return nlohmann::json::array({{{"Id", "n1"}, {"Name", "shop_internal"}}});
    if (path.rfind("/configs?", 0) == 0)
      return nlohmann::json::array({{{"ID", "c1"}, {"Spec", {{"Name", "shop_kong_yml_1"}}}}});
    if (path.rfind("/secrets?", 0) == 0)
      return nlohmann::json::array({{{"ID", "t1"}, {"Spec", {{"Name", "shop_jwt_secret_1"}}}}});
    return nlohmann::json::array();
  };
}

TEST(DownPreview, ListsWhatDownWouldRemoveInItsOrderAndChangesNothing) {
  test::FakeEngine engine;
  play_stack(engine);
  for (const std::string project : {"shop", "shop-2"}) {
    docker::VolumeSpec v;
    v.name = project + "_db-data";
    v.labels[compose::k_label_project] = project;
    engine.create_volume(v);
  }

  const std::vector<std::string> expected = {"services shop_db", "services shop_kong", "networks shop_internal",
                                             "configs shop_kong_yml_1", "secrets shop_jwt_secret_1"};
  EXPECT_EQ(down_preview(engine, "shop", false), expected);

  std::vector<std::string> with_volumes = expected;
  with_volumes.push_back("volumes shop_db-data");
  EXPECT_EQ(down_preview(engine, "shop", true), with_volumes);

  // Nothing but list calls: no DELETE, no POST, no volume removed.
  for (const std::string& c : engine.calls()) {
    EXPECT_TRUE(c.rfind("call_json GET ", 0) == 0 || c == "list_volumes" || c.rfind("create_volume", 0) == 0) << c;
  }
  EXPECT_EQ(engine.list_volumes({}).size(), 2U);
}

}  // namespace
}  // namespace supactl::swarm
