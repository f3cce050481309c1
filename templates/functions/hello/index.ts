// SPDX-License-Identifier: Apache-2.0
// supactl's sample function: GET /functions/v1/hello answers with a JSON greeting. Copy this
// folder into the `functions` volume under another name to start your own.

Deno.serve((_req: Request) => {
  return new Response(JSON.stringify("Hello from Edge Functions!"), {
    headers: { "Content-Type": "application/json" },
  });
});
