// SPDX-License-Identifier: Apache-2.0
//
// `supactl up NAME`: the main job. Open the instance (load, check, lock) → converge
// (instance::converge: render, then stack::up: load compose, observe, reconcile, check ports,
// execute with readiness probing) → print endpoints or the failure. All decisions are the
// reconciler's; this file maps flags and prints, for up and the other converging commands.
#include "cli/globals.hpp"
#include "cli/progress.hpp"
#include "cli/up_flow.hpp"

#include <supactl/config/home.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/instance/session.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <vector>

namespace supactl::cli {

instance::Session open_for_converge(const Globals& g, const UpOptions& o) {
  // A dry run only reads: it takes no lock (and so creates no lock file).
  return instance::Session(
      config::home_dir(g.home), o.name, g.engine_source,
      instance::SessionOptions{
          .lock = !o.dry_run, .lock_timeout_s = o.lock_timeout, .converging = true, .registry = o.registry});
}

int converge_and_report(const Globals& g, instance::Session& session, const UpOptions& o) {
  const config::Instance& inst = session.instance();
  const instance::ConvergeOptions options{.recreate = o.force_recreate ? plan::Recreate::force
                                                      : o.no_recreate  ? plan::Recreate::never
                                                                       : plan::Recreate::diverged,
                                          .remove_orphans = o.remove_orphans,
                                          .wait_timeout_s = o.wait_timeout,
                                          .parallel = o.parallel,
                                          .dry_run = o.dry_run,
                                          .rollback = o.rollback,
                                          .templates_dir = g.templates_dir};
  std::unique_ptr<plan::Progress> progress = make_progress(g);
  const instance::ConvergeResult converged = instance::converge(session, options, *progress);
  const stack::UpResult& result = converged.up;
  const render::Endpoints& e = converged.endpoints;

  if (o.dry_run) {
    if (g.json()) {
      nlohmann::json ops = nlohmann::json::array();
      for (const plan::Operation& op : result.plan.ops) {
        ops.push_back({{"id", op.id},
                       {"op", plan::to_string(op.type)},
                       {"target", op.target},
                       {"service", op.service},
                       {"deps", op.deps},
                       {"cause", op.cause}});
      }
      print_json({{"instance", inst.name}, {"dry_run", true}, {"plan", ops}, {"warnings", result.plan.warnings}});
    } else {
      std::cout << (result.plan.empty() ? fmt::format("{} is up to date: nothing to do\n", inst.name)
                                        : result.plan.to_string());
    }
    return 0;
  }

  const plan::ExecutionReport& r = result.report;
  if (g.json()) {
    nlohmann::json summary = {{"instance", inst.name},
                              {"ok", r.ok},
                              {"operations", result.plan.ops.size()},
                              {"writes", result.plan.write_count()},
                              {"engine_requests", result.engine_requests},
                              {"wall_ms", r.wall_ms},
                              {"floor_ms", result.floor_ms},
                              {"rolled_back", result.rolled_back},
                              {"errors", r.errors},
                              {"endpoints", {{"api", e.api_url}, {"studio", e.studio_url}, {"db", e.db_url}}}};
    summary.update(o.report_extra);
    std::cout << summary.dump() << std::endl;
  }
  if (!r.ok) {
    g.json_printed = g.json();
    if (result.rolled_back) {
      std::fprintf(stderr, "supactl: rolled back: removed the %zu containers this run created; volumes kept\n",
                   r.created.size());
    }
    const ExitCode code = core::cancel_requested() ? ExitCode::interrupted
                          : r.engine_unavailable   ? ExitCode::engine_unavailable
                                                   : ExitCode::unhealthy;
    throw run_failure(r.errors, code, "the run failed",
                      fmt::format("see `supactl logs {} SERVICE`; data volumes were kept; `supactl up {}` retries",
                                  inst.name, inst.name));
  }
  if (!g.json()) {
    if (result.plan.write_count() == 0) {
      std::cout << fmt::format("{} is up to date and healthy\n", inst.name);
    } else {
      std::cout << fmt::format("{} is up: {} operations in {:.1f} s\n", inst.name, result.plan.ops.size(),
                               r.wall_ms / 1000.0);
    }
    std::cout << fmt::format("  API      {}\n", e.api_url);
    if (!e.studio_url.empty()) std::cout << fmt::format("  Studio   {}\n", e.studio_url);
    if (!e.db_url.empty()) std::cout << fmt::format("  DB       {}\n", e.db_url);
    std::cout << fmt::format("  keys     supactl status {} --show-secrets\n", inst.name);
  }
  return 0;
}

void add_wait_options(CLI::App& sub, UpOptions& o) {
  sub.add_option("--wait-timeout", o.wait_timeout,
                 "Seconds each service may take to become ready (default: instance.yaml wait.timeout)")
      ->check(CLI::Range(1, 86400));
  add_lock_timeout(sub, o.lock_timeout);
}

void setup_up(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<UpOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_flag("--dry-run", o->dry_run, "Print the plan and change nothing");
  sub.add_flag("--force-recreate", o->force_recreate, "Recreate every container even if unchanged");
  sub.add_flag("--no-recreate", o->no_recreate, "Never recreate existing containers")->excludes("--force-recreate");
  sub.add_flag("--remove-orphans", o->remove_orphans, "Remove containers of services no longer in the stack");
  sub.add_flag("--rollback", o->rollback, "On failure, remove the containers this run created");
  add_wait_options(sub, *o);
  sub.add_option("--parallel", o->parallel, "Engine calls in flight at once")->check(CLI::Range(1, 64));
  sub.add_option("--registry", o->registry, "Pull through this registry mirror (HOST[:PORT]) for this run")
      ->envname("SUPACTL_REGISTRY");
  set_action(sub, g, [&g, o]() {
    instance::Session session = open_for_converge(g, *o);
    return converge_and_report(g, session, *o);
  });
}

}  // namespace supactl::cli
