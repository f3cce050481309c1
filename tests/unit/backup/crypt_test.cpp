// SPDX-License-Identifier: Apache-2.0
// Encrypted backups without an Engine: the key file's forms and its refusals, the chunked
// AES-256-GCM stream round-tripping at every chunk boundary, a second reader of the format
// (Python's cryptography package) agreeing with ours, and every kind of damage (a flipped byte
// anywhere, truncation, an appended tail, swapped chunks, another key) refused before any
// member of the archive is extracted.
#include <supactl/backup/archive.hpp>
#include <supactl/backup/backup.hpp>
#include <supactl/backup/crypt.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/temp_dir.hpp"

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

constexpr size_t k_chunk = size_t{1} << 20;
constexpr size_t k_header = 52;

std::string slurp(const fs::path& p) { return core::read_file(p); }
void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

fs::path key_file(const fs::path& dir, const std::string& content, mode_t mode = 0600) {
  const fs::path p = dir / "key";
  spit(p, content);
  ::chmod(p.c_str(), mode);
  return p;
}

BackupKey test_key(unsigned char seed) {
  std::array<unsigned char, 32> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<unsigned char>(seed + i);
  return BackupKey::from_bytes(b);
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xFFU);
  return s;
}

/// `plain` encrypted with `key`, written in uneven pieces.
std::string encrypt(const BackupKey& key, const std::string& plain) {
  std::string out;
  Encryptor e(key, [&out](std::string_view s) { out.append(s); });
  size_t at = 0;
  size_t piece = 1;
  while (at < plain.size()) {
    const size_t n = std::min(piece, plain.size() - at);
    e.write(std::string_view(plain).substr(at, n));
    at += n;
    piece = piece * 3 + 7;
  }
  e.finish();
  return out;
}

/// Decrypts `sealed` (as a file in `dir`) with `key`; the plaintext, or the error's message.
struct Opened {
  bool ok = false;
  std::string text;
  ExitCode code = ExitCode::ok;
};
Opened open_sealed(const fs::path& dir, const std::string& sealed, const BackupKey& key) {
  const fs::path in = dir / "in.enc";
  const fs::path out = dir / "out";
  spit(in, sealed);
  std::error_code ec;
  fs::remove(out, ec);
  try {
    decrypt_file(in, out, key);
    return {true, slurp(out), ExitCode::ok};
  } catch (const Error& e) {
    EXPECT_FALSE(fs::exists(out)) << "a failed decryption leaves its output behind";
    return {false, e.what(), e.code()};
  }
}

TEST(BackupKeyFile, ReadsHexBase64AndRawKeysAlike) {
  test::TempDir dir;
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const BackupKey from_hex = BackupKey::from_file(key_file(dir.path(), "  " + hex + "\n"));
  std::string raw;
  for (int i = 0; i < 32; ++i) raw += static_cast<char>(i);
  EXPECT_EQ(from_hex.id(), BackupKey::from_file(key_file(dir.path(), raw)).id());
  EXPECT_EQ(from_hex.id(),
            BackupKey::from_file(key_file(dir.path(), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")).id());
  EXPECT_EQ(from_hex.id(), test_key(0).id());
  EXPECT_EQ(from_hex.id().size(), 16U);
  EXPECT_NE(from_hex.id(), test_key(1).id());
  EXPECT_EQ(from_hex.path(), dir.path() / "key");
}

TEST(BackupKeyFile, RefusesShortOpenOrMissingKeysNamingTheFix) {
  test::TempDir dir;
  auto refused = [&](const fs::path& p) -> std::string {
    try {
      (void)BackupKey::from_file(p);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      return std::string(e.what()) + " | " + e.hint();
    }
    return "accepted";
  };
  EXPECT_NE(refused(key_file(dir.path(), "abcd\n")).find("holds no 256-bit key"), std::string::npos);
  EXPECT_NE(refused(key_file(dir.path(), std::string(63, 'a') + "g")).find("holds no 256-bit key"), std::string::npos);
  const std::string open = refused(key_file(dir.path(), std::string(64, 'a'), 0644));
  EXPECT_NE(open.find("can be read by others (mode 0644)"), std::string::npos) << open;
  EXPECT_NE(open.find("chmod 600"), std::string::npos) << open;
  EXPECT_NE(refused(key_file(dir.path(), std::string(64, 'a'), 0640)).find("can be read by others (mode 0640)"),
            std::string::npos)
      << "a key its group can read was used";
  EXPECT_EQ(refused(key_file(dir.path(), std::string(64, 'a'), 0400)), "accepted");
  EXPECT_NE(refused(dir.path() / "nothing").find("cannot read key file"), std::string::npos);
  EXPECT_NE(refused(dir.path()).find("not a regular file"), std::string::npos);
}

TEST(BackupKeyFile, KeygenWritesA0600KeyAndNeverOverwritesOne) {
  test::TempDir dir;
  const fs::path p = dir.path() / "backup.key";
  const BackupKey k = write_new_key(p);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(slurp(p).size(), 65U);
  EXPECT_EQ(BackupKey::from_file(p).id(), k.id());
  const std::string before = slurp(p);
  try {
    (void)write_new_key(p);
    ADD_FAILURE() << "an existing key file was overwritten";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
  }
  EXPECT_EQ(slurp(p), before);
  EXPECT_NE(write_new_key(dir.path() / "second.key").id(), k.id()) << "two new keys are the same";
}

TEST(BackupKeyFile, AKeyInsideTheBackupFolderIsRefused) {
  test::TempDir dir;
  fs::create_directories(dir.path() / "backups" / "shop");
  const BackupKey inside = write_new_key(dir.path() / "backups" / "shop" / "k");
  EXPECT_THROW(refuse_key_inside(inside, dir.path() / "backups"), Error);
  EXPECT_THROW(refuse_key_inside(inside, dir.path() / "backups" / "shop"), Error);
  const BackupKey outside = write_new_key(dir.path() / "k");
  EXPECT_NO_THROW(refuse_key_inside(outside, dir.path() / "backups"));
  // A sibling whose name starts the same is not inside.
  fs::create_directories(dir.path() / "backups-keys");
  EXPECT_NO_THROW(refuse_key_inside(write_new_key(dir.path() / "backups-keys" / "k"), dir.path() / "backups"));
}

TEST(BackupEncryption, RoundTripsAtEveryChunkBoundary) {
  test::TempDir dir;
  const BackupKey key = test_key(7);
  for (const size_t n : {size_t{0}, size_t{1}, k_chunk - 1, k_chunk, k_chunk + 1, 3 * k_chunk + 5}) {
    const std::string plain = random_bytes(n, static_cast<unsigned>(n));
    const std::string sealed = encrypt(key, plain);
    const size_t chunks = n == 0 ? 1 : (n + k_chunk - 1) / k_chunk;
    EXPECT_EQ(sealed.size(), k_header + n + 16 * chunks) << n;
    const Opened o = open_sealed(dir.path(), sealed, key);
    ASSERT_TRUE(o.ok) << n << ": " << o.text;
    EXPECT_EQ(o.text, plain) << n;
  }
}

TEST(BackupEncryption, TheSameBytesEncryptDifferentlyEachTimeAndShowNoPlaintext) {
  const BackupKey key = test_key(7);
  const std::string plain(100000, 'A');
  const std::string a = encrypt(key, plain);
  const std::string b = encrypt(key, plain);
  EXPECT_NE(a.substr(k_header), b.substr(k_header)) << "no fresh salt per file";
  EXPECT_EQ(a.find(std::string(64, 'A')), std::string::npos);
}

TEST(BackupEncryption, ASecondReaderOfTheFormatDecryptsIt) {
  // Python's cryptography package, following only the format description in crypt.hpp.
  test::TempDir dir;
  const fs::path key_path = dir.path() / "k";
  const BackupKey key = write_new_key(key_path);
  const std::string plain = random_bytes(2 * k_chunk + 12345, 3);
  spit(dir.path() / "in.enc", encrypt(key, plain));
  const std::string cmd = std::string("/usr/bin/python3 ") + SUPACTL_SOURCE_DIR + "/tests/support/decrypt_backup.py " +
                          key_path.string() + " " + (dir.path() / "in.enc").string() + " " +
                          (dir.path() / "out").string();
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd;
  EXPECT_EQ(slurp(dir.path() / "out"), plain);
}

TEST(BackupEncryption, AFlippedByteAnywhereIsRefused) {
  test::TempDir dir;
  const BackupKey key = test_key(9);
  const std::string sealed = encrypt(key, random_bytes(2 * k_chunk + 100, 5));
  // The header's fields, the salt, the key id, the first chunk, its tag, the last chunk.
  for (const size_t at : {size_t{0}, size_t{9}, size_t{10}, size_t{20}, size_t{47}, k_header, k_header + 500,
                          k_header + k_chunk + 3, k_header + 2 * (k_chunk + 16) + 50, sealed.size() - 1}) {
    std::string bad = sealed;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    const Opened o = open_sealed(dir.path(), bad, key);
    EXPECT_FALSE(o.ok) << "byte " << at << " flipped and accepted";
    EXPECT_EQ(o.code, ExitCode::usage) << at;
    EXPECT_NE(o.text.find("nothing was changed"), std::string::npos) << o.text;
  }
}

TEST(BackupEncryption, TruncatedExtendedReorderedOrOtherKeyIsRefused) {
  test::TempDir dir;
  const BackupKey key = test_key(9);
  const std::string sealed = encrypt(key, random_bytes(2 * k_chunk + 100, 5));
  const size_t record = k_chunk + 16;
  // Cut at a chunk boundary (the earlier chunk then claims to be last), inside one, in the header.
  for (const size_t keep : {k_header + record, k_header + 2 * record, k_header + 1000, size_t{30}}) {
    EXPECT_FALSE(open_sealed(dir.path(), sealed.substr(0, keep), key).ok) << "truncated to " << keep;
  }
  EXPECT_FALSE(open_sealed(dir.path(), sealed + std::string(16, '\0'), key).ok) << "a tail was appended";
  EXPECT_FALSE(open_sealed(dir.path(), sealed + sealed.substr(k_header, record), key).ok) << "a chunk repeated";
  const std::string swapped = sealed.substr(0, k_header) + sealed.substr(k_header + record, record) +
                              sealed.substr(k_header, record) + sealed.substr(k_header + 2 * record);
  EXPECT_FALSE(open_sealed(dir.path(), swapped, key).ok) << "two chunks swapped";
  const Opened other = open_sealed(dir.path(), sealed, test_key(10));
  EXPECT_FALSE(other.ok);
  EXPECT_NE(other.text.find("was encrypted with another key"), std::string::npos) << other.text;
}

TEST(BackupEncryption, AnEncryptedArchiveOpensOnlyWithItsKeyAndDamageStopsBeforeExtraction) {
  test::TempDir dir;
  const BackupKey key = test_key(11);
  TempDir staging(dir.path(), ".stage-");
  ArchiveBuilder b(staging.path());
  b.add_bytes("db/roles.sql", "CREATE ROLE x;\n");
  b.add_bytes("db/00-postgres.dump", random_bytes(3 * k_chunk, 8));
  b.add_bytes("instance/instance.yaml", "name: shop\n");
  const fs::path out = dir.path() / "shop-20261130T100000Z.tar.gz.enc";
  Manifest manifest;
  manifest.instance = "shop";
  b.write(out, manifest.to_json(), 0600, &key);
  EXPECT_TRUE(is_encrypted(out));
  EXPECT_EQ(encrypted_key_id(out).value_or(""), key.id());
  EXPECT_EQ(slurp(out).find("CREATE ROLE"), std::string::npos) << "plaintext in the encrypted archive";
  EXPECT_EQ(list_backups(dir.path(), "shop").size(), 1U);

  {
    TempDir scratch(dir.path(), ".open-");
    EXPECT_THROW((void)verify_archive(out, scratch.path()), Error) << "the plain reader took an encrypted file";
  }
  {
    TempDir scratch(dir.path(), ".open-");
    try {
      (void)open_backup(out, scratch.path(), std::nullopt);
      ADD_FAILURE() << "opened without a key";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is encrypted"), std::string::npos) << e.what();
      EXPECT_NE(e.hint().find("--key-file"), std::string::npos);
    }
  }
  {
    TempDir scratch(dir.path(), ".open-");
    const Extracted ex = open_backup(out, scratch.path(), key);
    EXPECT_EQ(slurp(ex.member("db/roles.sql")), "CREATE ROLE x;\n");
    EXPECT_EQ(slurp(ex.member("instance/instance.yaml")), "name: shop\n");
    EXPECT_FALSE(fs::exists(scratch.path() / "decrypted.tar.gz")) << "the decrypted copy is left behind";
  }
  // One flipped byte in the middle of the dump: refused, and nothing was extracted.
  std::string bad = slurp(out);
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x80);
  const fs::path bad_path = dir.path() / "bad.tar.gz.enc";
  spit(bad_path, bad);
  TempDir scratch(dir.path(), ".open-");
  EXPECT_THROW((void)open_backup(bad_path, scratch.path(), key), Error);
  EXPECT_TRUE(fs::is_empty(scratch.path())) << "members were extracted from a tampered archive";
}

}  // namespace
}  // namespace supactl::backup
