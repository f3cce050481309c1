// SPDX-License-Identifier: Apache-2.0
// The Engine client against the real Docker Engine: every operation supactl relies on.
#include <supactl/docker/engine.hpp>

#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/docker_env.hpp"
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
    s.labels = {{k_test_label, "1"}};
    return s;
  }

  Engine* engine = nullptr;
};

TEST_F(EngineTest, NetworkVolumeAndContainerLifecycle) {
  const std::string net = unique_name("net");
  NetworkSpec ns{.name = net, .driver = "bridge", .internal = true, .attachable = false, .labels = {{k_test_label, "1"}}};
  engine->create_network(ns);
  try {
    engine->create_network(ns);
    FAIL() << "duplicate network accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::conflict) << e.what();
  }
  Filters by_label;
  by_label.label(k_test_label, "1");
  auto nets = engine->list_networks(by_label);
  ASSERT_TRUE(std::any_of(nets.begin(), nets.end(), [&](const NetworkInfo& n) { return n.name == net && n.internal; }));

  const std::string vol = unique_name("vol");
  engine->create_volume(VolumeSpec{.name = vol, .driver = "local", .labels = {{k_test_label, "1"}}, .driver_opts = {}});
  auto vols = engine->list_volumes(by_label);
  ASSERT_TRUE(std::any_of(vols.begin(), vols.end(), [&](const VolumeInfo& v) { return v.name == vol; }));

  ContainerSpec spec = sleeper("life");
  spec.env = {"GREETING=hello"};
  spec.mounts = {Mount{.type = Mount::Type::volume, .source = vol, .target = "/data", .read_only = false, .content_digest = {}}};
  spec.networks = {EndpointSpec{.network = net, .aliases = {"db", "db.internal"}}};
  spec.healthcheck = Healthcheck{.test = {"CMD-SHELL", "test -d /data"}, .interval_ns = 2'000'000'000,
                                 .timeout_ns = 1'000'000'000, .start_period_ns = 0, .start_interval_ns = 0, .retries = 2};
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
  // stdout and stderr reach the log through separate pipes, so their order is not fixed; the
  // pause makes more-out the last line, which `tail 1` relies on (Docker's tail counts both).
  ContainerSpec spec = sleeper("logs", {"sh", "-c", "echo to-out; echo to-err >&2; sleep 0.3; echo more-out"});
  engine->create_container(spec);
  engine->start_container(spec.name);
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
  ExecResult r = engine->exec(spec.name, ExecSpec{.cmd = {"sh", "-c", "echo hi; echo oops >&2; exit 3"}, .env = {}, .user = {},
                                                  .working_dir = {}, .tty = false});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "oops\n");
  ExecResult env = engine->exec(spec.name, ExecSpec{.cmd = {"sh", "-c", "echo $X"}, .env = {"X=42"}, .user = {},
                                                    .working_dir = {}, .tty = false});
  EXPECT_EQ(env.exit_code, 0);
  EXPECT_EQ(env.out, "42\n");
}

TEST_F(EngineTest, ExecPipesStandardInputAndTheProcessSeesEndOfFile) {
  ContainerSpec spec = sleeper("stdin");
  engine->create_container(spec);
  engine->start_container(spec.name);
  ExecSpec cat{.cmd = {"sh", "-c", "cat; echo done >&2; exit 4"}, .env = {}, .user = {}, .working_dir = {}, .tty = false};
  ExecResult r = engine->exec(spec.name, cat, {}, std::string("line one\nline two\n"));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.out, "line one\nline two\n");
  EXPECT_EQ(r.err, "done\n");

  // A large input while the process writes as much back: neither side may block the other.
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ExecResult echo = engine->exec(spec.name, ExecSpec{.cmd = {"cat"}, .env = {}, .user = {}, .working_dir = {}, .tty = false},
                                 {}, big);
  EXPECT_EQ(echo.exit_code, 0);
  EXPECT_EQ(echo.out.size(), big.size());
  EXPECT_TRUE(echo.out == big);

  // Empty input is an immediate end of file.
  ExecResult wc = engine->exec(spec.name, ExecSpec{.cmd = {"wc", "-c"}, .env = {}, .user = {}, .working_dir = {}, .tty = false},
                               {}, std::string());
  EXPECT_EQ(wc.exit_code, 0);
  EXPECT_NE(wc.out.find('0'), std::string::npos) << wc.out;
}

TEST_F(EngineTest, ArchiveRoundTrip) {
  ContainerSpec spec = sleeper("archive");
  engine->create_container(spec);
  engine->start_container(spec.name);
  engine->put_archive(spec.name, "/tmp", make_tar("hello.txt", "hello from the host\n"));
  ExecResult cat = engine->exec(spec.name, ExecSpec{.cmd = {"cat", "/tmp/hello.txt"}, .env = {}, .user = {}, .working_dir = {}, .tty = false});
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
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
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
  test::TempDir dir;
  const std::string tar = (dir.path() / "image.tar").string();
  {
    std::ofstream out(tar, std::ios::binary);
    engine->save_images({k_test_image}, [&](std::string_view c) { out.write(c.data(), static_cast<std::streamsize>(c.size())); });
  }
  ASSERT_GT(std::filesystem::file_size(tar), 100000u);
  const std::string alias_repo = "supactl-test/busybox-alias";
  engine->tag_image(k_test_image, alias_repo, "load");
  ASSERT_TRUE(engine->inspect_image(alias_repo + ":load").has_value());
  engine->load_images(tar);
  EXPECT_TRUE(engine->inspect_image(k_test_image).has_value());
  test::run_shell("docker rmi " + alias_repo + ":load");
}

/// A Debian docker-registry on a free loopback port for the life of one test.
class LocalRegistry {
 public:
  LocalRegistry() {
    m_port = 15000 + (::getpid() % 1000);
    const std::string config = (m_dir.path() / "config.yml").string();
    std::ofstream(config) << "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " << (m_dir.path() / "data").string()
                          << "\nhttp:\n  addr: 127.0.0.1:" << m_port << "\n";
    std::string out;
    test::run_shell("(docker-registry serve " + config + " >" + (m_dir.path() / "log").string() + " 2>&1 & echo $! > " +
                        (m_dir.path() / "pid").string() + ")",
                    &out);
    for (int i = 0; i < 50; ++i) {
      if (test::run_shell("curl -sf http://127.0.0.1:" + std::to_string(m_port) + "/v2/") == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~LocalRegistry() { test::run_shell("kill $(cat " + (m_dir.path() / "pid").string() + ")"); }
  std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }

 private:
  test::TempDir m_dir;
  int m_port = 0;
};

TEST_F(EngineTest, PullFromLocalRegistrySucceedsAndMissingImageFails) {
  if (test::run_shell("command -v docker-registry") != 0) {
    FAIL() << "docker-registry is not installed (scripts/setup installs it)";
  }
  LocalRegistry registry;
  const std::string ref = registry.address() + "/supactl-test/pulled:1";
  std::string out;
  ASSERT_EQ(test::run_shell("docker tag " + std::string(k_test_image) + " " + ref + " && docker push " + ref, &out), 0) << out;
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

TEST_F(EngineTest, DoctorPrintsTheEngineAndFailsClearlyWithoutOne) {
  std::string out;
  EXPECT_EQ(test::run_shell(std::string(SUPACTL_BINARY) + " doctor", &out), 0) << out;
  EXPECT_NE(out.find("API"), std::string::npos) << out;
  EXPECT_NE(out.find("1.41"), std::string::npos) << out;
  EXPECT_EQ(test::run_shell(std::string(SUPACTL_BINARY) + " --host unix:///nonexistent.sock doctor", &out), 5) << out;
  EXPECT_NE(out.find("no Docker Engine socket at /nonexistent.sock"), std::string::npos) << out;
}

}  // namespace
}  // namespace supactl::docker
