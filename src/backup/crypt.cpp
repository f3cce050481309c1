// SPDX-License-Identifier: Apache-2.0
//
// Encrypted backups (see include/supactl/backup/crypt.hpp): the key file, HKDF, and chunked
// AES-256-GCM over OpenSSL EVP.
#include <supactl/backup/crypt.hpp>

#include <supactl/core/base64.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace supactl::backup {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_magic = "SPCTLENC";
constexpr unsigned char k_version = 1;
constexpr unsigned char k_cipher_aes256gcm_hkdf = 1;
constexpr unsigned char k_chunk_log2 = 20;  // 1 MiB of plaintext per chunk
constexpr size_t k_salt_size = 32;
constexpr size_t k_id_size = 8;
constexpr size_t k_header_size = 8 + 4 + k_salt_size + k_id_size;
constexpr size_t k_tag_size = 16;
constexpr std::string_view k_file_info = "supactl backup v1";
constexpr std::string_view k_id_info = "supactl backup key id";

using Bytes = std::vector<unsigned char>;

/// HKDF-SHA256 (RFC 5869) of `key` with `salt` and `info`, `n` bytes.
Bytes hkdf(const std::array<unsigned char, 32>& key, const unsigned char* salt, size_t salt_size, std::string_view info,
           size_t n) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                  EVP_PKEY_CTX_free);
  Bytes out(n);
  size_t len = n;
  // An empty salt is HKDF's "no salt" (a block of zeros); OpenSSL wants a non-null pointer.
  static const unsigned char k_zero = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt_size > 0 ? salt : &k_zero, static_cast<int>(salt_size)) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), key.data(), static_cast<int>(key.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const unsigned char*>(info.data()),
                                  static_cast<int>(info.size())) <= 0 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) <= 0 || len != n) {
    throw Error("OpenSSL could not derive a key (HKDF-SHA256)");
  }
  return out;
}

std::string hex(const unsigned char* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

std::optional<std::array<unsigned char, 32>> parse_key(std::string text) {
  std::array<unsigned char, 32> key{};
  if (text.size() == 32) {  // raw bytes, taken as they are
    std::memcpy(key.data(), text.data(), 32);
    return key;
  }
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  text.erase(0, start);
  if (text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(c) != 0; })) {
    for (size_t i = 0; i < 32; ++i) key[i] = static_cast<unsigned char>(std::stoi(text.substr(2 * i, 2), nullptr, 16));
    return key;
  }
  if (text.size() == 44) {
    if (std::optional<std::string> raw = core::base64_decode(text, core::Base64Alphabet::standard);
        raw && raw->size() == 32) {
      std::memcpy(key.data(), raw->data(), 32);
      return key;
    }
  }
  return std::nullopt;
}

/// The 12-byte GCM nonce of chunk `index`.
std::array<unsigned char, 12> nonce(uint64_t index) {
  std::array<unsigned char, 12> n{};
  for (int i = 0; i < 8; ++i) n[11 - i] = static_cast<unsigned char>(index >> (8 * i));
  return n;
}

/// Reads `n` bytes into `p`, fewer only at the end of the file; -1 on a read error.
ssize_t read_full(int fd, unsigned char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx) throw Error("OpenSSL could not allocate a cipher context");
  return ctx;
}

}  // namespace

// --- the key ----------------------------------------------------------------------------------

BackupKey BackupKey::from_file(const fs::path& path) {
  const std::string hint = "make one with `supactl backup keygen PATH` (or `openssl rand -hex 32 > PATH`; chmod 600)";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(fmt::format("cannot read key file {}: {}", path.string(), std::strerror(errno)), ExitCode::usage, hint);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(fmt::format("key file {} is not a regular file", path.string()), ExitCode::usage, hint);
  }
  if ((st.st_mode & 077) != 0) {
    throw Error(fmt::format("key file {} can be read by others (mode {:04o})", path.string(), st.st_mode & 07777),
                ExitCode::usage, fmt::format("run `chmod 600 {}`", path.string()));
  }
  std::string text;
  try {
    text = core::read_file(path);
  } catch (const std::exception& e) {
    throw Error(fmt::format("cannot read key file {}: {}", path.string(), e.what()), ExitCode::usage, hint);
  }
  const std::optional<std::array<unsigned char, 32>> bytes = parse_key(std::move(text));
  if (!bytes) {
    throw Error(fmt::format("key file {} holds no 256-bit key (64 hex digits, 44 base64 characters or 32 bytes)",
                            path.string()),
                ExitCode::usage, hint);
  }
  BackupKey k = from_bytes(*bytes);
  k.m_path = fs::absolute(path).lexically_normal();
  return k;
}

BackupKey BackupKey::from_bytes(const std::array<unsigned char, 32>& bytes) {
  BackupKey k;
  k.m_bytes = bytes;
  return k;
}

std::string BackupKey::id() const {
  const Bytes id = hkdf(m_bytes, nullptr, 0, k_id_info, k_id_size);
  return hex(id.data(), id.size());
}

std::optional<fs::path> key_file_from(const std::string& flag) {
  if (!flag.empty()) return fs::path(flag);
  const std::string env = core::env_or(k_key_file_env);
  if (!env.empty()) return fs::path(env);
  return std::nullopt;
}

BackupKey write_new_key(const fs::path& path) {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw Error("OpenSSL could not make random bytes");
  const core::UniqueFd fd = core::open_fd(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!fd) {
    if (errno == EEXIST) {
      throw Error(fmt::format("{} exists already; a key is never overwritten", path.string()), ExitCode::conflict,
                  "choose another path (backups made with the old key need the old key)");
    }
    throw Error(fmt::format("cannot create key file {}: {}", path.string(), std::strerror(errno)), ExitCode::usage);
  }
  if (!core::write_all(fd.get(), hex(bytes.data(), bytes.size()) + "\n") || ::fsync(fd.get()) != 0) {
    throw Error(fmt::format("writing key file {}: {}", path.string(), std::strerror(errno)));
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return BackupKey::from_file(path);  // reads back what was written
}

void refuse_key_inside(const BackupKey& key, const fs::path& dir) {
  if (key.path().empty()) return;
  std::error_code ec;
  const fs::path k = fs::weakly_canonical(key.path(), ec);
  const fs::path d = fs::weakly_canonical(dir, ec);
  if (ec || d.empty()) return;
  auto [d_end, k_it] = std::mismatch(d.begin(), d.end(), k.begin(), k.end());
  if (d_end == d.end()) {
    throw Error(
        fmt::format("key file {} is inside {}, where the backups it opens are kept", key.path().string(), dir.string()),
        ExitCode::usage,
        "keep the key elsewhere (another disk, a secrets store): whoever gets the backups must not get the key");
  }
}

bool is_encrypted(const fs::path& file) { return encrypted_key_id(file).has_value(); }

std::optional<std::string> encrypted_key_id(const fs::path& file) {
  const core::UniqueFd fd = core::open_fd(file.c_str(), O_RDONLY);
  if (!fd) return std::nullopt;
  std::array<unsigned char, k_header_size> h{};
  if (read_full(fd.get(), h.data(), h.size()) != static_cast<ssize_t>(h.size()) ||
      std::memcmp(h.data(), k_magic.data(), k_magic.size()) != 0) {
    return std::nullopt;
  }
  return hex(h.data() + 12 + k_salt_size, k_id_size);
}

// --- encrypting -------------------------------------------------------------------------------

struct Encryptor::State {
  std::function<void(std::string_view)> sink;
  Bytes file_key;
  std::array<unsigned char, k_header_size> header{};
  std::string pending;  // plaintext not sealed yet
  std::string sealed;
  uint64_t index = 0;
  bool finished = false;
};

Encryptor::Encryptor(const BackupKey& key, std::function<void(std::string_view)> sink)
    : m_state(std::make_unique<State>()) {
  State& s = *m_state;
  s.sink = std::move(sink);
  unsigned char* h = s.header.data();
  std::memcpy(h, k_magic.data(), k_magic.size());
  h[8] = k_version;
  h[9] = k_cipher_aes256gcm_hkdf;
  h[10] = k_chunk_log2;
  h[11] = 0;
  if (RAND_bytes(h + 12, static_cast<int>(k_salt_size)) != 1) throw Error("OpenSSL could not make random bytes");
  const Bytes id = hkdf(key.bytes(), nullptr, 0, k_id_info, k_id_size);
  std::memcpy(h + 12 + k_salt_size, id.data(), k_id_size);
  s.file_key = hkdf(key.bytes(), h + 12, k_salt_size, k_file_info, 32);
  s.sink(std::string_view(reinterpret_cast<const char*>(h), k_header_size));
}

Encryptor::~Encryptor() { OPENSSL_cleanse(m_state->file_key.data(), m_state->file_key.size()); }

void Encryptor::write(std::string_view plaintext) {
  State& s = *m_state;
  if (s.finished) throw Error("internal: write after finish on an encrypted backup");
  const size_t chunk = size_t{1} << k_chunk_log2;
  s.pending.append(plaintext);
  // A chunk is sealed as "not the last" only once more bytes follow it.
  while (s.pending.size() > chunk) seal(false);
}

void Encryptor::finish() {
  if (m_state->finished) return;
  seal(true);
  m_state->finished = true;
}

void Encryptor::seal(bool last) {
  State& s = *m_state;
  const size_t chunk = size_t{1} << k_chunk_log2;
  const size_t n = std::min(chunk, s.pending.size());
  const std::array<unsigned char, 12> iv = nonce(s.index);
  const unsigned char flag = last ? 1 : 0;
  CipherCtx ctx = new_ctx();
  int len = 0;
  s.sealed.resize(n + k_tag_size);
  auto* out = reinterpret_cast<unsigned char*>(s.sealed.data());
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, s.file_key.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, s.header.data(), static_cast<int>(s.header.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, &flag, 1) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, reinterpret_cast<const unsigned char*>(s.pending.data()),
                        static_cast<int>(n)) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size), out + n) != 1) {
    throw Error("OpenSSL could not encrypt a backup chunk (AES-256-GCM)");
  }
  s.sink(s.sealed);
  s.pending.erase(0, n);
  ++s.index;
}

// --- decrypting -------------------------------------------------------------------------------

void decrypt_file(const fs::path& in, const fs::path& out, const BackupKey& key) {
  auto tampered = [&](const std::string& why) {
    return Error(
        fmt::format("backup {} is corrupt or has been tampered with ({}); nothing was changed", in.string(), why),
        ExitCode::usage, "use another copy of it, or another backup (`supactl backup ls NAME` lists them)");
  };
  const core::UniqueFd fd = core::open_fd(in.c_str(), O_RDONLY);
  if (!fd) {
    throw Error(fmt::format("cannot read backup {}: {}", in.string(), std::strerror(errno)), ExitCode::not_found);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error(fmt::format("cannot read backup {}", in.string()));
  auto read_exact = [&](unsigned char* p, size_t n) {
    const ssize_t got = read_full(fd.get(), p, n);
    if (got < 0) throw Error(fmt::format("reading backup {}: {}", in.string(), std::strerror(errno)));
    if (got != static_cast<ssize_t>(n)) throw tampered("it ends early");
  };

  std::array<unsigned char, k_header_size> header{};
  if (static_cast<uint64_t>(st.st_size) < k_header_size + k_tag_size) throw tampered("too short");
  read_exact(header.data(), header.size());
  if (std::memcmp(header.data(), k_magic.data(), k_magic.size()) != 0) throw tampered("no encryption header");
  if (header[8] != k_version || header[9] != k_cipher_aes256gcm_hkdf || header[10] < 12 || header[10] > 26 ||
      header[11] != 0) {
    throw tampered(fmt::format("unknown format version {}.{}", header[8], header[9]));
  }
  const std::string file_id = hex(header.data() + 12 + k_salt_size, k_id_size);
  if (file_id != key.id()) {
    throw Error(fmt::format("backup {} was encrypted with another key (key id {}; key file {} has id {}); nothing "
                            "was changed",
                            in.string(), file_id, key.path().string(), key.id()),
                ExitCode::usage, "pass the key file it was made with: --key-file PATH");
  }
  Bytes file_key = hkdf(key.bytes(), header.data() + 12, k_salt_size, k_file_info, 32);
  const size_t chunk = size_t{1} << header[10];

  const core::UniqueFd out_fd = core::open_fd(out.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!out_fd) throw Error(fmt::format("cannot create {}: {}", out.string(), std::strerror(errno)));
  core::ScopeExit remove_out([&] {
    std::error_code ec;
    fs::remove(out, ec);
    OPENSSL_cleanse(file_key.data(), file_key.size());
  });

  uint64_t remaining = static_cast<uint64_t>(st.st_size) - k_header_size;
  Bytes record(chunk + k_tag_size);
  std::string plain(chunk, '\0');
  bool last = false;
  for (uint64_t index = 0; !last; ++index) {
    // Every chunk but the last is full; the last is whatever remains (at least a tag).
    last = remaining <= chunk + k_tag_size;
    const size_t n = last ? static_cast<size_t>(remaining) : chunk + k_tag_size;
    if (n < k_tag_size) throw tampered("it ends inside a chunk");
    read_exact(record.data(), n);
    remaining -= n;
    const size_t text = n - k_tag_size;
    const std::array<unsigned char, 12> iv = nonce(index);
    const unsigned char last_flag = last ? 1 : 0;
    CipherCtx ctx = new_ctx();
    int len = 0;
    auto* p = reinterpret_cast<unsigned char*>(plain.data());
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, file_key.data(), iv.data()) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, header.data(), static_cast<int>(header.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, &last_flag, 1) != 1 ||
        EVP_DecryptUpdate(ctx.get(), p, &len, record.data(), static_cast<int>(text)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size), record.data() + text) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), p + len, &len) != 1) {
      throw tampered(fmt::format("chunk {} fails its authentication", index));
    }
    if (!core::write_all(out_fd.get(), std::string_view(plain.data(), text))) {
      throw Error(fmt::format("writing {}: {}", out.string(), std::strerror(errno)));
    }
  }
  if (::fsync(out_fd.get()) != 0) throw Error(fmt::format("writing {}: {}", out.string(), std::strerror(errno)));
  OPENSSL_cleanse(file_key.data(), file_key.size());
  remove_out.dismiss();
}

}  // namespace supactl::backup
