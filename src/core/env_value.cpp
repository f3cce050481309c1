// SPDX-License-Identifier: Apache-2.0
#include <supactl/core/env_value.hpp>

#include <string_view>

namespace supactl::core {

namespace {

bool bare(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("_./:@+,=%~-").find(c) != std::string_view::npos;
}

bool control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

}  // namespace

std::string env_quote(const std::string& value) {
  bool plain = true;
  bool literal_ok = true;
  for (char c : value) {
    if (!bare(c)) plain = false;
    if (c == '\'' || control(c)) literal_ok = false;
  }
  if (plain) return value;
  if (literal_ok) return "'" + value + "'";
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '$': out += "\\$"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out += c; break;
    }
  }
  return out + "\"";
}

void append_env_escape(char next, std::string& out) {
  switch (next) {
    case 'n': out += '\n'; break;
    case 't': out += '\t'; break;
    case 'r': out += '\r'; break;
    case '"':
    case '\\':
    case '$': out += next; break;
    default:
      out += '\\';
      out += next;
      break;
  }
}

std::string env_unquote(const std::string& text) {
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') return text.substr(1, text.size() - 2);
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return text;
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 2 < text.size()) {
      append_env_escape(text[++i], out);
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace supactl::core
