// SPDX-License-Identifier: Apache-2.0
// Swarm mode on a two-node swarm built on this machine (tests/swarm/lab: the host Engine is
// the manager, a second dockerd in a network namespace the worker), through the real binary
// and the kit's images. One test walks the whole life of an instance, because building the
// swarm is the slow part: up, spread of a scaled service over both nodes with requests through
// Caddy reaching both, secret values kept out of the service specs, a rolling update under a
// request loop, the loss of the worker, rows that survive, and a down that leaves nothing.
// The host Engine leaves swarm mode at the end, whatever happened.
// Needs root and `tests/images/kit up`; skips without them, except in CI (CI=true).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

using nlohmann::json;

std::string sh(const std::string& command, int* status = nullptr) { return test::shell_output(command, status); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    if (nl > at) out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

const std::string k_lab = std::string(SUPACTL_SOURCE_DIR) + "/tests/swarm/lab";

class SwarmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    const bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
    if (::geteuid() != 0) {
      if (ci) FAIL() << "the swarm lab needs root (network namespaces, a second dockerd)";
      GTEST_SKIP() << "the swarm lab needs root";
    }
    // Someone's own swarm is never touched.
    ASSERT_EQ(sh("docker info --format '{{.Swarm.LocalNodeState}}'"), "inactive")
        << "this Docker Engine is in a swarm already; the swarm tests build their own";
    std::string out;
    int rc = 0;
    out = sh(k_lab + " up 2>&1", &rc);
    lab_up = true;
    ASSERT_EQ(rc, 0) << out;
    name = test::instance_name("sw");
  }
  void TearDown() override {
    if (!name.empty()) run("down " + name + " --volumes --yes");
    if (!second.empty()) run("down " + second + " --volumes --yes");
    if (lab_up) {
      std::string out = sh(k_lab + " down 2>&1");
      EXPECT_EQ(sh("docker info --format '{{.Swarm.LocalNodeState}}'"), "inactive") << out;
    }
    if (!name.empty()) test::remove_test_objects(name);
    if (!second.empty()) test::remove_test_objects(second);
  }

  int run(const std::string& args, std::string* out = nullptr) {
    const std::string cmd =
        "SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " " + args + " </dev/null 2>&1";
    return test::run_shell(cmd, out);
  }

  /// Node ids of the running tasks of service `service` of the instance.
  std::vector<std::string> task_nodes(const std::string& service) { return task_nodes_of(name + "_" + service); }
  /// Node ids of the running tasks of the swarm service `full_name`.
  std::vector<std::string> task_nodes_of(const std::string& full_name) {
    // Both nodes have one host name here: tasks are told apart by node id.
    return lines(
        sh("docker service ps -q --filter desired-state=running " + full_name +
           " | xargs -r docker inspect --format '{{.NodeID}} {{.Status.State}}' | awk '$2 == \"running\" {print $1}'"));
  }

  /// A request through the instance's Caddy on loopback: "STATUS HOST" (the stand-in's host
  /// name: which replica answered).
  std::string through_caddy(const std::string& path) {
    return sh("curl -s --max-time 10 -o /dev/null -D - -H 'apikey: " + anon +
              "' http://localhost:" + std::to_string(http_port) + path +
              " | awk 'NR==1 {s=$2} tolower($1)==\"x-standin-host:\" {h=$2} END {print s, h}' | tr -d '\\r'");
  }

  test::TempDir home;
  std::string name;
  std::string second;  ///< the instance whose db runs on the worker
  bool lab_up = false;
  int http_port = 0;
  std::string anon;
};

TEST_F(SwarmTest, AnInstanceLivesOnATwoNodeSwarm) {
  std::string out;
  http_port = test::free_port();
  ASSERT_EQ(run("init " + name + " --swarm --registry " + test::k_kit_registry + " --http-port " +
                    std::to_string(http_port) + " --exclude studio,analytics,vector,supavisor,functions,imgproxy",
                &out),
            0)
      << out;

  // --- up: every service running (and healthy) on the swarm, seen by `docker stack`
  ASSERT_EQ(run("up " + name + " --output json", &out), 0) << out;
  const std::string services = sh("docker stack services " + name + " --format '{{.Name}}' | sort | tr '\\n' ' '");
  EXPECT_NE(services.find(name + "_db"), std::string::npos) << services;
  EXPECT_NE(services.find(name + "_kong"), std::string::npos) << services;
  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  {
    const json j = json::parse(out.substr(out.find('{')));
    EXPECT_EQ(j["mode"], "swarm");
    EXPECT_TRUE(j["healthy"].get<bool>()) << out;
  }
  // Without a NAME: one line for the instance, from its services (not its task containers on
  // this node, which would count as a standalone instance missing most of its services).
  {
    run("status --output json", &out);
    const json all = json::parse(out.substr(out.find('{')));
    int lines = 0;
    for (const json& i : all["instances"]) {
      if (i["instance"] != name) continue;
      ++lines;
      EXPECT_EQ(i["mode"], "swarm") << out;
      EXPECT_EQ(i["state"], "healthy") << out;
      EXPECT_EQ(i["services_ok"], i["services_total"]) << out;
      EXPECT_GT(i["services_total"].get<int>(), 1) << out;
    }
    EXPECT_EQ(lines, 1) << out;
  }
  // `ls` (from instance.yaml alone) says which instances are swarm ones.
  {
    ASSERT_EQ(run("ls --output json", &out), 0) << out;
    const json rows = json::parse(out.substr(out.find('[')));
    ASSERT_EQ(rows.size(), 1u) << out;
    EXPECT_EQ(rows[0]["mode"], "swarm") << out;
  }
  // A second up changes nothing: no service update.
  ASSERT_EQ(run("up " + name + " --dry-run", &out), 0) << out;
  EXPECT_EQ(out.find("UpdateService"), std::string::npos) << out;
  EXPECT_EQ(out.find("CreateService"), std::string::npos) << out;
  const std::string versions_before = sh("docker service ls --filter label=com.docker.stack.namespace=" + name +
                                         " -q | xargs docker service inspect "
                                         "--format '{{.ID}} {{.Version.Index}}' | sort");
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_EQ(sh("docker service ls --filter label=com.docker.stack.namespace=" + name +
               " -q | xargs docker service inspect --format '{{.ID}} {{.Version.Index}}' | sort"),
            versions_before);

  // --- secrets: no secret value in any service spec beyond the documented ones
  anon = sh("grep '^ANON_KEY=' " + (home.path() / "instances" / name / "secrets.env").string() + " | cut -d= -f2-");
  ASSERT_FALSE(anon.empty());
  {
    std::set<std::string> visible;
    const std::string specs_dir = sh("mktemp -d");
    sh("for s in $(docker service ls --filter label=com.docker.stack.namespace=" + name +
       " --format '{{.Name}}'); do docker service inspect $s > " + specs_dir + "/$s.json; done");
    for (const std::string& kv : lines(sh("cat " + (home.path() / "instances" / name / "secrets.env").string()))) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || kv.size() - eq - 1 < 8 || kv[0] == '#') continue;
      const std::string key = kv.substr(0, eq);
      if (key == "DASHBOARD_USERNAME") continue;  // a user name, not a secret
      const std::string value = kv.substr(eq + 1);
      for (const std::string& hit :
           lines(sh("grep -lF -- '" + value + "' " + specs_dir + "/*.json | xargs -r -n1 basename"))) {
        visible.insert(hit.substr(name.size() + 1, hit.size() - name.size() - 6) + ":" + key);
      }
    }
    sh("rm -rf " + specs_dir);
    // docs/ARCHITECTURE.md, Swarm: PostgREST's image is its binary alone (no shell to read a
    // file): its database URL holds the authenticator's password, and it checks tokens with the
    // JWT secret.
    EXPECT_EQ(visible, (std::set<std::string>{"rest:POSTGRES_PASSWORD", "rest:JWT_SECRET"}));
  }

  // --- data: rows written now must survive the update and the loss of the worker
  ASSERT_EQ(run("psql " + name +
                    " -- -c 'create table swarm_rows(n int); insert into swarm_rows select generate_series(1,42)'",
                &out),
            0)
      << out;

  // --- spread: two tasks of each scaled service, one on each node; requests through Caddy
  // reach both Kong replicas
  ASSERT_EQ(run("scale " + name + " kong=2 rest=2", &out), 0) << out;
  for (const std::string service : {"kong", "rest"}) {
    const std::vector<std::string> nodes = task_nodes(service);
    ASSERT_EQ(nodes.size(), 2u) << sh("docker service ps " + name + "_" + service);
    EXPECT_NE(nodes[0], nodes[1]) << "both " << service << " tasks on one node";
  }
  std::set<std::string> answered_by;
  for (int i = 0; i < 40 && answered_by.size() < 2; ++i) {
    const std::string r = through_caddy("/rest/v1/");
    if (r.rfind("200 ", 0) == 0) answered_by.insert(r.substr(4));
  }
  EXPECT_EQ(answered_by.size(), 2u) << "Kong replicas reached: " << answered_by.size();

  // --- a command run against the other node's Engine (--host) reaches the task there (the
  // way docs/DEPLOYMENT.md gives for a task that does not run on the manager's node): the
  // container id of the worker's kong task is the host name `hostname` prints in it.
  {
    const std::string worker_host = "unix:///run/supactl-swarm2/docker.sock";
    const std::string worker_kong =
        sh("docker -H " + worker_host + " ps -q --filter label=com.docker.swarm.service.name=" + name + "_kong");
    ASSERT_FALSE(worker_kong.empty());
    ASSERT_EQ(run("--host " + worker_host + " exec " + name + " kong -- hostname", &out), 0) << out;
    EXPECT_EQ(out.substr(0, 12), worker_kong.substr(0, 12)) << out;
  }

  // --- rolling update of rest under a request loop: no request fails. The loop runs in a
  // container on the instance's backend network (node, a fresh connection and DNS lookup per
  // request, as Kong's upstream calls do), because the kit's Kong stand-in answers itself.
  const std::string image =
      sh("docker service inspect " + name + "_meta --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'");
  const std::string loop_script =
      "const http=require('http');let ok=0,bad=0;"
      "const one=()=>http.get({host:'rest',port:3000,path:'/',agent:false,timeout:3000},r=>{r.resume();"
      "(r.statusCode<500?ok++:bad++);setTimeout(one,50)}).on('error',e=>{bad++;console.log('fail '+e.message);"
      "setTimeout(one,50)});one();"
      "process.on('SIGTERM',()=>{console.log('ok='+ok+' failed='+bad);process.exit(0)});";
  const std::string loop =
      sh("docker run -d --label " + std::string(test::k_run_label) + "=" + test::run_id() + " --network " + name +
         "_backend --entrypoint node " + image + " -e \"" + loop_script + "\"");
  ASSERT_FALSE(loop.empty());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(run("config set " + name + " rest.max_rows 999", &out), 0) << out;
  const int update_rc = run("up " + name, &out);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  sh("docker stop -t 5 " + loop);
  const std::string counted = sh("docker logs " + loop + " 2>&1; docker rm -f " + loop + " >/dev/null");
  ASSERT_EQ(update_rc, 0) << out;
  EXPECT_NE(sh("docker service inspect " + name + "_rest --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'")
                .find("=999\""),
            std::string::npos);
  EXPECT_EQ(sh("docker service inspect " + name + "_rest --format '{{.UpdateStatus.State}}'"), "completed");
  std::cout << "[ swarm ] rolling update of rest under load: " << counted.substr(counted.rfind("ok=")) << "\n";
  EXPECT_NE(counted.find("failed=0"), std::string::npos) << counted;
  EXPECT_EQ(counted.find("ok=0 "), std::string::npos) << counted;

  // --- the worker goes away: its tasks come back on the manager, the instance is healthy
  const auto t0 = std::chrono::steady_clock::now();
  sh(k_lab + " stop-worker");
  std::string last;
  const bool healthy_again =
      test::eventually("SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " status " + name +
                           " >/dev/null 2>&1 && [ $(docker node ls --format '{{.Status}}' | grep -c Down) -ge 1 ]",
                       std::chrono::seconds(180), &last);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ swarm ] healthy again " << seconds << " s after the worker's dockerd stopped\n";
  ASSERT_TRUE(healthy_again) << sh("docker service ls; docker node ls");
  const std::string manager = sh("docker info --format '{{.Swarm.NodeID}}'");
  for (const std::string& node : task_nodes("rest")) EXPECT_EQ(node, manager);
  std::string r = through_caddy("/rest/v1/");
  EXPECT_EQ(r.substr(0, 3), "200") << r;
  ASSERT_EQ(run("psql " + name + " -- -At -c 'select count(*) from swarm_rows'", &out), 0) << out;
  EXPECT_NE(out.find("42"), std::string::npos) << out;

  // --- down --dry-run lists what down removes, and removes nothing
  ASSERT_EQ(run("--output json down " + name + " --dry-run", &out), 0) << out;
  const nlohmann::json would = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_TRUE(would.is_object()) << out;
  const std::string listed = would.value("would_remove", nlohmann::json::array()).dump();
  for (const std::string& item : {"services " + name + "_db", "services " + name + "_kong", "networks " + name})
    EXPECT_NE(listed.find(item), std::string::npos) << item << " in " << out;
  EXPECT_NE(sh("docker service ls -q --filter label=com.docker.stack.namespace=" + name), "");

  // --- down leaves no service, network, config or secret of the instance
  ASSERT_EQ(run("down " + name, &out), 0) << out;
  for (const char* kind : {"service", "network", "config", "secret"}) {
    EXPECT_EQ(sh(std::string("docker ") + kind + " ls -q --filter label=com.docker.stack.namespace=" + name), "")
        << kind;
  }
  // Nor a container here: not even the minio-init job's, which Swarm keeps after its service went.
  EXPECT_EQ(sh("docker ps -aq --filter label=com.docker.stack.namespace=" + name), "");
  // The volumes stay (asked for nothing else).
  EXPECT_NE(sh("docker volume ls -q --filter label=com.docker.compose.project=" + name), "");

  // --- down --volumes --yes deletes the instance's volumes on every node. The worker comes
  // back (a new node) with a volume of the instance, as a task placed there would have made
  // it; no service is left, so the removal job takes its image from the rendered compose file.
  sh(k_lab + " start-worker");
  ASSERT_TRUE(
      test::eventually("[ $(docker node ls --format '{{.Status}}' | grep -c Ready) -ge 2 ]", std::chrono::seconds(60)));
  const std::string worker = "docker -H unix:///run/supactl-swarm2/docker.sock ";
  sh(worker + "volume create --label com.docker.stack.namespace=" + name +
     " --label com.docker.compose.project=" + name + " " + name + "_db-data");
  ASSERT_EQ(sh(worker + "volume ls -q --filter label=com.docker.stack.namespace=" + name), name + "_db-data");
  ASSERT_EQ(run("down " + name + " --volumes --yes --output json", &out), 0) << out;
  EXPECT_NE(out.find("\"volumes " + name + "_db-data\""), std::string::npos) << out;
  EXPECT_EQ(sh(worker + "volume ls -q --filter label=com.docker.stack.namespace=" + name), "");
  EXPECT_EQ(sh("docker volume ls -q --filter label=com.docker.compose.project=" + name), "");
  // The job is gone too.
  EXPECT_EQ(sh("docker service ls -q --filter label=com.docker.stack.namespace=" + name), "");

  // --- commands through the manager alone reach a db whose task runs on the worker: each
  // Engine call on that container is a one-shot job placed on the worker (swarm/relay.hpp).
  second = name + "-w";
  const std::string worker_id = sh(worker + "info --format '{{.Swarm.NodeID}}'");
  ASSERT_FALSE(worker_id.empty());
  ASSERT_EQ(run("init " + second + " --swarm --registry " + test::k_kit_registry + " --http-port " +
                    std::to_string(test::free_port()) + " --exclude studio,analytics,vector,supavisor,imgproxy",
                &out),
            0)
      << out;
  ASSERT_EQ(run("config set " + second + " placement.db " + worker_id, &out), 0) << out;
  ASSERT_EQ(run("up " + second, &out), 0) << out;
  ASSERT_EQ(task_nodes_of(second + "_db"), std::vector<std::string>{worker_id});
  const std::string worker_db = sh(worker + "ps -q --filter label=com.docker.swarm.service.name=" + second + "_db");
  ASSERT_FALSE(worker_db.empty());
  const auto relay_start = std::chrono::steady_clock::now();
  ASSERT_EQ(run("exec " + second + " db -- hostname", &out), 0) << out;
  std::cout << "[ swarm ] exec through a relay job on the worker: "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - relay_start).count() << " s\n";
  EXPECT_NE(out.find(worker_db.substr(0, 12)), std::string::npos) << out;
  ASSERT_EQ(run("psql " + second + " -- -c 'create table relayed(n int); insert into relayed values (7)'", &out), 0)
      << out;
  // A script on standard input travels in a secret and is read inside the container.
  const std::string script = (home.path() / "relayed.sql").string();
  sh("printf 'insert into relayed values (8);\nselect sum(n) as relayed_sum from relayed;\n' > " + script);
  ASSERT_EQ(test::run_shell("SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " psql " + second +
                                " -- -At < " + script + " 2>&1",
                            &out),
            0)
      << out;
  EXPECT_NE(out.find("15"), std::string::npos) << out;
  // A backup: the dumps come back through the jobs' logs, with the table made above in them.
  ASSERT_EQ(run("backup " + second + " --output json", &out), 0) << out;
  const json made = json::parse(out.substr(out.find('{')));
  const std::string backup_file = made.value("path", std::string());
  ASSERT_FALSE(backup_file.empty()) << out;
  EXPECT_GE(made.value("tables", 0), 1) << out;  // relayed
  EXPECT_NE(sh("tar -xzOf " + backup_file + " | grep -ac relayed"), "0");
  // functions deploy (its service stays on the manager): the service rolls its task, which
  // serves the new code; no container of the old task is left running.
  const std::string functions_dir = (home.path() / "fn").string();
  sh("mkdir -p " + functions_dir + "/greet && echo 'Deno.serve(() => new Response(\"relayed\"));' > " + functions_dir +
     "/greet/index.ts");
  ASSERT_EQ(run("functions deploy " + second + " " + functions_dir, &out), 0) << out;
  const std::vector<std::string> running_functions =
      lines(sh("docker ps -q --filter label=com.docker.swarm.service.name=" + second + "_functions"));
  ASSERT_EQ(running_functions.size(), 1u)
      << sh("docker ps -a --filter label=com.docker.swarm.service.name=" + second + "_functions");
  EXPECT_NE(sh("docker exec " + running_functions[0] + " cat /home/deno/functions/greet/index.ts 2>&1").find("relayed"),
            std::string::npos);
  EXPECT_EQ(sh("docker service inspect " + second + "_functions --format '{{.UpdateStatus.State}}'"), "completed");
  // A db standby is not built on a swarm: refused, naming why, before anything changed.
  EXPECT_EQ(run("db standby add " + second, &out), 2) << out;
  EXPECT_NE(out.find("a db standby is not built yet; nothing was changed"), std::string::npos) << out;
  EXPECT_EQ(sh("docker service ls -q --filter name=" + second + "_db-standby"), "");
  EXPECT_EQ(run("db failover " + second + " --switchover", &out), 2) << out;
  // The relay jobs and their secrets are gone, and so are their containers on the worker
  // (their logs held the answers, the dump among them): only the last sweep job's is left.
  EXPECT_EQ(sh(worker + "ps -a --filter label=dev.supactl.relay --format '{{.Label \"dev.supactl.relay-sweep\"}}'"),
            "true");
  EXPECT_EQ(sh("docker service ls -q --filter label=dev.supactl.relay"), "");
  EXPECT_EQ(sh("docker secret ls -q --filter label=dev.supactl.relay"), "");
  ASSERT_EQ(run("down " + second + " --volumes --yes", &out), 0) << out;
  EXPECT_EQ(sh(worker + "volume ls -q --filter label=com.docker.compose.project=" + second), "");
  // The relay and sweep jobs' containers went with the volumes; no job left an anonymous one.
  EXPECT_EQ(sh(worker + "ps -aq --filter label=dev.supactl.relay"), "");
  EXPECT_EQ(sh(worker + "volume ls -q --filter dangling=true"), "");
}

}  // namespace
}  // namespace supactl
