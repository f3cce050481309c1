// SPDX-License-Identifier: Apache-2.0
//
// `.env`-style files, the format compose reads for interpolation variables and `env_file`:
// KEY=value lines, `export KEY=value`, # comments (whole lines, or after whitespace in an
// unquoted value), single quotes (literal) and double quotes (with \n, \t, \", \\ escapes),
// both of which may span lines. No variable expansion happens here.

#include <supactl/compose/model.hpp>
#include <supactl/core/env_value.hpp>
#include <supactl/core/error.hpp>

#include <fmt/format.h>

namespace supactl::compose {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

class EnvParser {
 public:
  explicit EnvParser(const std::string& content) : m_text(content) {}

  std::map<std::string, std::string> parse() {
    std::map<std::string, std::string> out;
    while (m_at < m_text.size()) {
      skip_blanks();
      if (m_at >= m_text.size()) break;
      if (m_text[m_at] == '\n' || m_text[m_at] == '#') {
        skip_line();
        continue;
      }
      std::string line_start = m_text.substr(m_at, 7);
      if (line_start == "export " || line_start == "export\t") {
        m_at += 7;
        skip_blanks();
      }
      size_t key_start = m_at;
      while (m_at < m_text.size() && m_text[m_at] != '=' && m_text[m_at] != '\n') ++m_at;
      std::string key = trim(m_text.substr(key_start, m_at - key_start));
      if (m_at >= m_text.size() || m_text[m_at] != '=') {
        skip_line();  // a bare KEY names nothing to set
        continue;
      }
      ++m_at;
      skip_blanks();
      out[key] = value();
    }
    return out;
  }

 private:
  void skip_blanks() {
    while (m_at < m_text.size() && is_blank(m_text[m_at])) ++m_at;
  }

  void skip_line() {
    while (m_at < m_text.size() && m_text[m_at] != '\n') ++m_at;
    if (m_at < m_text.size()) ++m_at;
    ++m_line;
  }

  static std::string trim(const std::string& text) {
    size_t first = 0;
    while (first < text.size() && is_blank(text[first])) ++first;
    size_t last = text.size();
    while (last > first && is_blank(text[last - 1])) --last;
    return text.substr(first, last - first);
  }

  std::string value() {
    char quote = m_at < m_text.size() ? m_text[m_at] : '\0';
    if (quote != '\'' && quote != '"') {
      size_t start = m_at;
      while (m_at < m_text.size() && m_text[m_at] != '\n') {
        if (m_text[m_at] == '#' && m_at > start && is_blank(m_text[m_at - 1])) break;
        ++m_at;
      }
      std::string raw = m_text.substr(start, m_at - start);
      skip_line();
      return trim(raw);
    }
    int opened_at = m_line;
    std::string out;
    for (++m_at; m_at < m_text.size() && m_text[m_at] != quote; ++m_at) {
      char c = m_text[m_at];
      if (c == '\n') ++m_line;
      if (quote == '"' && c == '\\' && m_at + 1 < m_text.size()) {
        core::append_env_escape(m_text[++m_at], out);
        continue;
      }
      out += c;
    }
    if (m_at >= m_text.size()) {
      throw Error(fmt::format("env file line {}: unterminated {} quote", opened_at, quote == '"' ? "double" : "single"),
                  ExitCode::usage);
    }
    ++m_at;
    skip_line();  // anything after the closing quote (a comment) is ignored
    return out;
  }

  const std::string& m_text;
  size_t m_at = 0;
  int m_line = 1;
};

}  // namespace

std::map<std::string, std::string> parse_env_file(const std::string& content) {
  EnvParser parser(content);
  return parser.parse();
}

}  // namespace supactl::compose
