// SPDX-License-Identifier: Apache-2.0
// The node relay: a swarm instance's tasks on other nodes are listed, and calls on them run as
// a one-shot job placed on their node, whose input travels in secrets and whose printed
// answer is decoded. And a forced service update, which rolls a service's tasks in place of
// restarting their containers.
#include <supactl/compose/model.hpp>
#include <supactl/core/base64.hpp>
#include <supactl/core/error.hpp>
#include <supactl/plan/swarm_ops.hpp>
#include <supactl/swarm/relay.hpp>
#include <supactl/swarm/swarm.hpp>

#include <gtest/gtest.h>

#include <algorithm>

#include "support/fake_engine.hpp"
#include "support/stream_frame.hpp"

namespace supactl::swarm {
namespace {

using nlohmann::json;

/// What `base64` prints for `bytes`: lines of 76 characters.
std::string base64_lines(const std::string& bytes) {
  const std::string all = core::base64_encode(bytes, core::Base64Alphabet::standard, true);
  std::string out;
  for (size_t i = 0; i < all.size(); i += 76) out += all.substr(i, 76) + "\n";
  return out;
}

TEST(RelayOutput, DecodesEveryLineAndReturnsTheExitCode) {
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes += static_cast<char>(i);  // binary, several lines
  std::string got;
  const int code = decode_relay_output(base64_lines(bytes) + "supactl-relay-exit 3\n",
                                       [&](std::string_view chunk) { got.append(chunk); });
  EXPECT_EQ(code, 3);
  EXPECT_EQ(got, bytes);
}

TEST(RelayOutput, AnErrorLineAMissingExitLineAndBadTextAreErrors) {
  const auto ignore = [](std::string_view) {};
  try {
    decode_relay_output("supactl-relay-error creating the exec: no such container\n", ignore);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such container"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_relay_output(base64_lines("cut short"), ignore), Error);
  EXPECT_THROW(decode_relay_output("curl: (7) Couldn't connect\nsupactl-relay-exit 0\n", ignore), Error);
  EXPECT_THROW(decode_relay_output("supactl-relay-exit x\n", ignore), Error);
}

/// A manager (node "self") of instance "shop": kong runs a task here and one on node "w1",
/// db one on "w1"; a task on w1 still starting is no container yet.
void play_manager(test::FakeEngine& engine) {
  engine.info_answer = json{{"Swarm", {{"NodeID", "self"}, {"ControlAvailable", true}}}};
  engine.on_call_json = [](const std::string& method, const std::string& path) -> json {
    const auto task = [](const std::string& id, const std::string& node, const std::string& state,
                         const std::string& container, const std::string& service) {
      return json{{"ID", id},
                  {"NodeID", node},
                  {"Slot", 1},
                  {"Status", {{"State", state}, {"ContainerStatus", {{"ContainerID", container}}}}},
                  {"Spec",
                   {{"ContainerSpec",
                     {{"Image", "img-" + service},
                      {"Labels",
                       {{compose::k_label_instance, "shop"},
                        {compose::k_label_service, service},
                        {"com.docker.stack.namespace", "shop"}}}}}}}};
    };
    if (method == "GET" && path.rfind("/services?", 0) == 0) return json::array({{{"ID", "s-kong"}}, {{"ID", "s-db"}}});
    if (method == "GET" && path.rfind("/tasks?", 0) == 0 && path.find("s-kong") != std::string::npos) {
      return json::array({task("t1", "self", "running", "local-kong", "kong"),
                          task("t2", "w1", "running", "remote-kong", "kong"),
                          task("t3", "w1", "running", "remote-db", "db"), task("t4", "w1", "starting", "", "kong")});
    }
    if (method == "POST" && path == "/secrets/create") return json{{"ID", "sec-" + std::to_string(path.size())}};
    if (method == "POST" && path == "/services/create") return json{{"ID", "job1"}};
    if (method == "GET" && path.rfind("/tasks?", 0) == 0) {
      return json::array({{{"Status", {{"State", "complete"}, {"ContainerStatus", {{"ContainerID", "jobc"}}}}}}});
    }
    return json::object();  // removals
  };
}

docker::Filters instance_filter(const std::string& name) {
  docker::Filters f;
  f.label(compose::k_label_instance, name);
  return f;
}

TEST(NodeRelay, ListsAnInstancesRunningTasksOnOtherNodes) {
  test::FakeEngine engine;
  play_manager(engine);
  NodeRelay relay(engine, [](const std::string& p) { return p == "shop" ? std::string("img-db") : std::string(); });
  std::vector<std::string> ids;
  for (const auto& c : relay.list_containers(instance_filter("shop"), true)) {
    ids.push_back(c.id);
    EXPECT_EQ(c.run_state(), docker::RunState::running) << c.id;
    EXPECT_EQ(docker::label_of(c.labels, compose::k_label_instance), "shop") << c.id;
  }
  // The local kong task is the Engine's own container (the fake has none): only w1's two.
  EXPECT_EQ(ids, (std::vector<std::string>{"remote-kong", "remote-db"}));

  // Another label term narrows the tasks as the Engine's filter narrows containers.
  docker::Filters db = instance_filter("shop");
  db.label(compose::k_label_service, "db");
  const auto only_db = relay.list_containers(db, true);
  ASSERT_EQ(only_db.size(), 1U);
  EXPECT_EQ(only_db.front().id, "remote-db");

  // A standalone instance (no relay image) costs no swarm call.
  const size_t before = engine.calls_of("call_json").size();
  EXPECT_TRUE(relay.list_containers(instance_filter("blog"), true).empty());
  EXPECT_EQ(engine.calls_of("call_json").size(), before);
}

TEST(NodeRelay, AnExecOnAnotherNodeRunsAsAJobThereWithItsInputInSecrets) {
  test::FakeEngine engine;
  play_manager(engine);
  const std::string answer = test::stream_frame(docker::StreamKind::stdout_, "hello from w1\n") +
                             test::stream_frame(docker::StreamKind::stderr_, "a warning\n");
  engine.on_service_logs = [&](const std::string& service) {
    EXPECT_EQ(service, "job1");
    return base64_lines(answer) + "supactl-relay-exit 0\n";
  };
  NodeRelay relay(engine, [](const std::string&) { return std::string("img-db"); });
  (void)relay.list_containers(instance_filter("shop"), true);

  // A container of this node goes straight to the Engine.
  (void)relay.exec("local-kong",
                   docker::ExecSpec{.cmd = {"true"}, .env = {}, .user = {}, .working_dir = {}, .tty = false});
  EXPECT_EQ(engine.calls_of("exec local-kong").size(), 1U);

  const docker::ExecResult r = relay.exec("remote-db",
                                          docker::ExecSpec{.cmd = {"psql", "-c", "select 'PASSWORD-IN-COMMAND'"},
                                                           .env = {"PGPASSWORD=pw"},
                                                           .user = {},
                                                           .working_dir = {},
                                                           .tty = false},
                                          {}, std::string("select 'PASSWORD-IN-STDIN';"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "hello from w1\n");
  EXPECT_EQ(r.err, "a warning\n");
  EXPECT_TRUE(engine.calls_of("exec remote-db").empty());

  json job;
  int secrets = 0;
  for (const auto& [path, body] : engine.bodies) {
    if (path == "/services/create") job = body;
    if (path == "/secrets/create") ++secrets;
  }
  EXPECT_EQ(secrets, 3);  // the exec, stdin's archive, the clean-up exec
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job["TaskTemplate"]["Placement"]["Constraints"], json::array({"node.id==w1"}));
  EXPECT_EQ(job["TaskTemplate"]["ContainerSpec"]["Image"], "img-db");
  EXPECT_TRUE(job["Mode"].contains("ReplicatedJob"));
  const std::string spec = job.dump();
  EXPECT_EQ(spec.find("PASSWORD-IN"), std::string::npos) << spec;
  EXPECT_EQ(spec.find("PGPASSWORD"), std::string::npos) << spec;
  EXPECT_NE(spec.find("SUPACTL_RELAY_CONTAINER=remote-db"), std::string::npos) << spec;
  // The job and its secrets are removed once its answer is read.
  EXPECT_EQ(engine.calls_of("call_json DELETE /services/job1").size(), 1U);
  EXPECT_EQ(engine.calls_of("call_json DELETE /secrets/").size(), 3U);

  // Its container stays on w1 with its logs (the answer) until one sweep job there removes it.
  relay.finish();
  std::vector<json> jobs;
  for (const auto& [path, body] : engine.bodies) {
    if (path == "/services/create") jobs.push_back(body);
  }
  ASSERT_EQ(jobs.size(), 2U);
  const json& sweep = jobs[1];
  EXPECT_EQ(sweep["TaskTemplate"]["Placement"]["Constraints"], json::array({"node.id==w1"}));
  EXPECT_EQ(sweep["Labels"].value(k_sweep_label, ""), "true");
  const json sweep_env = sweep["TaskTemplate"]["ContainerSpec"]["Env"];
  EXPECT_NE(std::find(sweep_env.begin(), sweep_env.end(), "SUPACTL_RELAY_MODE=sweep"), sweep_env.end()) << sweep_env;
  EXPECT_NE(std::find(sweep_env.begin(), sweep_env.end(), "SUPACTL_RELAY_REMOVE=jobc"), sweep_env.end()) << sweep_env;
  relay.finish();  // nothing left to remove: no further job
  EXPECT_EQ(engine.calls_of("call_json POST /services/create").size(), 2U);
}

TEST(NodeRelay, WhatCannotGoThroughAJobSaysToUseTheNodesEngine) {
  test::FakeEngine engine;
  play_manager(engine);
  NodeRelay relay(engine, [](const std::string&) { return std::string("img-db"); });
  (void)relay.list_containers(instance_filter("shop"), true);
  try {
    relay.exec_attached("remote-db",
                        docker::ExecSpec{.cmd = {"psql"}, .env = {}, .user = {}, .working_dir = {}, .tty = true}, 0, {},
                        24, 80);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("--host"), std::string::npos) << e.hint();
  }
  EXPECT_THROW(relay.put_archive("remote-db", "/tmp", std::string(k_relay_max_input + 1, 'x')), Error);
  EXPECT_TRUE(engine.calls_of("call_json POST /services/create").empty());
}

TEST(ForceUpdate, SendsTheSpecBackWithForceUpdateRaisedAtItsVersion) {
  test::FakeEngine engine;
  engine.on_call_json = [](const std::string& method, const std::string& path) -> json {
    if (method == "GET") {
      EXPECT_EQ(path, "/services/shop_functions");
      return json{{"Version", {{"Index", 41}}},
                  {"Spec",
                   {{"Name", "shop_functions"},
                    {"Mode", {{"Replicated", {{"Replicas", 2}}}}},
                    {"TaskTemplate", {{"ContainerSpec", {{"Image", "fn"}}}, {"ForceUpdate", 3}}}}}};
    }
    return json::object();
  };
  EXPECT_EQ(force_update(engine, "shop_functions"), 2);
  ASSERT_EQ(engine.bodies.size(), 1U);
  EXPECT_EQ(engine.bodies[0].first, "/services/shop_functions/update?version=41");
  EXPECT_EQ(engine.bodies[0].second["TaskTemplate"]["ForceUpdate"], 4);
  EXPECT_EQ(engine.bodies[0].second["TaskTemplate"]["ContainerSpec"]["Image"], "fn");  // the rest unchanged
}

TEST(ForceUpdate, TheWaitCountsOnlyTasksOfTheRaisedTemplateAndTheUpdatesEnd) {
  // Right after a forced roll the old task still runs, with the same hash label: it must not
  // pass for the new one. Then the new task runs while Swarm still says `updating`.
  int round = 0;
  test::FakeEngine engine;
  const auto task = [](int64_t force, const std::string& desired, const std::string& state) {
    json t = {{"NodeID", "n1"}, {"DesiredState", desired}, {"Status", {{"State", state}}}};
    t["Spec"]["ForceUpdate"] = force;
    t["Spec"]["ContainerSpec"]["Labels"]["dev.supactl.task-hash"] = "h";
    return t;
  };
  engine.on_call_json = [&](const std::string&, const std::string& path) -> json {
    if (path == "/nodes") return json::array({{{"ID", "n1"}, {"Status", {{"State", "ready"}}}}});
    if (path.rfind("/services/", 0) == 0) {
      ++round;
      json s;
      s["Spec"]["TaskTemplate"]["ForceUpdate"] = 4;
      s["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"]["dev.supactl.task-hash"] = "h";
      if (round >= 2) s["UpdateStatus"] = {{"State", round >= 3 ? "completed" : "updating"}};
      return s;
    }
    if (round == 1) return json::array({task(3, "running", "running")});  // the roll has not begun
    return json::array({task(3, "shutdown", "shutdown"), task(4, "running", "running")});
  };
  const plan::ReadyResult r = plan::wait_service(engine, "shop_functions", 1, false, 30);
  EXPECT_TRUE(r.ready) << r.reason;
  EXPECT_EQ(round, 3);  // not before the old task went and the update ended
}

}  // namespace
}  // namespace supactl::swarm
