// SPDX-License-Identifier: Apache-2.0
//
// `config get` / `config set` on instance.yaml. A key is checked against spec_key_paths()
// (where `<service>` and `<provider>` stand for any name, which parse_spec then checks); a
// get reads the canonical text of the parsed spec (format_spec: every field, defaults
// included); a set edits the YAML tree of the file as it is, then hands the result to
// parse_spec, so every rule of the loader (types, ranges, consistent services) applies.
#include <supactl/config/edit.hpp>

#include <supactl/core/error.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <regex>
#include <sstream>

namespace supactl::config {

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    out.push_back(key.substr(start, dot - start));
  }
  out.push_back(key.substr(start));
  return out;
}

/// Whether `key`'s segments match the first segments of `pattern` (all of them when `whole`).
bool matches(const std::vector<std::string>& key, const std::vector<std::string>& pattern, bool whole) {
  if (key.size() > pattern.size() || (whole && key.size() != pattern.size())) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (pattern[i].front() != '<' && pattern[i] != key[i]) return false;
  }
  return true;
}

bool is_secret(const std::string& key) {
  std::string k = key;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::string leaf = k.substr(k.rfind('.') + 1);
  return k.find("password") != std::string::npos || k.find("secret") != std::string::npos || leaf == "key" ||
         (leaf.size() > 4 && leaf.compare(leaf.size() - 4, 4, "_key") == 0) || leaf == "smtp_pass" || leaf == "pass";
}

nlohmann::json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : node) j[kv.first.as<std::string>()] = to_json(kv.second);
    return j;
  }
  if (node.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& item : node) j.push_back(to_json(item));
    return j;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& s = node.Scalar();
  if (node.Tag() == "?") {  // plain scalar: typed
    if (s == "true" || s == "false") return s == "true";
    char* end = nullptr;
    const long long n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0') return n;
  }
  return s;
}

}  // namespace

void check_spec_key(const std::string& key, bool allow_group) {
  if (is_secret(key)) {
    throw Error(fmt::format("`{}` is a secret; secrets live in secrets.env, not instance.yaml", key), ExitCode::usage,
                "make new ones with `supactl secrets rotate NAME --jwt|--postgres|--dashboard` (or edit secrets.env)");
  }
  const std::vector<std::string> parts = split_key(key);
  for (const std::string& pattern : spec_key_paths()) {
    if (matches(parts, split_key(pattern), !allow_group)) return;
  }
  // Name what this level allows, from the longest known parent.
  std::string parent;
  for (size_t n = parts.size() - 1; n > 0; --n) {
    std::string candidate;
    for (size_t i = 0; i < n; ++i) candidate += (i ? "." : "") + parts[i];
    bool known = false;
    for (const std::string& pattern : spec_key_paths())
      known = known || matches(split_key(candidate), split_key(pattern), false);
    if (known) {
      parent = candidate;
      break;
    }
  }
  const std::vector<std::string> children = spec_child_keys(parent);
  throw Error(fmt::format("instance.yaml has no key `{}`{}", key,
                          children.empty() ? std::string()
                                           : fmt::format("; {} holds {}", parent.empty() ? "the top level" : parent,
                                                         fmt::join(children, ", "))),
              ExitCode::usage, "the keys are listed in docs/API_REFERENCE.md (## instance.yaml)");
}

SpecValue get_spec_value(const InstanceSpec& spec, const std::string& key) {
  const std::string text = format_spec(spec);
  if (key.empty()) {
    YAML::Node all = YAML::Load(text);
    return SpecValue{.text = text, .json = to_json(all).dump()};
  }
  check_spec_key(key, true);
  YAML::Node node = YAML::Load(text);
  for (const std::string& part : split_key(key)) {
    if (!node.IsMap() || !node[part]) {
      throw Error(fmt::format("`{}` is not set in instance.yaml", key), ExitCode::not_found,
                  fmt::format("set it with `supactl config set {} {} VALUE`", spec.name, key));
    }
    node.reset(node[part]);
  }
  std::string shown;
  if (node.IsScalar()) {
    shown = node.Scalar();
  } else {
    YAML::Emitter out;
    out << node;
    shown = out.c_str();
  }
  return SpecValue{.text = shown, .json = to_json(node).dump()};
}

InstanceSpec set_spec_value(const std::string& text, const std::string& key, const std::vector<std::string>& values) {
  check_spec_key(key, false);
  if (key == "name") {
    throw Error("an instance keeps its name (it names its containers, volumes and folder)", ExitCode::usage,
                "to move the data to a new name, `supactl backup` it and `supactl restore NEWNAME FILE`");
  }
  if (values.empty()) throw Error(fmt::format("config set needs a value for `{}`", key), ExitCode::usage);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("instance.yaml:{}: {}", e.mark.line + 1, e.msg), ExitCode::usage);
  }
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  // Is the key a list in the spec as the loader writes it?
  bool list_key = false;
  try {
    YAML::Node probe = YAML::Load(format_spec(parse_spec(text, "instance.yaml")));
    for (const std::string& part : split_key(key)) {
      if (!probe.IsMap() || !probe[part]) break;
      probe.reset(probe[part]);
      list_key = probe.IsSequence();
    }
  } catch (const Error&) {
    // The file as it is does not load: the change may be what fixes it.
  }
  YAML::Node value;
  if (values.size() == 1 && values[0] == "[]") {
    value = YAML::Node(YAML::NodeType::Sequence);
  } else if (values.size() > 1 || list_key) {
    value = YAML::Node(YAML::NodeType::Sequence);
    for (const std::string& v : values) value.push_back(v);
  } else {
    value = YAML::Node(values[0]);
  }
  // Walk down, making the maps that are missing, and set the leaf.
  const std::vector<std::string> parts = split_key(key);
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node[parts[i]] || !node[parts[i]].IsMap()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    node.reset(node[parts[i]]);
  }
  node[parts.back()] = value;
  YAML::Emitter out;
  out << root;
  try {
    return parse_spec(out.c_str(), "changed");
  } catch (const Error& e) {
    // Line numbers of the edited tree mean nothing to the reader: keep the messages only.
    throw Error(std::regex_replace(std::string(e.what()), std::regex("(^|\n)changed:[0-9]+: "), "$1"), ExitCode::usage,
                fmt::format("nothing was written; `supactl config get NAME {}` shows the value", key));
  }
}

namespace {

/// `value` as one line of YAML: a plain or quoted scalar, or a flow list.
std::string inline_yaml(const YAML::Node& value) {
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

/// Where the value of a `key: value` line starts and ends (before a trailing comment), or
/// nullopt when the line is not one plain key with an inline scalar or flow value.
struct ValueSpan {
  size_t begin = 0;
  size_t end = 0;
};

std::optional<ValueSpan> inline_value(const std::string& line, size_t after_colon) {
  size_t begin = line.find_first_not_of(' ', after_colon);
  if (begin == std::string::npos || line[begin] == '#') return std::nullopt;  // a block follows
  const char first = line[begin];
  if (first == '|' || first == '>' || first == '&' || first == '*' || first == '!') return std::nullopt;
  size_t end = line.size();
  if (first == '"' || first == '\'') {
    // The closing quote (a doubled one inside single quotes, an escaped one inside double).
    size_t at = begin + 1;
    for (; at < line.size(); ++at) {
      if (first == '"' && line[at] == '\\') {
        ++at;
      } else if (line[at] == first) {
        if (first == '\'' && at + 1 < line.size() && line[at + 1] == '\'') {
          ++at;
        } else {
          break;
        }
      }
    }
    if (at >= line.size()) return std::nullopt;
    end = at + 1;
  } else {
    const size_t comment = line.find(" #", begin);
    if (comment != std::string::npos) end = comment;
  }
  while (end > begin && line[end - 1] == ' ') --end;
  return ValueSpan{begin, end};
}

}  // namespace

std::string set_spec_text(const std::string& text, const std::string& key, const InstanceSpec& after) {
  const std::string canonical = format_spec(after);
  const std::vector<std::string> parts = split_key(key);
  const SpecValue wanted = get_spec_value(after, key);
  YAML::Node value = YAML::Load(wanted.text);
  // Find the key's own line by indentation (block mappings), and replace its inline value.
  std::vector<std::pair<size_t, std::string>> path;  // (indent, key) of the open mappings
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  static const std::regex k_key_line(R"(^( *)([A-Za-z0-9_.-]+):( |$))");
  for (std::string& line : lines) {
    std::smatch m;
    if (!std::regex_search(line, m, k_key_line)) continue;  // comments, list items, blank lines
    const size_t indent = static_cast<size_t>(m.length(1));
    while (!path.empty() && path.back().first >= indent) path.pop_back();
    path.emplace_back(indent, m.str(2));
    if (path.size() != parts.size()) continue;
    bool same = true;
    for (size_t i = 0; i < parts.size() && same; ++i) same = path[i].second == parts[i];
    if (!same) continue;
    const std::optional<ValueSpan> span = inline_value(line, static_cast<size_t>(m.position(3)));
    if (!span) break;
    line = line.substr(0, span->begin) + inline_yaml(value) + line.substr(span->end);
    std::string edited;
    for (const std::string& l : lines) edited += l + "\n";
    if (!text.empty() && text.back() != '\n') edited.pop_back();
    // Kept only when the loader reads exactly the wanted spec from it.
    try {
      if (format_spec(parse_spec(edited, "instance.yaml")) == canonical) return edited;
    } catch (const Error&) {
      // fall back to the canonical form
    }
    break;
  }
  return canonical;
}

}  // namespace supactl::config
