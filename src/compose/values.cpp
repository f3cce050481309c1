// SPDX-License-Identifier: Apache-2.0
//
// Scalar syntaxes of the compose format. Each parser accepts what docker compose accepts for
// the subset supactl's templates use and rejects the rest with a message naming the value,
// so a typo in a port or a duration is an error at its line rather than a surprise at run time.

#include "compose/values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace supactl::compose::detail {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// Reads a decimal number (digits, optional fraction) at `i`; advances `i`.
double read_number(const std::string& text, size_t& i) {
  size_t start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) ++i;
  std::string digits = text.substr(start, i - start);
  if (digits.empty() || digits == "." || std::count(digits.begin(), digits.end(), '.') > 1) {
    throw ValueError(fmt::format("`{}` is not a number", text));
  }
  return std::stod(digits);
}

std::vector<docker::PortBinding> bindings(const std::vector<uint16_t>& container, const std::vector<uint16_t>& host,
                                          const std::string& host_ip, const std::string& protocol) {
  std::vector<docker::PortBinding> out;
  for (size_t i = 0; i < container.size(); ++i) {
    out.push_back(docker::PortBinding{.container_port = container[i],
                                      .protocol = protocol,
                                      .host_ip = host_ip,
                                      .host_port = host.empty() ? uint16_t{0} : host[i]});
  }
  return out;
}

std::string split_protocol(std::string& spec) {
  size_t slash = spec.rfind('/');
  if (slash == std::string::npos) return "tcp";
  std::string protocol = lower(spec.substr(slash + 1));
  spec.resize(slash);
  if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
    throw ValueError(fmt::format("unknown port protocol `{}` (tcp, udp or sctp)", protocol));
  }
  return protocol;
}

}  // namespace

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::vector<std::string> shell_split(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) throw ValueError(fmt::format("trailing backslash in `{}`", text));
      if (text[i + 1] != '\n') word += text[i + 1];
      in_word = true;
      ++i;
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) throw ValueError(fmt::format("unterminated single quote in `{}`", text));
      word += text.substr(i + 1, end - i - 1);
      in_word = true;
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        // Inside double quotes a backslash escapes only $ ` " \ and newline.
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("$`\"\\\n").find(text[j + 1]) != std::string_view::npos) {
          ++j;
        }
        word += text[j];
      }
      if (j >= text.size()) throw ValueError(fmt::format("unterminated double quote in `{}`", text));
      in_word = true;
      i = j;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

int64_t parse_duration_ns(const std::string& text) {
  if (text == "0") return 0;
  if (text.empty()) throw ValueError("empty duration");
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    double number = read_number(text, i);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      throw ValueError(fmt::format("`{}` is not a duration (like 5s, 1m30s, 500ms)", text));
    total += number * scale;
  }
  return static_cast<int64_t>(std::llround(total));
}

int64_t parse_bytes(const std::string& text) {
  size_t i = 0;
  std::string trimmed = lower(text);
  double number = read_number(trimmed, i);
  std::string unit = trimmed.substr(i);
  if (unit == "b") {
    unit.clear();
  } else if (unit.size() == 2 && unit.back() == 'b') {
    unit.pop_back();
  }
  double scale = 0;
  if (unit.empty())
    scale = 1;
  else if (unit == "k")
    scale = 1024.0;
  else if (unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else
    throw ValueError(fmt::format("`{}` is not a byte size (like 512m or 1g)", text));
  return static_cast<int64_t>(std::llround(number * scale));
}

double parse_decimal(const std::string& text) {
  size_t i = 0;
  double value = read_number(text, i);
  if (i != text.size()) throw ValueError(fmt::format("`{}` is not a number", text));
  return value;
}

bool parse_bool(const std::string& text) {
  std::string value = lower(text);
  if (value == "true" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "no" || value == "off") return false;
  throw ValueError(fmt::format("`{}` is not a boolean (true or false)", text));
}

int64_t parse_int(const std::string& text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw ValueError(fmt::format("`{}` is not a whole number", text));
  }
  if (value < min || value > max) throw ValueError(fmt::format("{} is out of range ({}..{})", value, min, max));
  return value;
}

std::vector<uint16_t> parse_port_range(const std::string& text, bool allow_zero) {
  size_t dash = text.find('-');
  std::string first_text = text.substr(0, dash);
  std::string last_text = dash == std::string::npos ? first_text : text.substr(dash + 1);
  if (!all_digits(first_text) || !all_digits(last_text)) throw ValueError(fmt::format("`{}` is not a port", text));
  int64_t min = allow_zero ? 0 : 1;
  int64_t first = 0;
  int64_t last = 0;
  try {
    first = parse_int(first_text, min, 65535);
    last = parse_int(last_text, min, 65535);
  } catch (const ValueError&) {
    throw ValueError(fmt::format("port `{}` is out of range (1..65535)", text));
  }
  if (last < first) throw ValueError(fmt::format("port range `{}` ends before it starts", text));
  std::vector<uint16_t> ports;
  for (int64_t p = first; p <= last; ++p) ports.push_back(static_cast<uint16_t>(p));
  return ports;
}

std::vector<docker::PortBinding> parse_port_short(const std::string& text) {
  std::string spec = text;
  std::string protocol = split_protocol(spec);
  std::string host_ip;
  if (!spec.empty() && spec.front() == '[') {
    size_t close = spec.find(']');
    if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      throw ValueError(fmt::format("`{}` is not a port mapping", text));
    }
    host_ip = spec.substr(1, close - 1);
    spec = spec.substr(close + 2);
  }
  std::vector<std::string> parts = split(spec, ':');
  if (parts.size() == 3 && host_ip.empty()) {
    host_ip = parts.front();
    parts.erase(parts.begin());
  }
  if (parts.size() > 2 || (parts.size() == 2 && parts[1].empty())) {
    throw ValueError(fmt::format("`{}` is not a port mapping ([host_ip:][host_port:]container_port[/protocol])", text));
  }
  std::vector<uint16_t> container = parse_port_range(parts.back());
  std::vector<uint16_t> host;
  if (parts.size() == 2 && !parts.front().empty()) host = parse_port_range(parts.front());
  if (!host.empty() && host.size() != container.size()) {
    throw ValueError(fmt::format("port mapping `{}` has ranges of different sizes", text));
  }
  return bindings(container, host, host_ip, protocol);
}

std::vector<docker::PortBinding> parse_port_long(const std::string& target, const std::string& published,
                                                 const std::string& host_ip, const std::string& protocol) {
  std::string spec = target + "/" + protocol;
  std::string checked_protocol = split_protocol(spec);
  std::vector<uint16_t> container = parse_port_range(target);
  std::vector<uint16_t> host = published.empty() ? std::vector<uint16_t>{} : parse_port_range(published);
  if (!host.empty() && host.size() != container.size()) {
    throw ValueError(fmt::format("published `{}` and target `{}` are ranges of different sizes", published, target));
  }
  return bindings(container, host, host_ip, checked_protocol);
}

std::vector<docker::PortBinding> parse_expose(const std::string& text) {
  std::string spec = text;
  std::string protocol = split_protocol(spec);
  return bindings(parse_port_range(spec), {}, "", protocol);
}

}  // namespace supactl::compose::detail
