// SPDX-License-Identifier: Apache-2.0
#pragma once

// Encrypted backups: the archive's bytes in authenticated chunks (AES-256-GCM through OpenSSL
// EVP), keyed from a 256-bit key that lives in a file of the user's choosing, never on argv and
// never beside the backups.
//
// File layout ("supactl-enc/1"), all integers big-endian:
//   header  magic "SPCTLENC" | version 1 | cipher 1 (AES-256-GCM, HKDF-SHA256) | log2 of the
//           chunk size | 0 | salt (32 random bytes) | key id (8 bytes)             = 52 bytes
//   chunks  ciphertext of `chunk size` plaintext bytes (the last one: 0 to chunk size) + tag
// Each file gets its own key, HKDF-SHA256(key, salt, "supactl backup v1"), so chunk i can use
// the nonce 0^32 | i. Every chunk authenticates the header and whether it is the last one, so
// a flipped bit anywhere, a truncated file, an appended tail, swapped or dropped chunks and a
// changed header all fail before a byte of plaintext is used.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace supactl::backup {

/// Environment variable naming the key file when --key-file is not given.
inline constexpr const char* k_key_file_env = "SUPACTL_BACKUP_KEY_FILE";

/// A 256-bit backup key, read from a key file.
class BackupKey {
 public:
  /// Reads `path`: 64 hex digits (what `supactl backup keygen` writes and `openssl rand -hex
  /// 32` prints), 44 characters of base64, or exactly 32 raw bytes; surrounding white space is
  /// ignored. Refuses (supactl::Error, usage) a missing or unreadable file, one that its
  /// group or others may read, and anything that is not 32 bytes of key.
  static BackupKey from_file(const std::filesystem::path& path);
  /// A key made of `bytes` (tests).
  static BackupKey from_bytes(const std::array<unsigned char, 32>& bytes);

  /// 16 hex digits that name this key (derived one-way from it), stored in each file's header
  /// so that a wrong key is told apart from a damaged file.
  std::string id() const;
  const std::array<unsigned char, 32>& bytes() const { return m_bytes; }
  /// Where it was read from (empty for from_bytes).
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::array<unsigned char, 32> m_bytes{};
  std::filesystem::path m_path;
};

/// The key file to use: `flag` when not empty, else $SUPACTL_BACKUP_KEY_FILE when set and not
/// empty, else nullopt.
std::optional<std::filesystem::path> key_file_from(const std::string& flag);

/// Writes a new random key to `path` (0600, never over an existing file: exit 4) and returns it.
BackupKey write_new_key(const std::filesystem::path& path);

/// Refuses (usage) a key file inside `dir` (backups are copied off-site and shared; their key
/// must not travel with them).
void refuse_key_inside(const BackupKey& key, const std::filesystem::path& dir);

/// Whether `file` starts with the encrypted-backup header.
bool is_encrypted(const std::filesystem::path& file);

/// The key id in an encrypted file's header (nullopt when it is not one).
std::optional<std::string> encrypted_key_id(const std::filesystem::path& file);

/// Encrypts a stream: write() the plaintext in any pieces, then finish(). `sink` receives the
/// header and each sealed chunk. Memory stays at one chunk whatever the size.
class Encryptor {
 public:
  Encryptor(const BackupKey& key, std::function<void(std::string_view)> sink);
  ~Encryptor();
  Encryptor(const Encryptor&) = delete;
  Encryptor& operator=(const Encryptor&) = delete;

  void write(std::string_view plaintext);
  /// Seals the last chunk. Nothing may be written after it.
  void finish();

 private:
  void seal(bool last);
  struct State;
  std::unique_ptr<State> m_state;
};

/// Decrypts `in` into `out` (created 0600; it must not exist), checking every chunk. Throws
/// supactl::Error (usage): "backup IN was encrypted with another key" when the key ids differ,
/// "backup IN is corrupt or has been tampered with" when any chunk, the header or the length
/// fails; `out` is removed then. Nothing of `out` may be used unless this returns.
void decrypt_file(const std::filesystem::path& in, const std::filesystem::path& out, const BackupKey& key);

}  // namespace supactl::backup
