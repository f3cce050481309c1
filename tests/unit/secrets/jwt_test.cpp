// SPDX-License-Identifier: Apache-2.0
// HS256 API keys: the signature is checked here with OpenSSL's HMAC directly (not through
// supactl's verifier), the claims are the ones every Supabase service expects, and the
// verifier rejects tampering, other secrets and expiry.
#include <supactl/secrets/jwt.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace supactl::secrets {
namespace {

std::vector<std::string> split_token(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot = token.find('.'); dot != std::string::npos; dot = token.find('.', start)) {
    parts.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(token.substr(start));
  return parts;
}

std::string openssl_hmac(const std::string& key, const std::string& data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

/// Independent base64url decoding through OpenSSL's EVP decoder.
std::string openssl_b64url_decode(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text.push_back('=');
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  EXPECT_GE(n, 0);
  std::size_t padding = static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '='));
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

constexpr std::int64_t k_now = 1767225600;  // 2026-01-01T00:00:00Z
const std::string k_secret = "a-test-jwt-secret-that-is-long-enough-40ch";

TEST(Jwt, ApiKeySignatureVerifiesWithOpenSslHmacOverRawSecretBytes) {
  std::string token = make_api_key("anon", k_secret, k_now);
  std::vector<std::string> parts = split_token(token);
  ASSERT_EQ(parts.size(), 3u);
  for (const std::string& p : parts) {
    EXPECT_EQ(p.find_first_of("+/="), std::string::npos) << "not base64url without padding: " << p;
  }
  std::string expected = openssl_hmac(k_secret, parts[0] + "." + parts[1]);
  EXPECT_EQ(openssl_b64url_decode(parts[2]), expected);
}

TEST(Jwt, ApiKeyCarriesHeaderAndClaimsSupabaseExpects) {
  std::string token = make_api_key("service_role", k_secret, k_now);
  std::vector<std::string> parts = split_token(token);
  nlohmann::json header = nlohmann::json::parse(openssl_b64url_decode(parts[0]));
  EXPECT_EQ(header, nlohmann::json::parse(R"({"alg":"HS256","typ":"JWT"})"));
  nlohmann::json claims = nlohmann::json::parse(openssl_b64url_decode(parts[1]));
  EXPECT_EQ(claims["role"], "service_role");
  EXPECT_EQ(claims["iss"], "supabase");
  EXPECT_EQ(claims["iat"], k_now);
  EXPECT_EQ(claims["exp"], k_now + 5LL * 365 * 24 * 3600);
  EXPECT_EQ(claims.size(), 4u);
}

TEST(Jwt, VerifyAcceptsOwnTokenAndReturnsClaims) {
  std::optional<nlohmann::json> claims = verify_hs256(make_api_key("anon", k_secret, k_now), k_secret, k_now + 10);
  ASSERT_TRUE(claims);
  EXPECT_EQ((*claims)["role"], "anon");
}

TEST(Jwt, VerifyRejectsOtherSecretTamperingMalformedAndExpired) {
  std::string token = make_api_key("anon", k_secret, k_now);
  EXPECT_FALSE(verify_hs256(token, k_secret + "x", k_now));
  std::string tampered = token;
  std::vector<std::string> parts = split_token(token);
  std::string forged_claims = base64url_encode(R"({"role":"service_role","iss":"supabase"})");
  tampered = parts[0] + "." + forged_claims + "." + parts[2];
  EXPECT_FALSE(verify_hs256(tampered, k_secret, k_now));
  EXPECT_FALSE(verify_hs256("not-a-token", k_secret, k_now));
  EXPECT_FALSE(verify_hs256(parts[0] + "." + parts[1], k_secret, k_now));
  EXPECT_FALSE(verify_hs256(token, k_secret, k_now + k_api_key_lifetime_s));
}

TEST(Jwt, VerifyRejectsATokenWhoseHeaderNamesAnotherAlgorithm) {
  const std::string claims = base64url_encode(R"({"role":"service_role","iss":"supabase"})");
  for (const char* header : {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"none","typ":"JWT"})", R"({"typ":"JWT"})"}) {
    const std::string input = base64url_encode(header) + "." + claims;
    // A valid HS256 signature over the input, made with OpenSSL directly.
    const std::string token = input + "." + base64url_encode(openssl_hmac(k_secret, input));
    EXPECT_FALSE(verify_hs256(token, k_secret, k_now)) << header;
  }
  const std::string input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + claims;
  EXPECT_TRUE(verify_hs256(input + "." + base64url_encode(openssl_hmac(k_secret, input)), k_secret, k_now));
}

TEST(Jwt, Base64UrlRoundTripsEveryLengthAndRejectsForeignCharacters) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    bytes.push_back(static_cast<char>(i * 37 + 250));
    std::string encoded = base64url_encode(bytes);
    EXPECT_EQ(base64url_decode(encoded), bytes);
    EXPECT_EQ(openssl_b64url_decode(encoded), bytes);
  }
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_FALSE(base64url_decode("a"));
}

}  // namespace
}  // namespace supactl::secrets
