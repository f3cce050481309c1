// SPDX-License-Identifier: Apache-2.0
//
// HS256 JSON Web Tokens, as Supabase's legacy API keys are made: base64url parts without
// padding, HMAC-SHA256 from OpenSSL keyed with the JWT secret's raw bytes. Verification is
// here too so `init` can prove what it wrote and tests can check the claims.
#include <supactl/secrets/jwt.hpp>

#include <supactl/core/base64.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace supactl::secrets {

namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  return core::base64_encode(bytes, core::Base64Alphabet::url, /*pad=*/false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return core::base64_decode(text, core::Base64Alphabet::url);
}

std::string sign_hs256(const nlohmann::ordered_json& claims, std::string_view secret) {
  static const std::string k_header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  std::string signing_input = k_header + "." + base64url_encode(claims.dump());
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

std::optional<nlohmann::json> verify_hs256(std::string_view token, std::string_view secret, std::int64_t now) {
  std::size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<std::string> header = base64url_decode(token.substr(0, first));
  std::optional<std::string> payload = base64url_decode(token.substr(first + 1, second - first - 1));
  std::optional<std::string> signature = base64url_decode(token.substr(second + 1));
  if (!header || !payload || !signature) return std::nullopt;

  nlohmann::json h = nlohmann::json::parse(*header, nullptr, false);
  if (!h.is_object() || h.value("alg", "") != "HS256") return std::nullopt;
  std::string expected = hmac_sha256(secret, token.substr(0, second));
  if (expected.size() != signature->size() || CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
    return std::nullopt;
  }
  nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object()) return std::nullopt;
  if (claims.contains("exp")) {
    if (!claims["exp"].is_number() || claims["exp"].get<std::int64_t>() <= now) return std::nullopt;
  }
  return claims;
}

std::string make_api_key(std::string_view role, std::string_view jwt_secret, std::int64_t issued_at) {
  nlohmann::ordered_json claims = {
      {"role", role},
      {"iss", "supabase"},
      {"iat", issued_at},
      {"exp", issued_at + k_api_key_lifetime_s},
  };
  return sign_hs256(claims, jwt_secret);
}

}  // namespace supactl::secrets
