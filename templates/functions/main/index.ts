// SPDX-License-Identifier: Apache-2.0
// supactl's main service for the edge runtime: a small router. The gateway strips
// /functions/v1, so the first path segment names the function, which runs in its own user
// worker from /home/deno/functions/<name>. With VERIFY_JWT=true, requests need an HS256 JWT
// signed with JWT_SECRET, checked with WebCrypto (no imports: the backend network has no
// route to the internet).
//
// Per-function settings (`supactl functions deploy` reads function.yaml, `supactl functions
// secrets` changes secrets) are read per request from <settingsRoot>/<name>.json:
// {"verify_jwt": bool, "env": {NAME: value}}. A function's worker gets the runtime's variables
// plus its own settings only, never another function's.

const functionsRoot = "/home/deno/functions";
const settingsRoot = Deno.env.get("SUPACTL_FUNCTION_SETTINGS") ?? "/run/supactl/function-settings";
const verifyJwt = Deno.env.get("VERIFY_JWT") === "true";
const jwtSecret = Deno.env.get("JWT_SECRET") ?? "";

type FunctionSettings = { verify_jwt?: boolean; env?: Record<string, string> };

// The settings of function `name`: none when it has no file.
async function settingsOf(name: string): Promise<FunctionSettings> {
  try {
    return JSON.parse(await Deno.readTextFile(`${settingsRoot}/${name}.json`)) as FunctionSettings;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
}

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...extra },
  });
}

function unauthorized(code: string, message: string): Response {
  return json(401, { code, message, msg: message }, { "sb-error-code": code });
}

function decodeSegment(segment: string): Uint8Array {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// Returns an error response, or null when the token is acceptable.
async function checkJwt(req: Request): Promise<Response | null> {
  const header = req.headers.get("authorization") ?? "";
  const match = header.match(/^Bearer\s+(\S+)$/i);
  if (!match) return unauthorized("UNAUTHORIZED_NO_AUTH_HEADER", "Missing authorization header");
  const parts = match[1].split(".");
  if (parts.length !== 3) {
    return unauthorized("UNAUTHORIZED_INVALID_JWT_FORMAT", "Invalid JWT format");
  }
  let protectedHeader: { alg?: string };
  let claims: { exp?: number };
  try {
    protectedHeader = JSON.parse(new TextDecoder().decode(decodeSegment(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(decodeSegment(parts[1])));
  } catch {
    return unauthorized("UNAUTHORIZED_INVALID_JWT_FORMAT", "Invalid JWT format");
  }
  if (protectedHeader.alg !== "HS256") {
    return unauthorized("UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM", "Unsupported JWT algorithm");
  }
  const key = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(jwtSecret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const valid = await crypto.subtle.verify(
    "HMAC", key, decodeSegment(parts[2]), new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  if (!valid) return unauthorized("UNAUTHORIZED_LEGACY_JWT", "Invalid JWT");
  if (typeof claims.exp === "number" && claims.exp * 1000 <= Date.now()) {
    return unauthorized("UNAUTHORIZED_LEGACY_JWT", "JWT has expired");
  }
  return null;
}

Deno.serve(async (req: Request) => {
  const name = new URL(req.url).pathname.split("/").filter((s) => s.length > 0)[0];
  if (!name) return json(400, { msg: "missing function name in request" });
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return json(404, { msg: `no function named ${name}` });

  let settings: FunctionSettings;
  try {
    settings = await settingsOf(name);
  } catch (error) {
    return json(500, { msg: `the settings of ${name} cannot be read: ${error instanceof Error ? error.name : "error"}` });
  }
  if ((settings.verify_jwt ?? verifyJwt) && req.method !== "OPTIONS") {
    const failure = await checkJwt(req);
    if (failure) return failure;
  }

  try {
    const envVars = { ...Deno.env.toObject(), ...(settings.env ?? {}) };
    delete envVars.SUPACTL_FUNCTION_SETTINGS;
    const worker = await EdgeRuntime.userWorkers.create({
      servicePath: `${functionsRoot}/${name}`,
      memoryLimitMb: 150,
      workerTimeoutMs: 60_000,
      noModuleCache: false,
      importMapPath: null,
      envVars: Object.entries(envVars),
    });
    return await worker.fetch(req);
  } catch (error) {
    return json(500, { msg: String(error) });
  }
});
