// SPDX-License-Identifier: Apache-2.0
//
// `supactl render NAME [--out DIR]`: writes the instance's compose.yml, gateway and proxy
// configs, SQL and functions (see render::render_instance), by default into the instance's
// rendered/ folder, where `up` and docker-compose both read them.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/render/render.hpp>

#include <fmt/format.h>

#include <iostream>

namespace supactl::cli {

namespace {

struct RenderOptions {
  std::string name;
  std::string out;
};

int run_render(const Globals& g, const RenderOptions& o) {
  config::Instance inst = config::load_instance(config::home_dir(g.home), o.name);
  std::filesystem::path out = o.out.empty() ? inst.rendered_dir() : std::filesystem::path(o.out);
  render::RenderResult result = render::render_instance(inst, out, g.templates_dir);
  if (g.json()) {
    print_json({{"name", inst.name},
                {"dir", result.dir.string()},
                {"compose_file", result.compose_file.string()},
                {"files", result.files}});
    return 0;
  }
  std::cout << fmt::format("rendered {} into {} ({} files)\n", inst.name, result.dir.string(), result.files.size());
  std::cout << fmt::format("  docker-compose -f {} -p {} config\n", result.compose_file.string(), inst.name);
  return 0;
}

}  // namespace

void setup_render(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<RenderOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_option("--out", o->out, "Write into DIR instead of the instance's rendered/ folder");
  set_action(sub, g, [&g, o]() { return run_render(g, *o); });
}

}  // namespace supactl::cli
