// SPDX-License-Identifier: Apache-2.0
#pragma once

// SHA-256 (OpenSSL EVP), incremental or of one buffer, as lower-case hex. Used for compose
// config hashes, docker context folder names and backup member checksums.

#include <memory>
#include <string>
#include <string_view>

namespace supactl::core {

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  /// The hex digest; the object may not be updated afterwards.
  std::string hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace supactl::core
