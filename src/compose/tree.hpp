// SPDX-License-Identifier: Apache-2.0
#pragma once

// The compose loader's private document tree. yaml-cpp nodes are converted once into this
// plain tree (merge keys `<<` resolved, tags and file:line kept on every node) so that
// interpolation, override merging and typing work on ordinary values and every problem can
// still be reported at the line it came from. Also the collector for errors and warnings.

#include <string>
#include <vector>

namespace supactl::compose::detail {

/// Where a node was written: the compose file as given and a 1-based line (0 = unknown).
struct Location {
  std::string file;
  int line = 0;
};

/// One YAML value. Mappings keep their keys in file order: `keys[i]` names `items[i]`.
struct Node {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  std::string scalar;
  std::vector<Node> items;
  std::vector<std::string> keys;
  std::string tag;  ///< "!reset", "!override" or empty
  Location where;

  bool is_null() const { return kind == Kind::null; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_mapping() const { return kind == Kind::mapping; }

  /// The value under `key` of a mapping, or nullptr.
  const Node* find(const std::string& key) const;
  Node* find(const std::string& key);
  /// Sets (or replaces) `key` of a mapping.
  void set(const std::string& key, Node value);
  /// Removes `key` from a mapping when present.
  void erase(const std::string& key);

  static Node make_mapping(Location where);
  static Node make_scalar(std::string text, Location where);
};

bool operator==(const Node& a, const Node& b);

/// Errors and warnings found while loading; errors are thrown together at the end.
class Diagnostics {
 public:
  void error(const Location& where, const std::string& message);
  void warning(const std::string& message);
  bool has_errors() const { return !m_errors.empty(); }
  const std::vector<std::string>& errors() const { return m_errors; }
  const std::vector<std::string>& warnings() const { return m_warnings; }
  /// Throws supactl::Error (ExitCode::usage) listing every error, when there is any.
  void throw_if_errors() const;

 private:
  std::vector<std::string> m_errors;
  std::vector<std::string> m_warnings;
};

/// Parses YAML text of `file` into a tree. Syntax errors are reported to `diagnostics` and a
/// null node is returned.
Node parse_yaml(const std::string& text, const std::string& file, Diagnostics& diagnostics);

}  // namespace supactl::compose::detail
