// SPDX-License-Identifier: Apache-2.0
#include <supactl/core/base64.hpp>

namespace supactl::core {

namespace {

constexpr std::string_view k_standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view k_url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string_view alphabet_of(Base64Alphabet a) { return a == Base64Alphabet::url ? k_url : k_standard; }

}  // namespace

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet, bool pad) {
  const std::string_view chars = alphabet_of(alphabet);
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(chars[v >> 18 & 63]);
    out.push_back(chars[v >> 12 & 63]);
    out.push_back(chars[v >> 6 & 63]);
    out.push_back(chars[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out.push_back(chars[v >> 18 & 63]);
    out.push_back(chars[v >> 12 & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(chars[v >> 18 & 63]);
    out.push_back(chars[v >> 12 & 63]);
    out.push_back(chars[v >> 6 & 63]);
    if (pad) out += "=";
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet) {
  const std::string_view chars = alphabet_of(alphabet);
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const std::size_t v = chars.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    buffer = buffer << 6 | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>(buffer >> bits & 0xff));
    }
  }
  return out;
}

}  // namespace supactl::core
