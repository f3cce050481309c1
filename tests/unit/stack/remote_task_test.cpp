// SPDX-License-Identifier: Apache-2.0
// A command that needs a running container of a service (psql, exec, backup, ...) when none
// runs on the node of the Engine supactl talks to: on a swarm whose task runs on another node,
// the error names that node and how to reach it; otherwise it stays "not running".
#include <supactl/core/error.hpp>
#include <supactl/stack/db.hpp>

#include <gtest/gtest.h>

#include "support/fake_engine.hpp"

namespace supactl::stack {
namespace {

/// A swarm manager (node "mgr1") where shop_db has one running task, on `node`.
void play_swarm(test::FakeEngine& engine, const std::string& node) {
  engine.info_answer = nlohmann::json{{"Swarm", {{"NodeID", "mgr1"}, {"ControlAvailable", true}}}};
  engine.on_call_json = [node](const std::string& method, const std::string& path) -> nlohmann::json {
    if (method == "GET" && path.rfind("/tasks?", 0) == 0) {
      if (path.find("shop_db") == std::string::npos) return nlohmann::json::array();
      return nlohmann::json::array({{{"NodeID", "oldnode"}, {"Status", {{"State", "shutdown"}}}},
                                    {{"NodeID", node}, {"Status", {{"State", "running"}}}}});
    }
    if (method == "GET" && path == "/nodes/" + node) {
      return {{"ID", node}, {"Description", {{"Hostname", "worker-2"}}}};
    }
    throw docker::EngineError(docker::ErrorKind::not_found, 404, "no such object: " + path);
  };
}

std::string failure(const std::function<void()>& f, std::string* hint = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (hint) *hint = e.hint();
    return e.what();
  }
  return "no error";
}

TEST(RunningContainer, ATaskOnAnotherNodeIsNamedWithTheWayToReachIt) {
  test::FakeEngine engine;
  play_swarm(engine, "node2abcdefghijklmnop");
  std::string hint;
  const std::string what = failure([&] { running_container(engine, "shop", "db"); }, &hint);
  EXPECT_NE(what.find("worker-2 (node2abcdefg"), std::string::npos) << what;
  EXPECT_NE(hint.find("--host"), std::string::npos) << hint;
  // running_primary says the same of the db.
  EXPECT_NE(failure([&] { running_primary(engine, "shop"); }).find("worker-2"), std::string::npos);
}

TEST(RunningContainer, NoTaskAnywhereOrATaskOnThisNodeStaysNotRunning) {
  test::FakeEngine engine;
  play_swarm(engine, "mgr1");  // its task is here, yet no container runs: it is starting
  std::string hint;
  std::string what = failure([&] { running_container(engine, "shop", "db"); }, &hint);
  EXPECT_NE(what.find("service db of shop is not running"), std::string::npos) << what;
  EXPECT_NE(hint.find("supactl up shop"), std::string::npos) << hint;
  what = failure([&] { running_container(engine, "shop", "kong"); });
  EXPECT_NE(what.find("is not running"), std::string::npos) << what;
  // Not a swarm (the fake's default /info): no task is asked for.
  test::FakeEngine plain;
  what = failure([&] { running_container(plain, "shop", "db"); });
  EXPECT_NE(what.find("is not running"), std::string::npos) << what;
  EXPECT_TRUE(plain.calls_of("call_json").empty());
}

}  // namespace
}  // namespace supactl::stack
