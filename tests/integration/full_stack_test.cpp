// SPDX-License-Identifier: Apache-2.0
// The whole Supabase stack, through the real binary, pulled from the image kit's registry on
// 127.0.0.1:5000 exactly as an air-gapped user pulls from a mirror: init + up to all-healthy,
// data across down/up, a no-op second up (checked through the Engine's events), drift of one
// service, two instances side by side, an unhealthy service, a taken port, down --volumes.
// Needs `tests/images/kit up`; skips without it, except in CI (CI=true) where it fails.
#include <gtest/gtest.h>

#include <supactl/core/fs.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

constexpr const char* k_registry = test::k_kit_registry;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string sh(const std::string& command, int* status = nullptr) {
  std::string out;
  int rc = test::run_shell(command, &out);
  if (status != nullptr) *status = rc;
  return trim(out);
}

/// Every command line of the host (containers' processes included) seen while it runs,
/// polled from /proc every 2 ms: "no secret on any command line" is checked against it.
class CmdlineWatch {
 public:
  CmdlineWatch() : m_thread([this] { poll(); }) {}
  ~CmdlineWatch() { finish(); }
  std::set<std::string> finish() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    return m_seen;
  }

 private:
  void poll() {
    while (!m_stop) {
      std::error_code ec;
      try {
        for (const auto& e : std::filesystem::directory_iterator(
                 "/proc", std::filesystem::directory_options::skip_permission_denied, ec)) {
          const std::string pid = e.path().filename().string();
          if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
          // Plain read(2): a process may end while it is read (ESRCH), which iostreams would
          // turn into an exception in this thread.
          std::string line;
          int fd = ::open((e.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
          if (fd < 0) continue;
          char buf[4096];
          for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) line.append(buf, static_cast<std::size_t>(n));
          ::close(fd);
          for (char& c : line) c = c == '\0' ? ' ' : c;
          if (!line.empty()) m_seen.insert(line);
        }
      } catch (const std::exception&) {
        // /proc changed under the listing: the next round reads it again
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::atomic<bool> m_stop{false};
  std::set<std::string> m_seen;
  std::thread m_thread;
};

class FullStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    base = test::instance_name("fs");
  }
  void TearDown() override {
    for (const auto& n : created) run("down " + n + " --volumes --yes");
    test::remove_test_objects(base);
  }

  int run(const std::string& args, std::string* out = nullptr) {
    std::string cmd = "SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " " + args + " </dev/null";
    return test::run_shell(cmd, out);
  }

  /// `supactl init` of a full instance pulling from the kit, on free ports.
  std::string init(const std::string& suffix, std::string extra = "") {
    std::string name = base + suffix;
    std::string out;
    EXPECT_EQ(run("init " + name + " --registry " + k_registry + " --http-port " + std::to_string(test::free_port()) +
                      " --https-port " + std::to_string(test::free_port()) + " " + extra,
                  &out),
              0)
        << out;
    created.push_back(name);
    return name;
  }

  std::filesystem::path dir(const std::string& name) { return home.path() / "instances" / name; }

  /// service → container id of the instance's running containers.
  std::map<std::string, std::string> containers(const std::string& name) {
    std::map<std::string, std::string> ids;
    std::string out = sh("docker ps -a --filter label=com.docker.compose.project=" + name +
                         " --format '{{.Label \"com.docker.compose.service\"}} {{.ID}}'");
    std::istringstream in(out);
    std::string service, id;
    while (in >> service >> id) ids[service] = id;
    return ids;
  }

  /// `docker exec CONTAINER printenv VAR` with stdout alone: its exit status in `rc`.
  std::string printenv(const std::string& container, const std::string& var, int* rc) {
    std::string out, err;
    *rc = test::run_command("docker exec " + container + " printenv " + var, &out, &err);
    if (*rc != 0) ADD_FAILURE() << "docker exec " << container << " printenv " << var << ": " << err;
    return out;
  }

  /// The instance's networks and volumes by name, as the docker CLI lists them.
  std::string networks_and_volumes(const std::string& name) {
    const std::string f = " --filter label=com.docker.compose.project=" + name;
    return "networks:\n" + sh("docker network ls --no-trunc --format '{{.Name}} {{.ID}}'" + f + " | sort") +
           "\nvolumes:\n" + sh("docker volume ls --format '{{.Name}}'" + f + " | sort");
  }

  nlohmann::json status_json(const std::string& name, int* rc = nullptr) {
    std::string out;
    int code = run("status " + name + " --output json", &out);
    if (rc != nullptr) *rc = code;
    auto brace = out.find('{');
    return brace == std::string::npos ? nlohmann::json() : nlohmann::json::parse(out.substr(brace), nullptr, false);
  }

  std::string psql(const std::string& name, const std::string& sql, int* rc = nullptr) {
    return sh("docker exec " + name + "-db-1 psql -U postgres -h /var/run/postgresql -d postgres -tAc \"" + sql + "\"",
              rc);
  }

  test::TempDir home;
  std::string base;
  std::vector<std::string> created;
};

TEST_F(FullStackTest, InitUpIsHealthyDataSurvivesDownUpAndASecondUpWritesNothing) {
  std::string name = init("a");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_NE(out.find("API"), std::string::npos) << out;

  int rc = 0;
  nlohmann::json st = status_json(name, &rc);
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(st.is_object()) << out;
  EXPECT_TRUE(st["healthy"].get<bool>()) << st.dump(2);
  EXPECT_GE(st["services"].size(), 13u) << st.dump(2);

  // Every image came through the mirror.
  auto ids = containers(name);
  for (const char* service : {"db", "kong", "auth", "rest", "realtime", "storage", "imgproxy", "meta", "studio",
                              "functions", "minio", "redis", "caddy"}) {
    ASSERT_TRUE(ids.count(service)) << service << " missing";
    std::string image = sh("docker inspect -f '{{.Config.Image}}' " + ids[service]);
    EXPECT_EQ(image.rfind(std::string(k_registry) + "/", 0), 0u) << service << ": " << image;
  }
  // The wiring reaches the services: the auth stand-in got the instance's JWT secret and db URL.
  std::string env = sh("docker exec " + name + "-auth-1 /.standin/get http://127.0.0.1:9999/__standin/env");
  auto j = nlohmann::json::parse(env, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << env;
  std::string secrets;
  {
    std::ifstream f(dir(name) / "secrets.env");
    secrets.assign(std::istreambuf_iterator<char>(f), {});
  }
  std::string jwt = j["env"].value("GOTRUE_JWT_SECRET", "");
  EXPECT_FALSE(jwt.empty()) << env;
  EXPECT_NE(secrets.find("JWT_SECRET=" + jwt), std::string::npos);
  // Caddy → Kong on the published HTTP port.
  nlohmann::json inst;
  ASSERT_EQ(run("ls --output json", &out), 0) << out;
  inst = nlohmann::json::parse(out);
  int http = 0;
  for (const auto& i : inst) {
    if (i["name"] == name) http = i["ports"]["http"].get<int>();
  }
  ASSERT_GT(http, 0) << out;
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(http) + "/rest/v1/"), "200");

  // A table created in the db survives down + up.
  psql(name, "create table public.keepme (id int); insert into public.keepme values (42)", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(run("down " + name, &out), 0) << out;
  EXPECT_TRUE(containers(name).empty());
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_EQ(psql(name, "select id from public.keepme"), "42");

  // A second up on the converged instance: no create/start/stop/destroy events at all.
  std::string since = std::to_string(std::time(nullptr));
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_NE(out.find("up to date"), std::string::npos) << out;
  std::string until = std::to_string(std::time(nullptr) + 1);
  std::string events =
      sh("docker events --since " + since + " --until " + until + " --filter label=com.docker.compose.project=" + name +
         " --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}'");
  // Health-check execs (exec_create, exec_start, exec_die) are the Engine's own and allowed.
  std::istringstream lines(events);
  std::string line;
  while (std::getline(lines, line)) {
    std::string action = line.substr(0, line.find(' '));
    for (const char* write : {"create", "start", "stop", "kill", "destroy", "die", "restart", "rename"}) {
      EXPECT_NE(action, write) << "a no-op up made a write: " << line;
    }
  }
}

TEST_F(FullStackTest, ChangingOneServicesEnvRecreatesOnlyThatService) {
  std::string name = init("b");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  auto before = containers(name);
  const std::string objects = networks_and_volumes(name);
  EXPECT_NE(objects.find("networks:\n" + name + "_"), std::string::npos) << objects;
  EXPECT_NE(objects.find("\n" + name + "_db-data"), std::string::npos) << objects;
  std::ofstream(dir(name) / "compose.override.yml")
      << "services:\n  imgproxy:\n    environment:\n      EXTRA_FLAG: \"on\"\n";
  ASSERT_EQ(run("up " + name + " --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("imgproxy"), std::string::npos) << out;
  EXPECT_EQ(containers(name), before) << "--dry-run changed something";
  EXPECT_EQ(networks_and_volumes(name), objects) << "--dry-run changed networks or volumes";
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  auto after = containers(name);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [service, id] : before) {
    if (service == "imgproxy") {
      EXPECT_NE(after[service], id) << "imgproxy was not recreated";
    } else {
      EXPECT_EQ(after[service], id) << service << " was recreated although unchanged";
    }
  }
  int rc = -1;
  EXPECT_EQ(printenv(name + "-imgproxy-1", "EXTRA_FLAG", &rc), "on\n");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(networks_and_volumes(name), objects) << "recreating imgproxy changed networks or volumes";
}

// Issue 19: load. Four full instances brought up at once on this 2-core machine all come up:
// a service Docker marks unhealthy while it still runs is waited for until wait.timeout, and
// only an exited container or a restart loop ends an `up` early.
TEST_F(FullStackTest, FourFullInstancesUpAtOnceAllComeUpHealthy) {
  std::vector<std::string> names;
  for (const char* suffix : {"p", "q", "r", "s"}) names.push_back(init(suffix));
  std::vector<std::string> outs(names.size());
  std::vector<std::future<int>> ups;
  for (size_t i = 0; i < names.size(); ++i) {
    ups.push_back(std::async(std::launch::async, [&, i] { return run("up " + names[i], &outs[i]); }));
  }
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(ups[i].get(), 0) << names[i] << "\n" << outs[i];
  // `status` shows Docker's own health, whose checks lag behind on a loaded machine (a node
  // health command can time out while four stacks start): each instance must settle healthy.
  for (const std::string& n : names) {
    std::string last;
    EXPECT_TRUE(test::eventually("SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY + " status " + n,
                                 std::chrono::seconds(180), &last))
        << last;
  }
  for (const std::string& n : names) {
    std::string out;
    EXPECT_EQ(run("down " + n + " --volumes --yes", &out), 0) << out;
  }
}

TEST_F(FullStackTest, TwoInstancesSideBySideAndDownOfOneLeavesTheOther) {
  std::string one = init("c");
  std::string two = init("d");
  std::string out1, out2;
  auto f1 = std::async(std::launch::async, [&] { return run("up " + one, &out1); });
  auto f2 = std::async(std::launch::async, [&] { return run("up " + two, &out2); });
  ASSERT_EQ(f1.get(), 0) << out1;
  ASSERT_EQ(f2.get(), 0) << out2;
  // No shared names: each has its own networks and volumes.
  std::string nets = sh("docker network ls --format '{{.Name}}'");
  for (const auto& n : {one, two}) {
    EXPECT_NE(nets.find(n + "_backend"), std::string::npos) << nets;
    EXPECT_NE(nets.find(n + "_edge"), std::string::npos) << nets;
    EXPECT_EQ(sh("docker volume inspect -f '{{.Name}}' " + n + "_db-data"), n + "_db-data");
  }
  // The backend network is internal: no route out.
  EXPECT_EQ(sh("docker network inspect -f '{{.Internal}}' " + one + "_backend"), "true");

  std::string out;
  ASSERT_EQ(run("down " + one, &out), 0) << out;
  int rc = 0;
  nlohmann::json st = status_json(two, &rc);
  EXPECT_EQ(rc, 0) << st.dump(2);
  EXPECT_TRUE(st.value("healthy", false));
  EXPECT_TRUE(containers(one).empty());

  // down --volumes --yes removes the data of that instance only.
  ASSERT_EQ(run("down " + one + " --volumes --yes", &out), 0) << out;
  EXPECT_EQ(sh("docker volume ls -q --filter label=com.docker.compose.project=" + one), "");
  EXPECT_NE(sh("docker volume ls -q --filter label=com.docker.compose.project=" + two), "");
}

TEST_F(FullStackTest, AnUnhealthyServiceFailsUpWithItsNameAndLogs) {
  std::string name = init("e");
  std::ofstream(dir(name) / "compose.override.yml")
      << "services:\n  imgproxy:\n    environment:\n      STANDIN_UNHEALTHY: \"1\"\n";
  std::string out;
  int rc = run("up " + name + " --wait-timeout 20", &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_EQ(rc, 6) << out;
  EXPECT_NE(out.find("imgproxy"), std::string::npos) << out;
  // The service's own log lines are shown.
  EXPECT_NE(out.find("standin imgproxy"), std::string::npos) << out;
  // Nothing is lost: the db volume is still there.
  EXPECT_EQ(sh("docker volume inspect -f '{{.Name}}' " + name + "_db-data"), name + "_db-data");
}

TEST_F(FullStackTest, ScaleRestToThreeGivesThreeHealthyReplicasThatAllReceiveRequests) {
  std::string name = init("g", "--exclude realtime,storage,imgproxy,meta,studio,functions");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_EQ(run("scale " + name + " db=2", &out), 2) << out;
  EXPECT_NE(out.find("db cannot scale"), std::string::npos) << out;
  ASSERT_EQ(run("scale " + name + " rest=3", &out), 0) << out;

  int rc = 0;
  nlohmann::json st = status_json(name, &rc);
  EXPECT_EQ(rc, 0) << st.dump(2);
  size_t healthy_rest = 0;
  for (const auto& svc : st["services"]) {
    if (svc["service"] != "rest") continue;
    for (const auto& c : svc["containers"]) healthy_rest += c["health"] == "healthy" ? 1 : 0;
  }
  EXPECT_EQ(healthy_rest, 3u) << st.dump(2);
  std::string spec;
  {
    std::ifstream f(dir(name) / "instance.yaml");
    spec.assign(std::istreambuf_iterator<char>(f), {});
  }
  EXPECT_NE(spec.find("scale:\n  rest: 3"), std::string::npos) << spec;

  // Kong reaches the replicas by the one alias `rest`: Docker's DNS spreads the requests.
  std::set<std::string> hosts;
  for (int i = 0; i < 60 && hosts.size() < 3; ++i) {
    std::string env = sh("docker exec " + name + "-kong-1 /.standin/get http://rest:3000/__standin/env");
    auto j = nlohmann::json::parse(env, nullptr, false);
    if (!j.is_discarded()) hosts.insert(j["env"].value("HOSTNAME", ""));
  }
  EXPECT_EQ(hosts.size(), 3u);

  // Back to one: the extra replicas go, the first stays.
  ASSERT_EQ(run("scale " + name + " rest=1", &out), 0) << out;
  EXPECT_EQ(sh("docker ps -q --filter label=com.docker.compose.project=" + name +
               " --filter label=com.docker.compose.service=rest | wc -l"),
            "1");
}

std::string secret_of(const std::filesystem::path& file, const std::string& key) {
  std::ifstream f(file);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return {};
}

TEST_F(FullStackTest, SecretsRotateChangesKeysAndPasswordsEverywhereAndKeepsTheOldFile) {
  std::string name = init("h", "--exclude realtime,storage,imgproxy,meta,studio,functions");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  const auto env_file = dir(name) / "secrets.env";
  const std::string old_jwt = secret_of(env_file, "JWT_SECRET");
  const std::string old_anon = secret_of(env_file, "ANON_KEY");
  const std::string old_pw = secret_of(env_file, "POSTGRES_PASSWORD");
  const std::string old_dash = secret_of(env_file, "DASHBOARD_PASSWORD");
  ASSERT_FALSE(old_jwt.empty());

  EXPECT_EQ(run("secrets rotate " + name, &out), 2) << out;  // says what to add
  EXPECT_NE(out.find("--jwt"), std::string::npos) << out;

  ASSERT_EQ(run("secrets rotate " + name + " --jwt", &out), 0) << out;
  const std::string new_jwt = secret_of(env_file, "JWT_SECRET");
  const std::string new_anon = secret_of(env_file, "ANON_KEY");
  EXPECT_NE(new_jwt, old_jwt);
  EXPECT_NE(new_anon, old_anon);
  EXPECT_EQ(secret_of(env_file, "POSTGRES_PASSWORD"), old_pw);
  EXPECT_EQ(secret_of(env_file, "DASHBOARD_PASSWORD"), old_dash);
  // The services got the new secret; Kong's entrypoint writes the new anon key into its consumers.
  std::string env = sh("docker exec " + name + "-auth-1 /.standin/get http://127.0.0.1:9999/__standin/env");
  auto j = nlohmann::json::parse(env, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << env;
  EXPECT_EQ(j["env"].value("GOTRUE_JWT_SECRET", ""), new_jwt);
  int printenv_rc = -1;
  EXPECT_EQ(printenv(name + "-kong-1", "SUPABASE_ANON_KEY", &printenv_rc), new_anon + "\n");
  EXPECT_EQ(printenv_rc, 0);
  // The old secret is gone from the rendered files and every container; only the kept copy has it.
  EXPECT_EQ(sh("grep -rl '" + old_jwt + "' " + (dir(name) / "rendered").string()), "");
  EXPECT_EQ(sh("docker ps -aq --filter label=com.docker.compose.project=" + name +
               " | xargs docker inspect | grep -c '" + old_jwt + "'"),
            "0");
  std::string kept = sh("ls " + dir(name).string() + " | grep '^secrets.env.*bak$'");
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(sh("stat -c %a " + (dir(name) / kept).string()), "600");
  EXPECT_EQ(secret_of(dir(name) / kept, "JWT_SECRET"), old_jwt);
  int rc = 0;
  status_json(name, &rc);
  EXPECT_EQ(rc, 0);

  // The database password changes in place: the new one logs in over the network, the old one not.
  CmdlineWatch watch;
  ASSERT_EQ(run("secrets rotate " + name + " --postgres", &out), 0) << out;
  std::set<std::string> cmdlines = watch.finish();
  const std::string new_pw = secret_of(env_file, "POSTGRES_PASSWORD");
  EXPECT_NE(new_pw, old_pw);
  // No command line on the host carried the new password, psql's in the db container included
  // (it was seen, so the check looked at the moment that matters).
  bool saw_psql = false;
  for (const std::string& line : cmdlines) {
    EXPECT_EQ(line.find(new_pw), std::string::npos) << "the new password is on a command line: " << line;
    saw_psql = saw_psql || line.find("psql -X -q -v ON_ERROR_STOP=1") != std::string::npos;
  }
  EXPECT_TRUE(saw_psql) << cmdlines.size() << " command lines seen, none of them the password change";
  auto login = [&](const std::string& password, const std::string& user) {
    int status = 0;
    sh("docker exec -e PGPASSWORD=" + password + " " + name + "-db-1 psql -h 127.0.0.1 -U " + user +
           " -d postgres -tAc 'select 1'",
       &status);
    return status;
  };
  EXPECT_EQ(login(new_pw, "authenticator"), 0);
  EXPECT_EQ(login(new_pw, "postgres"), 0);
  EXPECT_NE(login(old_pw, "authenticator"), 0);
  EXPECT_EQ(sh("ls " + dir(name).string() + " | grep -c '^secrets.env.*bak$'"), "2");
  status_json(name, &rc);
  EXPECT_EQ(rc, 0);
}

TEST_F(FullStackTest, UpgradeToAnotherImageSetBacksUpRecreatesOnlyChangedServicesAndKeepsData) {
  // A second release whose only change is rest's tag, served by the kit's registry.
  test::TempDir templates;
  std::filesystem::create_directories(templates.path() / "images");
  std::string table = sh("cat " + std::string(SUPACTL_SOURCE_DIR) + "/templates/images/v0.8.1.yaml");
  const std::string rest_old = "postgrest/postgrest:v14.17";
  const std::string rest_new = "postgrest/postgrest:v14.17-kitnext";
  ASSERT_NE(table.find(rest_old), std::string::npos);
  table.replace(table.find(rest_old), rest_old.size(), rest_new);
  table.replace(table.find("release: v0.8.1"), 15, "release: kitnext");
  std::ofstream(templates.path() / "images" / "kitnext.yaml") << table << "\n";
  ASSERT_EQ(sh(std::string("docker tag ") + k_registry + "/" + rest_old + " " + k_registry + "/" + rest_new +
               " && docker push " + k_registry + "/" + rest_new + " >/dev/null && docker rmi " + k_registry + "/" +
               rest_new + " >/dev/null && echo ok"),
            "ok");
  const std::string tpl = " --templates " + templates.path().string() + " ";

  std::string name = init("i", "--exclude realtime,storage,imgproxy,meta,studio,functions");
  std::string out;
  ASSERT_EQ(run(tpl + "up " + name, &out), 0) << out;
  int rc = 0;
  psql(name, "create table public.survives (v text); insert into public.survives values ('kept')", &rc);
  ASSERT_EQ(rc, 0);
  auto before = containers(name);

  EXPECT_EQ(run(tpl + "upgrade " + name + " --to nosuch", &out), 2) << out;
  EXPECT_NE(out.find("kitnext"), std::string::npos) << "known releases not listed: " << out;

  ASSERT_EQ(run(tpl + "upgrade " + name + " --to kitnext --dry-run", &out), 0) << out;
  EXPECT_NE(out.find(rest_new), std::string::npos) << out;
  EXPECT_EQ(containers(name), before);
  EXPECT_EQ(sh("grep -c 'release: \"v0.8.1\"' " + (dir(name) / "instance.yaml").string()), "1");

  ASSERT_EQ(run(tpl + "upgrade " + name + " --to kitnext", &out), 0) << out;
  EXPECT_NE(out.find("rest"), std::string::npos) << out;
  auto after = containers(name);
  for (const auto& [service, id] : before) {
    if (service == "rest") {
      EXPECT_NE(after[service], id) << "rest kept its old container";
    } else {
      EXPECT_EQ(after[service], id) << service << " was recreated although its image did not change";
    }
  }
  EXPECT_EQ(sh("docker inspect -f '{{.Config.Image}}' " + name + "-rest-1"), std::string(k_registry) + "/" + rest_new);
  EXPECT_EQ(psql(name, "select v from public.survives"), "kept");
  EXPECT_EQ(sh("grep -c 'release: \"kitnext\"' " + (dir(name) / "instance.yaml").string()), "1");
  // The pre-upgrade backup is there and listed.
  ASSERT_EQ(run("backup ls " + name, &out), 0) << out;
  EXPECT_NE(out.find("before-kitnext"), std::string::npos) << out;
  status_json(name, &rc);
  EXPECT_EQ(rc, 0);
  sh(std::string("docker rmi ") + k_registry + "/" + rest_new + " >/dev/null 2>&1");
}

TEST_F(FullStackTest, FunctionsDeployPutsTheFilesWhereTheFunctionsContainerReadsThem) {
  std::string name = init("j", "--exclude realtime,storage,imgproxy,meta,studio");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  test::TempDir src;
  std::filesystem::create_directories(src.path() / "greet");
  std::filesystem::create_directories(src.path() / "_shared");
  std::ofstream(src.path() / "greet" / "index.ts") << "Deno.serve(() => new Response('hi from greet'))\n";
  std::ofstream(src.path() / "greet" / "old.ts") << "// goes away on the next deploy\n";
  std::ofstream(src.path() / "_shared" / "cors.ts") << "export const cors = {}\n";
  std::ofstream(src.path() / "greet" / "function.yaml") << "env:\n  GREETING: hello\nsecrets_file: .env\n";
  core::write_file_atomic(src.path() / "greet" / ".env", "API_TOKEN=s3cret-greet\n", 0600);

  ASSERT_EQ(run("functions deploy " + name + " " + src.path().string(), &out), 0) << out;
  const std::string c = name + "-functions-1";
  // The settings reach the router's mount, not the functions volume.
  EXPECT_EQ(sh("docker exec " + c + " cat /run/supactl/function-settings/greet.json"),
            R"({"env":{"API_TOKEN":"s3cret-greet","GREETING":"hello"}})");
  EXPECT_EQ(sh("docker exec " + c + " sh -c 'ls -A /home/deno/functions/greet'"), "index.ts\nold.ts");
  // A secret set later is there at once, in the same mounted folder.
  ASSERT_EQ(run("functions secrets set " + name + " greet MODE=live", &out), 0) << out;
  EXPECT_EQ(sh("docker exec " + c + " cat /run/supactl/function-settings/greet.json"),
            R"({"env":{"API_TOKEN":"s3cret-greet","GREETING":"hello","MODE":"live"}})");
  EXPECT_EQ(sh("docker exec " + c + " cat /home/deno/functions/greet/index.ts"),
            "Deno.serve(() => new Response('hi from greet'))");
  EXPECT_EQ(sh("docker exec " + c + " test -f /home/deno/functions/_shared/cors.ts && echo yes"), "yes");
  ASSERT_EQ(run("--output json functions ls " + name, &out), 0) << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  std::set<std::string> names;
  for (const auto& f : j["functions"]) names.insert(f["name"].get<std::string>());
  EXPECT_TRUE(names.count("greet")) << out;
  EXPECT_TRUE(names.count("main")) << out;

  // A redeploy replaces the function whole; the files live in the volume across a recreate.
  std::filesystem::remove(src.path() / "greet" / "old.ts");
  ASSERT_EQ(run("functions deploy " + name + " " + src.path().string(), &out), 0) << out;
  EXPECT_EQ(sh("docker exec " + c + " sh -c 'test -e /home/deno/functions/greet/old.ts && echo stale || echo gone'"),
            "gone");
  ASSERT_EQ(run("up " + name + " --force-recreate", &out), 0) << out;
  EXPECT_EQ(sh("docker exec " + c + " test -f /home/deno/functions/greet/index.ts && echo yes"), "yes");

  // Bad input is refused before anything is copied.
  std::filesystem::create_directories(src.path() / "main");
  std::ofstream(src.path() / "main" / "index.ts") << "x\n";
  EXPECT_EQ(run("functions deploy " + name + " " + src.path().string(), &out), 2) << out;
  EXPECT_NE(out.find("supactl's own"), std::string::npos) << out;
  EXPECT_EQ(run("functions deploy " + name + " /nonexistent-dir", &out), 2) << out;
}

TEST_F(FullStackTest, PsqlAndExecOnATerminalAreInteractive) {
  std::string name = init("k", "--exclude realtime,storage,imgproxy,meta,studio,functions,auth,rest");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  // script(1) gives supactl a pseudo-terminal on stdin and stdout, as a user's shell would.
  const std::string env = "SUPACTL_HOME=" + home.path().string() + " ";
  int rc = 0;
  // \q goes in only once the answer is on the terminal: a deadline poll on script's
  // typescript (flushed as it goes, -f), not a pause.
  const std::string typescript = (home.path() / "psql.typescript").string();
  out = sh("(printf 'select 40+2 as answer;\\n'; timeout 30 sh -c 'until grep -qs \"(1 row)\" " + typescript +
               "; do sleep 0.1; done'; printf '\\\\q\\n') | timeout 60 script -qfec \"" + env + SUPACTL_BINARY +
               " psql " + name + "\" " + typescript,
           &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("postgres=#"), std::string::npos) << "no interactive prompt: " << out;
  EXPECT_NE(out.find("42"), std::string::npos) << out;

  out = sh("printf 'typed\\n' | timeout 60 script -qec \"" + env + SUPACTL_BINARY + " exec " + name +
               " db -- sh -c 'read x; echo got:\\$x; exit 5'\" /dev/null",
           &rc);
  EXPECT_EQ(rc, 5) << out;
  EXPECT_NE(out.find("got:typed"), std::string::npos) << out;
}

TEST_F(FullStackTest, ATakenHostPortFailsBeforeAnyContainerIsCreated) {
  std::string name = init("f");
  std::string out;
  ASSERT_EQ(run("ls --output json", &out), 0) << out;
  int http = 0;
  for (const auto& i : nlohmann::json::parse(out)) {
    if (i["name"] == name) http = i["ports"]["http"].get<int>();
  }
  ASSERT_GT(http, 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = htons(static_cast<uint16_t>(http));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  int rc = run("up " + name, &out);
  ::close(fd);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find(std::to_string(http)), std::string::npos) << out;
  EXPECT_TRUE(containers(name).empty()) << out;
}

TEST_F(FullStackTest, DefaultInstanceIsPlainHttpOnLoopbackTrustsOnlyItsEdgeAndStoresNoJwtSecret) {
  std::string name = init("h");
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  auto ids = containers(name);

  // Caddy publishes on 127.0.0.1 only, and the printed URL is plain http on localhost.
  std::string bindings = sh("docker inspect -f '{{json .HostConfig.PortBindings}}' " + ids["caddy"]);
  nlohmann::json b = nlohmann::json::parse(bindings);
  ASSERT_FALSE(b.empty()) << bindings;
  for (auto& [port, list] : b.items()) {
    for (auto& binding : list) EXPECT_EQ(binding["HostIp"], "127.0.0.1") << port << " " << bindings;
  }
  std::string spec = sh("cat " + (dir(name) / "instance.yaml").string());
  std::string http = spec.substr(spec.find("  http: ") + 8);
  http = http.substr(0, http.find('\n'));
  EXPECT_NE(out.find("API      http://localhost:" + http + "\n"), std::string::npos) << out;
  // A stock client on the printed URL, with the anon key, no -k.
  std::string anon = sh("grep '^ANON_KEY=' " + (dir(name) / "secrets.env").string() + " | cut -d= -f2-");
  EXPECT_EQ(
      sh("curl -s -o /dev/null -w '%{http_code}' -H 'apikey: " + anon + "' http://localhost:" + http + "/rest/v1/"),
      "200");

  // Kong believes X-Forwarded-For only from the instance's edge network.
  std::string subnet = sh("docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' " + name + "_edge");
  ASSERT_FALSE(subnet.empty());
  std::string env = sh("docker exec " + ids["kong"] + " /.standin/get http://127.0.0.1:8000/__standin/env");
  nlohmann::json kong = nlohmann::json::parse(env, nullptr, false);
  ASSERT_TRUE(kong.is_object()) << env;
  EXPECT_EQ(kong["env"].value("KONG_TRUSTED_IPS", ""), subnet) << env;

  // No JWT secret in any database setting, nor in the db or rest environment.
  auto stored = [&] {
    return sh("docker exec " + name +
              "-db-1 psql -U supabase_admin -h /var/run/postgresql -d postgres -tAc "
              "\"select count(*) from pg_db_role_setting where array_to_string(setconfig, ',') like '%jwt_secret%'\"");
  };
  EXPECT_EQ(stored(), "0");
  for (const char* service : {"db", "rest"}) {
    std::string e = sh("docker inspect -f '{{json .Config.Env}}' " + ids[service]);
    std::string secret = sh("grep '^JWT_SECRET=' " + (dir(name) / "secrets.env").string() + " | cut -d= -f2-");
    EXPECT_EQ(e.find("JWT_SECRET=" + secret),
              service == std::string("rest") ? e.find("PGRST_JWT_SECRET=" + secret) + 6 : std::string::npos)
        << service << ": " << e;
    EXPECT_EQ(e.find("APP_SETTINGS_JWT_SECRET"), std::string::npos) << service;
  }
  // Data made by an older supactl: the setting is there and the marker is not. `up` removes it once.
  psql(name, "select 1");
  sh("docker exec " + name +
     "-db-1 psql -U supabase_admin -h /var/run/postgresql -d postgres -c "
     "\"ALTER DATABASE postgres SET \\\"app.settings.jwt_secret\\\" TO 'old-secret'\"");
  ASSERT_EQ(stored(), "1");
  std::filesystem::remove(dir(name) / ".jwt-setting-reset");
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_EQ(stored(), "0");
  EXPECT_TRUE(std::filesystem::exists(dir(name) / ".jwt-setting-reset"));
}

TEST_F(FullStackTest, TlsInternalInstanceExportsItsRootCaAndCurlVerifiesAgainstIt) {
  std::string name = init("t");
  std::string domain = name + ".localhost";
  // From http (the default) to the private CA: domain and tls.mode in instance.yaml.
  std::filesystem::path spec = dir(name) / "instance.yaml";
  sh("sed -i 's/^domain: .*/domain: " + domain + "/; s/^  mode: off /  mode: internal /' " + spec.string());
  std::string out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  std::string https = sh("grep '^  https: ' " + spec.string() + " | awk '{print $2}'");
  EXPECT_NE(out.find("API      https://" + domain + ":" + https + "\n"), std::string::npos) << out;

  std::filesystem::path pem = home.path() / "ca.pem";
  ASSERT_EQ(run("ca " + name + " > " + pem.string(), &out), 0) << out;
  std::string cert = sh("cat " + pem.string());
  EXPECT_EQ(cert.rfind("-----BEGIN CERTIFICATE-----", 0), 0u) << cert;
  EXPECT_EQ(sh("openssl x509 -noout -subject -in " + pem.string() + " | grep -c 'Caddy Local Authority'"), "1");
  // TLS verified against the exported root (no -k), SNI = the instance's domain.
  std::string code;
  EXPECT_TRUE(test::eventually("test \"$(curl -s -o /dev/null -w '%{http_code}' --cacert " + pem.string() +
                                   " --resolve " + domain + ":" + https + ":127.0.0.1 https://" + domain + ":" + https +
                                   "/rest/v1/)\" = 200",
                               std::chrono::seconds(10), &code))
      << code;
  // Without the root the same request fails verification.
  EXPECT_NE(sh("curl -s -o /dev/null -w '%{http_code}' --resolve " + domain + ":" + https + ":127.0.0.1 https://" +
               domain + ":" + https + "/rest/v1/"),
            "200");

  // An instance without the private CA says how to get one, exit 2, before asking the Engine.
  std::string plain = init("p");
  EXPECT_EQ(run("ca " + plain, &out), 2) << out;
  EXPECT_NE(out.find("tls.mode: internal"), std::string::npos) << out;
}

}  // namespace
}  // namespace supactl
