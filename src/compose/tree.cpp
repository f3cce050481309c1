// SPDX-License-Identifier: Apache-2.0
//
// Converts yaml-cpp documents into the loader's plain tree and collects diagnostics.
// yaml-cpp 0.7 leaves YAML merge keys (`<<: *anchor`) as ordinary keys, so they are resolved
// here: explicitly written keys win over merged ones, and earlier merge sources win over later
// ones, as the YAML merge-key spec says. YAML::Exception never leaves this file.

#include "compose/tree.hpp"

#include <supactl/core/error.hpp>

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <algorithm>

namespace supactl::compose::detail {

const Node* Node::find(const std::string& key) const {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

Node* Node::find(const std::string& key) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

void Node::set(const std::string& key, Node value) {
  if (Node* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  keys.push_back(key);
  items.push_back(std::move(value));
}

void Node::erase(const std::string& key) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) {
      keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(i));
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

Node Node::make_mapping(Location where) {
  Node n;
  n.kind = Kind::mapping;
  n.where = std::move(where);
  return n;
}

Node Node::make_scalar(std::string text, Location where) {
  Node n;
  n.kind = Kind::scalar;
  n.scalar = std::move(text);
  n.where = std::move(where);
  return n;
}

bool operator==(const Node& a, const Node& b) {
  return a.kind == b.kind && a.scalar == b.scalar && a.keys == b.keys && a.items == b.items;
}

void Diagnostics::error(const Location& where, const std::string& message) {
  std::string text = where.line > 0 ? fmt::format("{}:{}: {}", where.file, where.line, message)
                                    : fmt::format("{}: {}", where.file, message);
  if (where.file.empty()) text = message;
  if (std::find(m_errors.begin(), m_errors.end(), text) == m_errors.end()) m_errors.push_back(text);
}

void Diagnostics::warning(const std::string& message) {
  if (std::find(m_warnings.begin(), m_warnings.end(), message) == m_warnings.end()) {
    m_warnings.push_back(message);
  }
}

void Diagnostics::throw_if_errors() const {
  if (m_errors.empty()) return;
  if (m_errors.size() == 1) {
    throw Error(m_errors.front(), ExitCode::usage, "fix the compose file and run again");
  }
  std::string message = fmt::format("{} problems in the compose files:", m_errors.size());
  for (const std::string& e : m_errors) message += "\n  " + e;
  throw Error(message, ExitCode::usage, "fix the compose files and run again");
}

namespace {

Location location_of(const YAML::Node& node, const std::string& file) {
  return Location{file, node.Mark().line >= 0 ? node.Mark().line + 1 : 0};
}

std::string tag_of(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return (tag == "!reset" || tag == "!override") ? tag : std::string{};
}

Node convert(const YAML::Node& node, const Location& fallback, const std::string& file, Diagnostics& diagnostics);

/// Adds the keys of merge source `source` that `target` does not have yet.
void merge_missing(Node& target, const Node& source) {
  for (size_t i = 0; i < source.keys.size(); ++i) {
    if (target.find(source.keys[i]) == nullptr) {
      target.keys.push_back(source.keys[i]);
      target.items.push_back(source.items[i]);
    }
  }
}

Node convert_mapping(const YAML::Node& node, const Location& where, const std::string& file, Diagnostics& diagnostics) {
  Node out = Node::make_mapping(where);
  std::vector<Node> merge_sources;
  for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
    Location key_where = location_of(it->first, file);
    std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string{};
    Node value = convert(it->second, key_where, file, diagnostics);
    // A nested mapping or list is reported at its key's line, not at its first entry's.
    if (value.is_mapping() || value.is_sequence()) value.where = key_where;
    if (key == "<<" && it->first.Tag() == "?") {
      if (value.is_sequence()) {
        for (Node& source : value.items) merge_sources.push_back(std::move(source));
      } else {
        merge_sources.push_back(std::move(value));
      }
      continue;
    }
    if (out.find(key) != nullptr) diagnostics.error(key_where, fmt::format("duplicate key `{}`", key));
    out.set(key, std::move(value));
  }
  for (const Node& source : merge_sources) {
    if (source.is_mapping()) merge_missing(out, source);
  }
  return out;
}

Node convert(const YAML::Node& node, const Location& fallback, const std::string& file, Diagnostics& diagnostics) {
  Node out;
  out.tag = tag_of(node);
  // yaml-cpp gives null nodes the mark of whatever follows them: use the key's line instead.
  out.where = node.IsNull() ? fallback : location_of(node, file);
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      out.kind = Node::Kind::scalar;
      out.scalar = node.Scalar();
      break;
    case YAML::NodeType::Sequence:
      out.kind = Node::Kind::sequence;
      for (const YAML::Node& item : node) out.items.push_back(convert(item, out.where, file, diagnostics));
      break;
    case YAML::NodeType::Map: {
      std::string tag = out.tag;
      out = convert_mapping(node, out.where, file, diagnostics);
      out.tag = tag;
      break;
    }
    default: out.kind = Node::Kind::null; break;
  }
  return out;
}

}  // namespace

Node parse_yaml(const std::string& text, const std::string& file, Diagnostics& diagnostics) {
  try {
    YAML::Node root = YAML::Load(text);
    return convert(root, Location{file, 1}, file, diagnostics);
  } catch (const YAML::Exception& e) {
    diagnostics.error(Location{file, e.mark.line >= 0 ? e.mark.line + 1 : 0}, "YAML syntax error: " + e.msg);
    return Node{};
  }
}

}  // namespace supactl::compose::detail
