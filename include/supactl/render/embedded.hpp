// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>
#include <vector>

namespace supactl::render {

/// One file of `templates/`, compiled into the binary (see cmake/embed_templates.cmake).
struct EmbeddedFile {
  std::string_view path;     ///< relative to templates/, e.g. `compose.yml.mustache`
  std::string_view content;  ///< the bytes of the file
};

/// Every embedded template, sorted by path.
const std::vector<EmbeddedFile>& embedded_templates();

}  // namespace supactl::render
