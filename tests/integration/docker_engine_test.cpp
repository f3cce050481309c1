// SPDX-License-Identifier: Apache-2.0
// The Engine client against the real Docker Engine: every operation supactl relies on.
#include <supactl/docker/engine.hpp>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl::docker {
namespace {

using test::k_test_image;
using test::k_test_label;
using test::unique_name;

/// A one-file tar built in memory with libarchive.
std::string make_tar(const std::string& name, const std::string& content) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_write_header(a, e);
  archive_write_data(a, content.data(), content.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

/// The content of `name` inside tar bytes, or nullopt.
std::optional<std::string> read_tar_member(const std::string& tar, const std::string& name) {
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  struct archive_entry* e = nullptr;
  std::optional<std::string> found;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    if (std::string(archive_entry_pathname(e)) == name) {
      std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
      archive_read_data(a, data.data(), data.size());
      found = data;
      break;
    }
  }
  archive_read_free(a);
  return found;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    engine = e;
    test::ensure_test_image();
  }
  void TearDown() override { test::remove_test_objects(""); }

  ContainerSpec sleeper(const std::string& suffix, std::vector<std::string> cmd = {"sleep", "300"}) {
    ContainerSpec s;
    s.name = unique_name(suffix);
    s.image = k_test_image;
    s.cmd = std::move(cmd);
    s.labels = test::test_labels();
    return s;
  }

  Engine* engine = nullptr;
};

TEST_F(EngineTest, NetworkVolumeAndContainerLifecycle) {
  const std::string net = unique_name("net");
  NetworkSpec ns{.name = net, .driver = "bridge", .internal = true, .attachable = false, .labels = test::test_labels()};
  engine->create_network(ns);
  try {
    engine->create_network(ns);
    FAIL() << "duplicate network accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::conflict) << e.what();
  }
  Filters by_label;
  by_label.label(test::k_run_label, test::run_id());
  auto nets = engine->list_networks(by_label);
  ASSERT_TRUE(std::any_of(nets.begin(), nets.end(), [&](const NetworkInfo& n) { return n.name == net && n.internal; }));

  const std::string vol = unique_name("vol");
  engine->create_volume(VolumeSpec{.name = vol, .driver = "local", .labels = test::test_labels(), .driver_opts = {}});
  auto vols = engine->list_volumes(by_label);
  ASSERT_TRUE(std::any_of(vols.begin(), vols.end(), [&](const VolumeInfo& v) { return v.name == vol; }));

  ContainerSpec spec = sleeper("life");
  spec.env = {"GREETING=hello"};
  spec.mounts = {
      Mount{.type = Mount::Type::volume, .source = vol, .target = "/data", .read_only = false, .content_digest = {}}};
  spec.networks = {EndpointSpec{.network = net, .aliases = {"db", "db.internal"}}};
  spec.healthcheck = Healthcheck{.test = {"CMD-SHELL", "test -d /data"},
                                 .interval_ns = 2'000'000'000,
                                 .timeout_ns = 1'000'000'000,
                                 .start_period_ns = 0,
                                 .start_interval_ns = 0,
                                 .retries = 2};
  spec.restart.name = "unless-stopped";
  engine->create_container(spec);
  engine->start_container(spec.name);
  engine->start_container(spec.name);  // 304 is success

  ContainerInfo info = engine->inspect_container(spec.name);
  EXPECT_TRUE(info.state.running);
  EXPECT_EQ(info.name, spec.name);
  ASSERT_TRUE(info.healthcheck.has_value());
  EXPECT_EQ(info.healthcheck->interval_ns, 2'000'000'000);
  EXPECT_EQ(info.healthcheck->retries, 2);
  ASSERT_EQ(info.networks.count(net), 1u);
  EXPECT_NE(std::find(info.networks[net].begin(), info.networks[net].end(), "db.internal"), info.networks[net].end());
  EXPECT_NE(std::find(info.env.begin(), info.env.end(), "GREETING=hello"), info.env.end());

  try {
    engine->remove_volume(vol, false);
    FAIL() << "removing a volume in use succeeded";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::conflict) << e.what();
  }
  Filters by_name;
  by_name.add("name", spec.name);
  ASSERT_EQ(engine->list_containers(by_name, false).size(), 1u);

  engine->stop_container(spec.name, 1);
  engine->stop_container(spec.name, 1);  // 304 is success
  EXPECT_FALSE(engine->inspect_container(spec.name).state.running);
  engine->rename_container(spec.name, spec.name + "-renamed");
  engine->remove_container(spec.name + "-renamed", true, false);
  try {
    engine->inspect_container(spec.name + "-renamed");
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_EQ(e.http_status(), 404);
  }
  engine->remove_volume(vol, false);
  engine->remove_network(net);
}

TEST_F(EngineTest, LogsAreDemultiplexedIntoStdoutAndStderr) {
  // stdout and stderr reach the log through separate pipes, so their order is not fixed:
  // more-out is written only once the log holds the first two lines (the test polls for them,
  // then lets the container go on), so it is the last line, which `tail 1` relies on
  // (Docker's tail counts both streams).
  ContainerSpec spec = sleeper(
      "logs", {"sh", "-c", "echo to-out; echo to-err >&2; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo more-out"});
  engine->create_container(spec);
  engine->start_container(spec.name);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (std::string both;;) {
    both.clear();
    engine->logs(spec.name, LogOptions{}, [&](StreamKind, std::string_view d) {
      both.append(d);
      return true;
    });
    if (both.find("to-out\n") != std::string::npos && both.find("to-err\n") != std::string::npos) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the first two lines never reached the log: " << both;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(engine
                ->exec(spec.name,
                       ExecSpec{.cmd = {"touch", "/tmp/go"}, .env = {}, .user = {}, .working_dir = {}, .tty = false})
                .exit_code,
            0);
  EXPECT_EQ(engine->wait_container(spec.name, WaitCondition::not_running), 0);
  std::string out, err;
  engine->logs(spec.name, LogOptions{}, [&](StreamKind k, std::string_view d) {
    (k == StreamKind::stderr_ ? err : out).append(d);
    return true;
  });
  EXPECT_EQ(out, "to-out\nmore-out\n");
  EXPECT_EQ(err, "to-err\n");
  LogOptions tail;
  tail.tail = "1";
  tail.stderr_ = false;
  std::string last;
  engine->logs(spec.name, tail, [&](StreamKind, std::string_view d) {
    last.append(d);
    return true;
  });
  EXPECT_EQ(last, "more-out\n");
}

TEST_F(EngineTest, WaitReturnsTheExitCode) {
  ContainerSpec spec = sleeper("wait", {"sh", "-c", "exit 7"});
  engine->create_container(spec);
  engine->start_container(spec.name);
  EXPECT_EQ(engine->wait_container(spec.name, WaitCondition::not_running), 7);
  EXPECT_EQ(engine->inspect_container(spec.name).state.exit_code, 7);
}

TEST_F(EngineTest, ExecReturnsExitCodeAndSeparatedOutput) {
  ContainerSpec spec = sleeper("exec");
  engine->create_container(spec);
  engine->start_container(spec.name);
  ExecResult r = engine->exec(spec.name, ExecSpec{.cmd = {"sh", "-c", "echo hi; echo oops >&2; exit 3"},
                                                  .env = {},
                                                  .user = {},
                                                  .working_dir = {},
                                                  .tty = false});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "oops\n");
  ExecResult env = engine->exec(
      spec.name,
      ExecSpec{.cmd = {"sh", "-c", "echo $X"}, .env = {"X=42"}, .user = {}, .working_dir = {}, .tty = false});
  EXPECT_EQ(env.exit_code, 0);
  EXPECT_EQ(env.out, "42\n");
}

TEST_F(EngineTest, ExecPipesStandardInputAndTheProcessSeesEndOfFile) {
  ContainerSpec spec = sleeper("stdin");
  engine->create_container(spec);
  engine->start_container(spec.name);
  ExecSpec cat{
      .cmd = {"sh", "-c", "cat; echo done >&2; exit 4"}, .env = {}, .user = {}, .working_dir = {}, .tty = false};
  ExecResult r = engine->exec(spec.name, cat, {}, std::string("line one\nline two\n"));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.out, "line one\nline two\n");
  EXPECT_EQ(r.err, "done\n");

  // A large input while the process writes as much back: neither side may block the other.
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ExecResult echo = engine->exec(
      spec.name, ExecSpec{.cmd = {"cat"}, .env = {}, .user = {}, .working_dir = {}, .tty = false}, {}, big);
  EXPECT_EQ(echo.exit_code, 0);
  EXPECT_EQ(echo.out.size(), big.size());
  EXPECT_TRUE(echo.out == big);

  // Empty input is an immediate end of file.
  ExecResult wc =
      engine->exec(spec.name, ExecSpec{.cmd = {"wc", "-c"}, .env = {}, .user = {}, .working_dir = {}, .tty = false}, {},
                   std::string());
  EXPECT_EQ(wc.exit_code, 0);
  EXPECT_NE(wc.out.find('0'), std::string::npos) << wc.out;
}

TEST_F(EngineTest, ArchiveRoundTrip) {
  ContainerSpec spec = sleeper("archive");
  engine->create_container(spec);
  engine->start_container(spec.name);
  engine->put_archive(spec.name, "/tmp", make_tar("hello.txt", "hello from the host\n"));
  ExecResult cat = engine->exec(
      spec.name, ExecSpec{.cmd = {"cat", "/tmp/hello.txt"}, .env = {}, .user = {}, .working_dir = {}, .tty = false});
  EXPECT_EQ(cat.out, "hello from the host\n");
  std::string tar;
  engine->get_archive(spec.name, "/tmp/hello.txt", [&](std::string_view c) { tar.append(c); });
  EXPECT_EQ(read_tar_member(tar, "hello.txt").value_or("<missing>"), "hello from the host\n");
}

TEST_F(EngineTest, EventsReportAContainerStart) {
  ContainerSpec spec = sleeper("events");
  std::string id = engine->create_container(spec);
  std::atomic<bool> seen{false};
  int64_t since = static_cast<int64_t>(std::time(nullptr)) - 1;
  std::thread watcher([&] {
    Filters f;
    f.add("container", id).add("event", "start");
    engine->events(f, since, since + 20, [&](const Event& e) {
      if (e.action == "start" && e.id == id) seen = true;
      return !seen.load();
    });
  });
  // No pause for the watcher to subscribe: `since` lies before the start, so the Engine
  // replays it from its event log however late the subscription comes.
  engine->start_container(spec.name);
  watcher.join();
  EXPECT_TRUE(seen);
}

TEST_F(EngineTest, MissingImageFailsWithTheEnginesMessage) {
  ContainerSpec spec = sleeper("noimage");
  spec.image = "supactl-test/does-not-exist:1";
  try {
    engine->create_container(spec);
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("No such image"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(engine->inspect_image("supactl-test/does-not-exist:1").has_value());
}

TEST_F(EngineTest, SaveAndLoadRoundTrip) {
  // An image of this test's own: one layer with a file naming this run, so its id is shared
  // with no other image and removing its one tag deletes it from the Engine for good.
  const std::string ref = "supactl-test/save-load-" + test::run_id() + ":1";
  std::string out, err;
  ASSERT_EQ(test::run_command("d=$(mktemp -d) && echo 'saved by run " + test::run_id() +
                                  "' > $d/marker && tar -C $d -c . | "
                                  "docker import -c 'LABEL " +
                                  test::k_test_label + "=1 " + test::k_run_label + "=" + test::run_id() + "' - " + ref +
                                  " && rm -rf $d",
                              &out, &err),
            0)
      << err;
  struct Untag {
    std::string ref;
    std::string container;
    ~Untag() {
      test::run_shell("docker rm -f " + container + " >/dev/null 2>&1; docker rmi " + ref + " >/dev/null 2>&1");
    }
  } untag{ref, unique_name("saveload")};
  const std::optional<ImageInfo> original = engine->inspect_image(ref);
  ASSERT_TRUE(original.has_value());
  ASSERT_EQ(original->id.rfind("sha256:", 0), 0u) << original->id;

  test::TempDir dir;
  const std::string tar = (dir.path() / "image.tar").string();
  {
    std::ofstream file(tar, std::ios::binary);
    engine->save_images({ref},
                        [&](std::string_view c) { file.write(c.data(), static_cast<std::streamsize>(c.size())); });
  }
  // The tarball is docker's own format: its manifest.json names the tag and the config blob
  // whose digest is the image id.
  std::string bytes;
  {
    std::ifstream in(tar, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::optional<std::string> manifest = read_tar_member(bytes, "manifest.json");
  ASSERT_TRUE(manifest.has_value());
  EXPECT_NE(manifest->find("\"" + ref + "\""), std::string::npos) << *manifest;
  EXPECT_NE(manifest->find(original->id.substr(7)), std::string::npos) << *manifest;

  // Gone from the Engine, by tag and by id ...
  ASSERT_EQ(test::run_command("docker rmi " + ref, &out, &err), 0) << err;
  EXPECT_FALSE(engine->inspect_image(ref).has_value());
  EXPECT_FALSE(engine->inspect_image(original->id).has_value());
  EXPECT_NE(test::run_command("docker image inspect " + original->id, &out, &err), 0) << out;

  // ... and back from the tarball alone: same id, same tag, the run's marker file inside.
  engine->load_images(tar);
  const std::optional<ImageInfo> loaded = engine->inspect_image(original->id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->id, original->id);
  EXPECT_NE(std::find(loaded->repo_tags.begin(), loaded->repo_tags.end(), ref), loaded->repo_tags.end());
  ASSERT_EQ(test::run_command("docker image inspect --format '{{.Id}}' " + ref, &out, &err), 0) << err;
  EXPECT_EQ(out, original->id + "\n");
  ASSERT_EQ(test::run_command("docker create --name " + untag.container + " --label " + test::k_run_label + "=" +
                                  test::run_id() + " " + ref + " x",
                              &out, &err),
            0)
      << err;
  std::string copied;
  ASSERT_EQ(test::run_command("docker cp " + untag.container + ":/marker - | tar -xO", &copied, &err), 0) << err;
  EXPECT_EQ(copied, "saved by run " + test::run_id() + "\n");
}

/// A Debian docker-registry on a free loopback port for the life of one test.
class LocalRegistry {
 public:
  LocalRegistry() {
    m_port = test::free_port();
    const std::string config = (m_dir.path() / "config.yml").string();
    std::ofstream(config) << "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
                          << (m_dir.path() / "data").string() << "\nhttp:\n  addr: 127.0.0.1:" << m_port << "\n";
    std::string out;
    test::run_shell("(docker-registry serve " + config + " >" + (m_dir.path() / "log").string() + " 2>&1 & echo $! > " +
                        (m_dir.path() / "pid").string() + ")",
                    &out);
    m_answers =
        test::eventually("curl -sf http://127.0.0.1:" + std::to_string(m_port) + "/v2/", std::chrono::seconds(10));
  }
  ~LocalRegistry() { test::run_shell("kill $(cat " + (m_dir.path() / "pid").string() + ")"); }
  std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }
  bool answers() const { return m_answers; }

 private:
  test::TempDir m_dir;
  int m_port = 0;
  bool m_answers = false;
};

TEST_F(EngineTest, PullFromLocalRegistrySucceedsAndMissingImageFails) {
  if (test::run_shell("command -v docker-registry") != 0) {
    FAIL() << "docker-registry is not installed (scripts/setup installs it)";
  }
  LocalRegistry registry;
  ASSERT_TRUE(registry.answers()) << "docker-registry did not answer on " << registry.address();
  const std::string ref = registry.address() + "/supactl-test/pulled:1";
  std::string out;
  ASSERT_EQ(test::run_shell("docker tag " + std::string(k_test_image) + " " + ref + " && docker push " + ref, &out), 0)
      << out;
  ASSERT_EQ(test::run_shell("docker rmi " + ref, &out), 0) << out;
  ASSERT_FALSE(engine->inspect_image(ref).has_value());

  int lines = 0;
  engine->pull_image(ref, [&](const PullProgress&) { ++lines; });
  EXPECT_GT(lines, 0);
  EXPECT_TRUE(engine->inspect_image(ref).has_value());
  test::run_shell("docker rmi " + ref);

  try {
    engine->pull_image(registry.address() + "/supactl-test/missing:1", {});
    FAIL() << "pulling a missing image succeeded";
  } catch (const EngineError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("supactl-test/missing:1"), std::string::npos) << msg;
    EXPECT_TRUE(msg.find("not found") != std::string::npos || msg.find("unknown") != std::string::npos) << msg;
  }
}

/// "1.41" < "1.43" < "1.100", compared number by number.
bool api_older(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v) {
    const auto dot = v.find('.');
    return std::make_pair(std::stoi(v.substr(0, dot)), std::stoi(v.substr(dot + 1)));
  };
  return parts(a) < parts(b);
}

TEST_F(EngineTest, DoctorPrintsTheEngineAndFailsClearlyWithoutOne) {
  // The oracle is the docker CLI, asked for the same Engine's version.
  std::string version, err;
  ASSERT_EQ(
      test::run_command("docker version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} "
                        "{{.Server.Os}} {{.Server.Arch}}'",
                        &version, &err),
      0)
      << err;
  std::istringstream fields(version);
  std::string server, api, min_api, os, arch;
  fields >> server >> api >> min_api >> os >> arch;
  ASSERT_FALSE(arch.empty()) << version;
  // supactl speaks the Engine's API version, capped at the newest it implements.
  const std::string in_use = api_older(k_max_api_version, api) ? std::string(k_max_api_version) : api;

  std::string out;
  ASSERT_EQ(test::run_command(std::string(SUPACTL_BINARY) + " doctor", &out, &err), 0) << out << err;
  EXPECT_NE(out.find("engine       Docker " + server + " on " + os + "/" + arch + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("API          " + in_use + " in use (Engine " + min_api + ".." + api + ", supactl "),
            std::string::npos)
      << out;

  ASSERT_EQ(test::run_command(std::string(SUPACTL_BINARY) + " --output json doctor", &out, &err), 0) << out << err;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j.value("engine_version", ""), server) << out;
  EXPECT_EQ(j.value("engine_api_version", ""), api) << out;
  EXPECT_EQ(j.value("engine_min_api_version", ""), min_api) << out;
  EXPECT_EQ(j.value("api_version", ""), in_use) << out;

  EXPECT_EQ(test::run_command(std::string(SUPACTL_BINARY) + " --host unix:///nonexistent.sock doctor", &out, &err), 5)
      << out << err;
  EXPECT_NE(err.find("no Docker Engine socket at /nonexistent.sock"), std::string::npos) << err;
}

}  // namespace
}  // namespace supactl::docker
