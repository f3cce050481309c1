// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to src/render: the mustache data object the templates are rendered with.

#include <supactl/config/instance.hpp>
#include <supactl/render/render.hpp>

#include <kainjow/mustache.hpp>

#include <map>
#include <string>

namespace supactl::render {

/// Everything the templates may refer to, built from `spec` and the resolved `images`
/// (service → reference). Holds no secret: templates name secrets as ${VAR} or $VAR. Only
/// values that are set appear, so `{{#x}}` sections test presence.
kainjow::mustache::data template_data(const config::InstanceSpec& spec,
                                      const std::map<std::string, std::string>& images);

}  // namespace supactl::render
