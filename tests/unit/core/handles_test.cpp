// SPDX-License-Identifier: Apache-2.0
// Owning handles and small helpers of core: UniqueFd, ScopeExit, the movable FileLock and base64
// (RFC 4648 §10 test vectors).
#include <supactl/core/base64.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/core/lock.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>

namespace supactl::core {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

TEST(UniqueFd, ClosesOnceWhenDestroyedResetOrClosed) {
  int raw = -1;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    ASSERT_GE(raw, 0);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));

  UniqueFd a = open_fd("/dev/null", O_RDONLY);
  ASSERT_TRUE(a);
  EXPECT_NE(::fcntl(a.get(), F_GETFD) & FD_CLOEXEC, 0) << "open_fd adds O_CLOEXEC";
  const int first = a.get();
  UniqueFd b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
  EXPECT_EQ(b.get(), first);
  EXPECT_TRUE(is_open(first));
  EXPECT_EQ(b.close(), 0);
  EXPECT_FALSE(b);
  EXPECT_FALSE(is_open(first));

  UniqueFd c = open_fd("/dev/null", O_RDONLY);
  const int released = c.release();
  EXPECT_FALSE(c);
  EXPECT_TRUE(is_open(released)) << "release gives up ownership without closing";
  ::close(released);

  EXPECT_FALSE(open_fd("/nonexistent/file", O_RDONLY));
  EXPECT_EQ(errno, ENOENT);
}

TEST(UniqueFd, WriteAllWritesEveryByte) {
  test::TempDir dir;
  const std::string path = (dir.path() / "f").string();
  std::string data(1 << 20, 'x');
  data[12345] = 'y';
  {
    UniqueFd fd = open_fd(path.c_str(), O_WRONLY | O_CREAT, 0600);
    ASSERT_TRUE(write_all(fd.get(), data));
  }
  UniqueFd in = open_fd(path.c_str(), O_RDONLY);
  std::string back(data.size() + 1, '\0');
  size_t got = 0;
  for (ssize_t n; (n = ::read(in.get(), back.data() + got, back.size() - got)) > 0;) got += static_cast<size_t>(n);
  back.resize(got);
  EXPECT_EQ(back, data);
  EXPECT_FALSE(write_all(-1, "x"));
}

TEST(ScopeExit, RunsUnlessDismissed) {
  int runs = 0;
  {
    ScopeExit guard([&] { ++runs; });
  }
  EXPECT_EQ(runs, 1);
  {
    ScopeExit guard([&] { ++runs; });
    guard.dismiss();
  }
  EXPECT_EQ(runs, 1);
  try {
    ScopeExit guard([&] { ++runs; });
    throw std::runtime_error("x");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(runs, 2) << "runs when the scope is left by an exception";
}

TEST(FileLock, MovingKeepsTheLockAndTheLastOwnerReleasesIt) {
  test::TempDir dir;
  const auto path = dir.path() / "lock";
  std::optional<FileLock> kept;
  {
    FileLock first(path, "instance shop", 0);
    kept.emplace(std::move(first));
  }
  // Still held after the first object is gone: a second taker is refused, naming our pid.
  try {
    FileLock second(path, "instance shop", 0);
    FAIL() << "the lock was released by a moved-from object";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos) << e.what();
  }
  kept.reset();
  EXPECT_NO_THROW(FileLock(path, "instance shop", 0));
}

TEST(FileLock, DirectoryLockExcludesOtherOpenFileDescriptions) {
  test::TempDir dir;
  {
    const FileLock held = FileLock::directory(dir.path());
    const int other = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(other, 0);
    EXPECT_NE(::flock(other, LOCK_EX | LOCK_NB), 0) << "the folder is locked";
    EXPECT_EQ(errno, EWOULDBLOCK);
    ::close(other);
  }
  const int other = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(::flock(other, LOCK_EX | LOCK_NB), 0) << "released with the object";
  ::close(other);
  EXPECT_THROW(FileLock::directory(dir.path() / "missing"), Error);
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> k_vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : k_vectors) {
    EXPECT_EQ(base64_encode(plain, Base64Alphabet::standard, true), encoded) << plain;
    EXPECT_EQ(base64_decode(encoded, Base64Alphabet::standard), plain) << encoded;
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    EXPECT_EQ(base64_encode(plain, Base64Alphabet::standard, false), unpadded) << plain;
    EXPECT_EQ(base64_decode(unpadded, Base64Alphabet::standard), plain) << unpadded;
  }
}

TEST(Base64, AlphabetsDifferOnlyInTheLastTwoCharacters) {
  const std::string bytes("\xfb\xff\xbf", 3);  // 111110 111111 111110 111111
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::standard, true), "+/+/");
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::url, true), "-_-_");
  EXPECT_EQ(base64_decode("-_-_", Base64Alphabet::url), bytes);
  EXPECT_FALSE(base64_decode("-_-_", Base64Alphabet::standard));
  EXPECT_FALSE(base64_decode("+/+/", Base64Alphabet::url));
  EXPECT_FALSE(base64_decode("Zm9vY", Base64Alphabet::standard)) << "a length no encoding produces";
  // X-Registry-Auth for no credentials: "{}" as padded base64url.
  EXPECT_EQ(base64_encode("{}", Base64Alphabet::url, true), "e30=");
}

}  // namespace
}  // namespace supactl::core
