// SPDX-License-Identifier: Apache-2.0
// Runs supactl's functions router (templates/functions/main/index.ts) outside the edge runtime:
// Deno.serve only records the handler, and EdgeRuntime.userWorkers.create makes a worker that
// answers with what it was given (its service path and variables). Then each request of the
// JSON list in the second argument ({"path": "/greet", "token": "..."}) goes through the
// handler, and one JSON line per answer is printed: {"path", "status", "body"}.
//
// deno run --allow-read --allow-env router_harness.ts ROUTER.ts '[{"path":"/greet"}]'

type Handler = (req: Request) => Promise<Response>;
let handler: Handler | undefined;
Object.defineProperty(Deno, "serve", {
  value: (h: Handler) => {
    handler = h;
    return { finished: Promise.resolve() };
  },
});
(globalThis as Record<string, unknown>).EdgeRuntime = {
  userWorkers: {
    create: (options: { servicePath: string; envVars: [string, string][] }) =>
      Promise.resolve({
        fetch: () =>
          Promise.resolve(
            new Response(JSON.stringify({ servicePath: options.servicePath, env: Object.fromEntries(options.envVars) })),
          ),
      }),
  },
};

await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href);
if (!handler) throw new Error("the router did not call Deno.serve");
for (const request of JSON.parse(Deno.args[1]) as { path: string; token?: string }[]) {
  const headers: Record<string, string> = request.token ? { authorization: `Bearer ${request.token}` } : {};
  const response = await handler(new Request(`http://functions:9000${request.path}`, { headers }));
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  console.log(JSON.stringify({ path: request.path, status: response.status, body }));
}
