// SPDX-License-Identifier: Apache-2.0
//
// Random values for passwords and keys. Everything comes from OpenSSL's CSPRNG (RAND_bytes);
// nothing here uses std::random_device or rand(), so one audited source feeds every secret.
#include <supactl/secrets/random.hpp>

#include <supactl/core/error.hpp>

#include <openssl/rand.h>

#include <climits>
#include <string_view>

namespace supactl::secrets {

namespace {

constexpr std::string_view k_hex_digits = "0123456789abcdef";
constexpr std::string_view k_alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count == 0) return out;
  if (count > static_cast<std::size_t>(INT_MAX) ||
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw Error("the OpenSSL random generator failed", ExitCode::failure,
                "check that the system entropy source (/dev/urandom) is readable");
  }
  return out;
}

std::string random_hex(std::size_t chars) {
  std::string bytes = random_bytes((chars + 1) / 2);
  std::string out;
  out.reserve(chars);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(k_hex_digits[b >> 4]);
    out.push_back(k_hex_digits[b & 0x0f]);
  }
  out.resize(chars);
  return out;
}

std::string random_alnum(std::size_t chars) {
  // 62 symbols: accept bytes below 248 (= 4 * 62) so every symbol is equally likely.
  constexpr unsigned k_limit = 4 * 62;
  std::string out;
  out.reserve(chars);
  while (out.size() < chars) {
    for (char c : random_bytes(chars - out.size() + 8)) {
      auto b = static_cast<unsigned char>(c);
      if (b >= k_limit) continue;
      out.push_back(k_alnum[b % 62]);
      if (out.size() == chars) break;
    }
  }
  return out;
}

}  // namespace supactl::secrets
