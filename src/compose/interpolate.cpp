// SPDX-License-Identifier: Apache-2.0
//
// Variable interpolation, applied to every scalar of a compose file before anything is typed
// (so `ports: ["${PORT:-8000}:8000"]` is parsed after expansion, as compose does). Only the
// variables handed in are consulted, never the process environment. Defaults and alternatives
// are expanded lazily, so `${A:-${B:?B is required}}` only fails when A is unset or empty.

#include "compose/interpolate.hpp"

#include <fmt/format.h>

#include <cctype>

namespace supactl::compose::detail {
namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

/// Index of the `}` closing the `${` whose body starts at `from`, honouring nesting and `$$`.
size_t closing_brace(const std::string& text, size_t from) {
  int depth = 1;
  for (size_t i = from; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      ++i;
    } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  throw InterpolationError(fmt::format("invalid interpolation format in \"{}\": missing `}}`", text));
}

class Expander {
 public:
  Expander(const Variables& variables, std::set<std::string>& unset) : m_variables(variables), m_unset(unset) {}

  std::string expand(const std::string& text) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
      if (text[i] != '$') {
        out += text[i++];
        continue;
      }
      char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next == '$') {
        out += '$';
        i += 2;
      } else if (next == '{') {
        size_t end = closing_brace(text, i + 2);
        out += braced(text, text.substr(i + 2, end - i - 2));
        i = end + 1;
      } else if (is_name_start(next)) {
        size_t end = i + 1;
        while (end < text.size() && is_name_char(text[end])) ++end;
        out += plain(text.substr(i + 1, end - i - 1));
        i = end;
      } else {
        throw InterpolationError(
            fmt::format("invalid interpolation format in \"{}\": a lone `$` (write `$$` for a literal `$`)", text));
      }
    }
    return out;
  }

 private:
  const std::string* lookup(const std::string& name) const {
    auto it = m_variables.find(name);
    return it == m_variables.end() ? nullptr : &it->second;
  }

  std::string plain(const std::string& name) {
    if (const std::string* value = lookup(name)) return *value;
    m_unset.insert(name);
    return {};
  }

  /// The body of `${...}`: a name, optionally followed by an operator and a word.
  std::string braced(const std::string& text, const std::string& body) {
    size_t n = 0;
    while (n < body.size() && is_name_char(body[n])) ++n;
    std::string name = body.substr(0, n);
    if (name.empty() || !is_name_start(name.front())) {
      throw InterpolationError(
          fmt::format("invalid interpolation format in \"{}\": bad variable name in `${{{}}}`", text, body));
    }
    if (n == body.size()) return plain(name);

    bool colon = body[n] == ':';
    size_t op_at = colon ? n + 1 : n;
    char op = op_at < body.size() ? body[op_at] : '\0';
    if (op != '-' && op != '?' && op != '+') {
      throw InterpolationError(
          fmt::format("invalid interpolation format in \"{}\": unknown operator in `${{{}}}`", text, body));
    }
    std::string word = body.substr(op_at + 1);
    const std::string* value = lookup(name);
    // With a colon, an empty value counts as unset.
    bool set = value != nullptr && (!colon || !value->empty());
    switch (op) {
      case '-': return set ? *value : expand(word);
      case '+': return set ? expand(word) : std::string{};
      default:
        if (set) return *value;
        throw InterpolationError(fmt::format("required variable {} is missing a value{}", name,
                                             word.empty() ? std::string{} : ": " + expand(word)));
    }
  }

  const Variables& m_variables;
  std::set<std::string>& m_unset;
};

void walk(Node& node, const Variables& variables, Diagnostics& diagnostics, std::set<std::string>& unset) {
  if (node.is_scalar()) {
    try {
      node.scalar = interpolate(node.scalar, variables, unset);
    } catch (const InterpolationError& e) {
      diagnostics.error(node.where, e.what());
    }
    return;
  }
  for (Node& item : node.items) walk(item, variables, diagnostics, unset);
}

}  // namespace

std::string interpolate(const std::string& text, const Variables& variables, std::set<std::string>& unset) {
  if (text.find('$') == std::string::npos) return text;
  Expander expander(variables, unset);
  return expander.expand(text);
}

void interpolate_tree(Node& node, const Variables& variables, Diagnostics& diagnostics) {
  std::set<std::string> unset;
  walk(node, variables, diagnostics, unset);
  for (const std::string& name : unset) {
    diagnostics.warning(fmt::format("the \"{}\" variable is not set; defaulting to a blank string", name));
  }
}

}  // namespace supactl::compose::detail
