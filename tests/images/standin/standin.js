// SPDX-License-Identifier: Apache-2.0
// supactl image kit: the program behind every stand-in image. It lives off PATH, in
// /.standin/standin.js, run by /.standin/node; the program at each real image's entrypoint
// path is a two-line script (`#!/.standin/node` + run('<role>')) or a shell script in a shell
// the real image has. Each role checks what the real process checks at start (a missing or
// malformed variable: one line on stderr, exit 1), reaches its database by TCP when the real
// one migrates at boot, and listens where the real one listens, with the real defaults.
//
// Test hooks, on every listener of every stand-in:
//   GET /__standin/env      -> {"service","env","argv"}
//   GET /__standin/buckets  -> buckets created with PUT /<bucket> (the minio stand-in)
//   GET /__standin/health   -> 200, or 500 while unhealthy
// Unhealthy on demand: while /.standin/tmp/unhealthy or /tmp/standin-unhealthy exists, or
// STANDIN_UNHEALTHY=1, every path outside /__standin/ answers 500. `/.standin/unhealthy on|off`
// sets the first (it works in every image, postgrest's has no /tmp).
'use strict';
const http = require('http');
const fs = require('fs');
const net = require('net');
const dns = require('dns');
const crypto = require('crypto');
const path = require('path');

const env = process.env;
const STATE = '/.standin/tmp';

// --- common ------------------------------------------------------------------------------
function fatal(msg, code) {
  process.stderr.write(msg.replace(/\n/g, ' ') + '\n');
  process.exit(code === undefined ? 1 : code);
}
function log(service, msg) { process.stdout.write(`standin ${service}: ${msg}\n`); }
function isSet(k) { return Object.prototype.hasOwnProperty.call(env, k); }

function unhealthy() {
  return env.STANDIN_UNHEALTHY === '1' || fs.existsSync(`${STATE}/unhealthy`) ||
    fs.existsSync('/tmp/standin-unhealthy');
}

function send(req, res, status, body, headers) {
  const text = (typeof body === 'string' ? body : JSON.stringify(body)) + '\n';
  res.writeHead(status, Object.assign({
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'X-Standin-Service': currentService,
    // Which container answered (its host name, the container id): the swarm tests count the
    // replicas a load balancer reached.
    'X-Standin-Host': require('os').hostname(),
  }, headers || {}));
  res.end(req.method === 'HEAD' ? undefined : text);
}

let currentService = 'stand-in';
let currentArgv = [];
const bucketFile = `${STATE}/buckets.json`;
function buckets() {
  try { return JSON.parse(fs.readFileSync(bucketFile, 'utf8')); } catch (_) { return []; }
}

// route(req, res, url) may answer (return true) before the default 200; `hooks` always first.
function handler(route) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://standin');
      const p = url.pathname;
      if (p === '/__standin/env') return send(req, res, 200, { service: currentService, env, argv: currentArgv });
      if (p === '/__standin/buckets') return send(req, res, 200, { service: currentService, buckets: buckets() });
      if (p === '/__standin/health') return send(req, res, unhealthy() ? 500 : 200, { service: currentService, healthy: !unhealthy() });
      if (unhealthy()) return send(req, res, 500, { service: currentService, path: p, healthy: false });
      if (route && route(req, res, url, Buffer.concat(chunks))) return;
      return send(req, res, 200, { service: currentService, stand_in: true, method: req.method, path: p });
    });
  };
}

// A websocket handshake (RFC 6455) on a path ending in /websocket, as Realtime answers one
// behind Kong: 101 with the Sec-WebSocket-Accept of the client's key; the socket then stays
// open, reading and dropping frames, until the client closes it. Anything else gets 400.
function websocketUpgrade(req, socket) {
  const key = req.headers['sec-websocket-key'];
  const wantsWs = String(req.headers.upgrade || '').toLowerCase() === 'websocket';
  if (!wantsWs || !key || !/\/websocket$/.test(new URL(req.url, 'http://standin').pathname)) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\nX-Standin-Service: ${currentService}\r\n\r\n`);
  socket.on('error', () => socket.destroy());
  socket.on('end', () => socket.end());
  socket.resume();
}

// listen([{host, port, route}]): host '' or undefined = every interface.
function listen(service, listeners) {
  for (const l of listeners) {
    const server = http.createServer(handler(l.route));
    server.on('upgrade', websocketUpgrade);
    server.on('error', (err) => fatal(`standin ${service}: listen ${l.host || '*'}:${l.port}: ${err.message}`));
    const cb = () => log(service, `listening on ${l.host || '*'}:${l.port} (argv: ${JSON.stringify(currentArgv)})`);
    if (l.host) server.listen(l.port, l.host, cb); else server.listen(l.port, cb);
  }
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGQUIT', stop);
}

function port(v, what) {
  const n = Number(v);
  if (!/^\d+$/.test(String(v)) || n < 1 || n > 65535) fatal(`${what}: invalid port "${v}"`);
  return n;
}

// "host:port" / ":port" / "[v6]:port" -> {host, port}
function splitHostPort(s, what) {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(s || '');
  if (!m) fatal(`${what}: invalid address "${s}" (want HOST:PORT)`);
  return { host: m[1] !== undefined ? m[1] : m[2], port: port(m[3], what) };
}

function resolvable(host) {
  return new Promise((resolve) => dns.lookup(host, (err) => resolve(!err)));
}

function tcpReachable(host, p, timeoutMs) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: p });
    const done = (ok, why) => { s.destroy(); resolve(ok ? null : why); };
    s.setTimeout(timeoutMs || 5000, () => done(false, 'i/o timeout'));
    s.on('connect', () => done(true));
    s.on('error', (e) => done(false, e.code === 'ECONNREFUSED' ? 'connection refused' : e.message));
  });
}

// postgres://user:pass@host:port/db (also ecto://, postgresql://) -> {host, port}
function dbTarget(raw, what) {
  let u;
  try { u = new URL(raw); } catch (_) { fatal(`${what}: cannot parse database URL "${raw}"`); }
  const host = u.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  return { host, port: u.port ? Number(u.port) : 5432 };
}

async function mustReachDb(service, host, p, prefix) {
  const why = await tcpReachable(host, p);
  if (why) fatal(`${prefix}: dial tcp ${host}:${p}: ${why}`);
  log(service, `database ${host}:${p} reachable`);
}

function b64url(buf) { return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'); }

// An HS256 JWT signed with `secret` (signature checked with node's crypto; exp honoured).
function validHs256(token, secret) {
  if (!secret || !token) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  let header, payload;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch (_) { return false; }
  if (!header || header.alg !== 'HS256') return false;
  const want = Buffer.from(b64url(crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest()));
  const got = Buffer.from(parts[2]);
  if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) return false;
  if (payload && typeof payload.exp === 'number' && payload.exp * 1000 < Date.now()) return false;
  return true;
}

// Parses "--flag value" / "--flag=value" / "-f value" pairs; returns {flags, rest}.
function parseFlags(args, withValue) {
  const flags = {}, rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    if (a.startsWith('-') && eq > 0) { flags[a.slice(0, eq)] = a.slice(eq + 1); continue; }
    if (a.startsWith('-') && withValue.includes(a)) {
      if (i + 1 >= args.length) fatal(`error: a value is required for '${a} <VALUE>' but none was supplied`, 2);
      flags[a] = args[++i]; continue;
    }
    if (a.startsWith('-')) { flags[a] = true; continue; }
    rest.push(a);
  }
  return { flags, rest };
}

// --- kong (kong/kong:3.9.3) ----------------------------------------------------------------
const kongBundled = ('acl acme ai-azure-content-safety ai-prompt-decorator ai-prompt-guard ai-prompt-template ' +
  'ai-proxy ai-request-transformer ai-response-transformer ai-semantic-cache aws-lambda azure-functions basic-auth ' +
  'bot-detection correlation-id cors datadog file-log grpc-gateway grpc-web hmac-auth http-log ip-restriction jwt ' +
  'key-auth ldap-auth loggly oauth2 opentelemetry post-function pre-function prometheus proxy-cache rate-limiting ' +
  'redirect request-size-limiting request-termination request-transformer response-ratelimiting ' +
  'response-transformer session standard-webhooks statsd syslog tcp-log udp-log zipkin').split(' ');

function kongPrefix(args) {
  const i = args.indexOf('-p');
  if (i >= 0 && args[i + 1]) return args[i + 1];
  const p = args.find((a) => a.startsWith('--prefix='));
  if (p) return p.slice(9);
  return env.KONG_PREFIX || '/usr/local/kong';
}

// The plugin names of every `plugins:` list in a declarative YAML file.
function kongPluginNames(text) {
  const names = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:-\s+)?plugins:\s*(#.*)?$/.exec(lines[i]);
    if (!m) continue;
    const keyIndent = m[1].length + (/^\s*-\s+/.test(lines[i]) ? lines[i].match(/^\s*-\s+/)[0].length - m[1].length : 0);
    let itemIndent = -1;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j];
      if (/^\s*(#.*)?$/.test(line)) continue;
      const ind = line.match(/^\s*/)[0].length;
      const dash = /^\s*-(\s|$)/.test(line);
      if (itemIndent < 0) {
        if (!dash || ind < keyIndent) break;
        itemIndent = ind;
      }
      if (ind < itemIndent || (ind === itemIndent && !dash)) break;
      const n = /^\s*-\s+name:\s*["']?([^"'\s#]+)/.exec(line);
      if (n && ind === itemIndent) names.push(n[1]);
    }
  }
  return names;
}

function kongPrepare(args) {
  const prefix = kongPrefix(args);
  const database = env.KONG_DATABASE || 'postgres';
  if (database !== 'off') {
    fatal(`Error: KONG_DATABASE=${database}: the kit's kong stand-in has no database; it runs only with KONG_DATABASE=off (DB-less)`);
  }
  const file = env.KONG_DECLARATIVE_CONFIG;
  if (!file) fatal('Error: in DB-less mode (database = off), declarative_config must be set (KONG_DECLARATIVE_CONFIG)');
  let text;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    fatal(`Error: could not read declarative config ${file}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}`);
  }
  const placeholder = /\$SUPABASE_[A-Za-z0-9_]*/.exec(text);
  if (placeholder) fatal(`Error: declarative config ${file} still contains the unfilled placeholder ${placeholder[0]}`);
  if (!/^_format_version:\s*["']?[0-9.]+/m.test(text)) {
    fatal(`Error: declarative config ${file}: missing or invalid _format_version`);
  }
  const enabled = (env.KONG_PLUGINS || 'bundled').split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of kongPluginNames(text)) {
    const ok = enabled.includes(name) || (enabled.includes('bundled') && kongBundled.includes(name));
    if (!ok) fatal(`Error: declarative config ${file}: plugin '${name}' not enabled; add it to the 'plugins' directive (KONG_PLUGINS=${enabled.join(',')})`);
  }
  const strerror = { EACCES: 'Permission denied', EPERM: 'Operation not permitted', EROFS: 'Read-only file system' };
  try {
    for (const d of ['', '/logs', '/pids']) {
      try { fs.mkdirSync(prefix + d); } catch (e) { if (e.code !== 'EEXIST') throw e; }
    }
    const lines = Object.keys(env).filter((k) => k.startsWith('KONG_')).sort().map((k) => `${k.slice(5).toLowerCase()} = ${env[k]}`);
    fs.writeFileSync(`${prefix}/.kong_env`, `prefix = ${prefix}\n${lines.join('\n')}\n`);
    fs.writeFileSync(`${prefix}/nginx.conf`, '# supactl kit stand-in: no nginx here\n');
  } catch (e) {
    fatal(`Error: could not prepare Kong prefix at ${prefix}: ${strerror[e.code] || e.message} (${e.path || prefix})`);
  }
}

function runKong(args) {
  const cmd = args[0] || '';
  if (cmd === 'health') {
    const prefix = kongPrefix(args);
    let pid = 0;
    try { pid = parseInt(fs.readFileSync(`${prefix}/pids/nginx.pid`, 'utf8'), 10); } catch (_) { pid = 0; }
    let alive = false;
    if (pid > 0) { try { process.kill(pid, 0); alive = true; } catch (e) { alive = e.code === 'EPERM'; } }
    if (!alive) fatal(`Error: Kong is not running at ${prefix}`);
    process.stdout.write(`nginx.......running\n\nKong is healthy at ${prefix}\n`);
    return;
  }
  if (cmd === 'version' || cmd === '--version' || cmd === '-v') { process.stdout.write('3.9.3\n'); return; }
  if (cmd === 'prepare') { kongPrepare(args.slice(1)); return; }
  if (cmd === 'docker-start' || cmd === 'start') {
    kongPrepare(args.slice(1));
    runNginx(['-p', kongPrefix(args.slice(1))]);
    return;
  }
  fatal(`Error: the kit's kong stand-in does not implement 'kong ${args.join(' ')}'`);
}

// /usr/local/openresty/nginx/sbin/nginx -p PREFIX -c nginx.conf: the proxy itself.
function runNginx(args) {
  currentService = 'kong';
  const i = args.indexOf('-p');
  const prefix = (i >= 0 && args[i + 1]) || env.KONG_PREFIX || '/usr/local/kong';
  if (!fs.existsSync(`${prefix}/.kong_env`)) fatal(`nginx: [emerg] open() "${prefix}/nginx.conf" failed (kong prepare did not run)`);
  try { fs.writeFileSync(`${prefix}/pids/nginx.pid`, `${process.pid}\n`); } catch (e) { fatal(`nginx: [emerg] open() "${prefix}/pids/nginx.pid" failed: ${e.message}`); }
  listen('kong', [{ host: '0.0.0.0', port: 8000 }, { host: '0.0.0.0', port: 8443 }, { host: '127.0.0.1', port: 8001 }]);
}

// --- gotrue (supabase/gotrue:v2.196.0) -------------------------------------------------------
async function runAuth(args) {
  const cmd = args[0] || '';
  if (cmd === 'version') { process.stdout.write('v2.196.0\n'); return; }
  if (cmd && cmd !== 'serve' && cmd !== 'migrate') fatal(`Error: unknown command "${cmd}" for "auth"`);
  const prefix = 'Failed to load configuration: required key';
  for (const [k, alt] of [['GOTRUE_DB_DRIVER'], ['GOTRUE_DB_DATABASE_URL', 'DATABASE_URL'], ['GOTRUE_JWT_SECRET'],
    ['GOTRUE_API_API_EXTERNAL_URL', 'API_EXTERNAL_URL'], ['GOTRUE_SITE_URL']]) {
    if (!isSet(k) && !(alt && isSet(alt))) fatal(`${prefix} ${k} missing value`);
  }
  const external = isSet('GOTRUE_API_API_EXTERNAL_URL') ? env.GOTRUE_API_API_EXTERNAL_URL : env.API_EXTERNAL_URL;
  let ok = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/]+/.test(external);
  if (ok) { try { new URL(external); } catch (_) { ok = false; } }
  if (!ok) fatal(`Failed to load configuration: parse "${external}": API_EXTERNAL_URL is not an absolute URL`);
  const dbUrl = isSet('GOTRUE_DB_DATABASE_URL') ? env.GOTRUE_DB_DATABASE_URL : env.DATABASE_URL;
  const db = dbTarget(dbUrl, 'Fatal: migrate');
  if (cmd !== 'serve') await mustReachDb('auth', db.host, db.port, 'Fatal: migrate: error checking connection: failed to connect to database');
  if (cmd === 'migrate') return;
  const p = port(env.GOTRUE_API_PORT || env.PORT || '8081', 'GOTRUE_API_PORT');
  listen('auth', [{ host: env.GOTRUE_API_HOST || '', port: p }]);
}

// --- postgrest (postgrest/postgrest:v14.17) --------------------------------------------------
function pgrstHost(v) {
  // Special hosts: * (any), *4/!4 (IPv4 any), *6/!6 (IPv6 any).
  if (v === '*' || v === '*6' || v === '!6') return '::';
  if (v === '*4' || v === '!4') return '0.0.0.0';
  return v;
}
const pgrstSpecial = ['*', '*4', '!4', '*6', '!6'];

function runRest(args) {
  const serverHost = env.PGRST_SERVER_HOST || '!4';
  const serverPort = env.PGRST_SERVER_PORT || '3000';
  const adminPort = env.PGRST_ADMIN_SERVER_PORT;
  const adminHost = env.PGRST_ADMIN_SERVER_HOST || serverHost;
  if (args[0] === '--ready') {
    if (!adminPort) fatal('Admin server is not running.');
    if (!env.PGRST_ADMIN_SERVER_HOST && pgrstSpecial.includes(adminHost)) {
      fatal(`Error: the admin server host "${adminHost}" is a special host; set admin-server-host (PGRST_ADMIN_SERVER_HOST) to use --ready`);
    }
    if (pgrstSpecial.includes(adminHost)) fatal(`Error: the admin server host "${adminHost}" is a special host; --ready needs a real host`);
    return probe(`http://${adminHost.includes(':') ? `[${adminHost}]` : adminHost}:${adminPort}/ready`, 'postgrest --ready');
  }
  if (args[0] === '--version' || args[0] === '-v') { process.stdout.write('PostgREST 14.17\n'); return; }
  if (args.length && args[0] !== '--') fatal(`Invalid option \`${args[0]}'`);
  const sp = port(serverPort, 'server-port');
  const secret = env.PGRST_JWT_SECRET;
  if (secret !== undefined && secret !== '' && !/^\s*[{[]/.test(secret) && secret.length < 32) {
    fatal('The JWT secret must be at least 32 characters long.');
  }
  let ap = null;
  if (adminPort) {
    ap = port(adminPort, 'admin-server-port');
    if (ap === sp) fatal('admin-server-port cannot be the same as server-port');
  }
  let dbUri = env.PGRST_DB_URI || 'postgresql://';
  let target;
  try { target = dbTarget(dbUri, 'db-uri'); } catch (_) { target = { host: 'localhost', port: 5432 }; }
  let connected = false;
  const attempt = async () => {
    const why = await tcpReachable(target.host, target.port, 3000);
    if (!why) { connected = true; log('rest', `Connection successful (${target.host}:${target.port})`); return; }
    process.stderr.write(`standin rest: Attempting to reconnect to the database in 1 second... (${target.host}:${target.port}: ${why})\n`);
    setTimeout(attempt, 1000);
  };
  attempt();
  const notReady = (req, res) => {
    if (connected) return false;
    send(req, res, 503, { code: 'PGRST001', message: 'Database client error. Retrying the connection.' });
    return true;
  };
  const listeners = [{ host: pgrstHost(serverHost), port: sp, route: notReady }];
  if (ap !== null) {
    listeners.push({
      host: pgrstHost(adminHost), port: ap,
      route: (req, res, url) => {
        if (url.pathname === '/ready') { send(req, res, connected ? 200 : 503, { ready: connected }); return true; }
        if (url.pathname === '/live') { send(req, res, 200, { live: true }); return true; }
        return false;
      },
    });
  }
  listen('rest', listeners);
}

// GET url; exit 0 on 2xx, else a one-line error and exit 1.
function probe(url, what) {
  const req = http.get(url, { timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode >= 200 && res.statusCode < 300) process.exit(0);
      fatal(`${what}: ${url} answered ${res.statusCode}`);
    });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => fatal(`${what}: ${url}: ${e.code || e.message}`));
}

// --- realtime (supabase/realtime:v2.134.10) -------------------------------------------------
async function realtimeConfig() {
  if (!isSet('METRICS_JWT_SECRET')) fatal('** (System.EnvError) could not fetch environment variable "METRICS_JWT_SECRET" because it is not set');
  if (!isSet('SECRET_KEY_BASE')) fatal('** (System.EnvError) could not fetch environment variable "SECRET_KEY_BASE" because it is not set');
  if (!env.APP_NAME) fatal('** (RuntimeError) APP_NAME not available');
  if (isSet('DB_ENC_KEY_GCM') && Buffer.byteLength(env.DB_ENC_KEY_GCM) !== 32) fatal('** (RuntimeError) DB_ENC_KEY_GCM must be exactly 32 bytes');
  const host = env.DB_HOST || '127.0.0.1';
  if (!(await resolvable(host))) fatal(`** (RuntimeError) Failed to detect IP version for DB_HOST: ${host}`);
  return { host, port: port(env.DB_PORT || '5432', 'DB_PORT') };
}

async function runRealtime(role, args) {
  const db = await realtimeConfig();
  if (role === 'migrate') {
    await mustReachDb('realtime', db.host, db.port, '** (DBConnection.ConnectionError) migrate: tcp connect');
    return;
  }
  if (role === 'realtime') {
    if (args[0] !== 'eval') fatal(`realtime: the kit's stand-in supports only 'eval' (got ${args.join(' ')})`);
    const key = env.DB_ENC_KEY || '';
    if (Buffer.byteLength(key) !== 16) fatal(`** (ErlangError) Erlang error: {:badarg, {~c"api_ng.c", 229}, ~c"Bad key size"}: DB_ENC_KEY must be 16 bytes for AES-128-ECB (has ${Buffer.byteLength(key)})`);
    await mustReachDb('realtime', db.host, db.port, '** (DBConnection.ConnectionError) seeds: tcp connect');
    const tenant = env.SELF_HOST_TENANT_NAME || 'realtime-dev';
    fs.writeFileSync(`${STATE}/realtime-tenants`, `${tenant}\n`);
    log('realtime', `seeded tenant ${tenant}`);
    return;
  }
  // server
  const p = port(env.PORT || '4000', 'PORT');
  listen('realtime', [{
    host: '', port: p,
    route: (req, res, url) => {
      if (url.pathname === '/healthcheck') { send(req, res, 200, 'ok'); return true; }
      const m = /^\/api\/tenants\/([^/]+)\/health\/?$/.exec(url.pathname);
      if (!m && !url.pathname.startsWith('/api/')) return false;
      const auth = req.headers.authorization || '';
      const token = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!token || !validHs256(token[1], env.API_JWT_SECRET)) { send(req, res, 403, { message: 'Forbidden' }); return true; }
      if (!m) return false;
      let tenants = [];
      try { tenants = fs.readFileSync(`${STATE}/realtime-tenants`, 'utf8').split('\n').filter(Boolean); } catch (_) { tenants = []; }
      if (!tenants.includes(decodeURIComponent(m[1]))) { send(req, res, 404, { message: 'Not found' }); return true; }
      send(req, res, 200, { data: { healthy: true, db_connected: true, connected_cluster: 1 } });
      return true;
    },
  }]);
}

// --- storage (supabase/storage-api:v1.74.0) -------------------------------------------------
async function runStorage() {
  if (env.IS_MULTITENANT !== 'true') {
    if (env.AUTH_JWT_SECRET === undefined && env.PGRST_JWT_SECRET === undefined) fatal('Error: AUTH_JWT_SECRET is undefined');
    if (env.DATABASE_URL === undefined) fatal('Error: DATABASE_URL is undefined');
  }
  if (env.JWT_JWKS) { try { JSON.parse(env.JWT_JWKS); } catch (e) { fatal(`Error: Unable to parse JWT_JWKS value to JSON: ${e.message}`); } }
  if (env.IS_MULTITENANT !== 'true') {
    const db = dbTarget(env.DATABASE_URL, 'Error: DATABASE_URL');
    const why = await tcpReachable(db.host, db.port);
    if (why) fatal(`Error: Server not started with error: connect ${why} ${db.host}:${db.port} (running migrations)`);
  }
  const p = port(env.SERVER_PORT || env.PORT || '5000', 'SERVER_PORT');
  listen('storage', [{
    host: env.SERVER_HOST || env.HOST || '0.0.0.0', port: p,
    route: (req, res, url) => {
      if (url.pathname === '/status') { send(req, res, 200, ''); return true; }
      return false;
    },
  }]);
}

// --- imgproxy (darthsim/imgproxy:v3.31.4) ---------------------------------------------------
function runImgproxy(args) {
  const bind = env.IMGPROXY_BIND || ':8080';
  const network = env.IMGPROXY_NETWORK || 'tcp';
  if (network !== 'tcp' && network !== 'tcp4' && network !== 'tcp6') fatal(`imgproxy: the kit's stand-in supports only tcp networks, not ${network}`);
  const a = splitHostPort(bind, 'IMGPROXY_BIND');
  const prefix = env.IMGPROXY_PATH_PREFIX || '';
  if (args[0] === 'health') {
    const host = a.host && a.host !== '0.0.0.0' && a.host !== '::' ? a.host : '127.0.0.1';
    const req = http.get({ host, port: a.port, path: `${prefix}/health`, headers: { Host: 'imgproxy' }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? process.exit(0) : fatal(`imgproxy health: status ${res.statusCode}`)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => fatal(`imgproxy health: dial ${host}:${a.port}: ${e.code || e.message}`));
    return;
  }
  if (args[0] === 'version') { process.stdout.write('3.31.4\n'); return; }
  if (args.length) fatal(`imgproxy: unknown command ${args[0]}`);
  listen('imgproxy', [{ host: a.host, port: a.port }]);
}

// --- studio (supabase/studio) -----------------------------------------------------------------
function runStudio() {
  // Next.js standalone: binds process.env.HOSTNAME (Docker sets it to the container id).
  const p = port(env.PORT || '3000', 'PORT');
  listen('studio', [{ host: env.HOSTNAME || '0.0.0.0', port: p }]);
}

// --- edge-runtime (supabase/edge-runtime:v1.76.2) ------------------------------------------
function runEdgeRuntime(args) {
  const usage = 'Usage: edge-runtime [OPTIONS] [COMMAND]\n\nCommands:\n  start     Start the server\n  bundle    Creates an \'eszip\' file\n  help      Print this message';
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) {
    if (args[i] === '--version' || args[i] === '-V') { process.stdout.write('edge-runtime 1.76.2\n'); return; }
    i++;
  }
  if (i >= args.length) { process.stderr.write(usage + '\n'); process.exit(2); }
  if (args[i] !== 'start') fatal(`error: unrecognized subcommand '${args[i]}' (the kit's stand-in runs only 'start')`, 2);
  const { flags } = parseFlags(args.slice(i + 1), ['--main-service', '--port', '-p', '--ip', '--event-worker',
    '--policy', '--max-parallelism', '--request-wait-timeout', '--request-idle-timeout', '--request-buffer-size',
    '--user-worker-request-idle-timeout', '--static', '--tcp-nodelay', '--inspect', '--inspect-brk', '--inspect-wait',
    '--key', '--tls', '--graceful-exit-timeout', '--graceful-exit-keepalive-deadline-ratio', '--decorator',
    '--import-map', '--main-entrypoint', '--events-entrypoint', '--dispatch-beforeunload-wall-clock-ratio',
    '--dispatch-beforeunload-cpu-ratio', '--dispatch-beforeunload-memory-ratio']);
  const main = flags['--main-service'] || 'examples/main';
  let st = null;
  try { st = fs.statSync(main); } catch (_) { st = null; }
  if (!st || !st.isDirectory()) fatal(`Error: main worker boot error: could not find the main service directory: ${main}`);
  const p = port(flags['--port'] || flags['-p'] || env.EDGE_RUNTIME_PORT || '9000', '--port');
  listen('functions', [{ host: flags['--ip'] || '0.0.0.0', port: p }]);
}

// --- minio (minio/minio) and mc (minio/mc) --------------------------------------------------
function minioCredentials() {
  const user = env.MINIO_ROOT_USER !== undefined ? env.MINIO_ROOT_USER : env.MINIO_ACCESS_KEY;
  const pass = env.MINIO_ROOT_PASSWORD !== undefined ? env.MINIO_ROOT_PASSWORD : env.MINIO_SECRET_KEY;
  if (user === undefined && pass === undefined) return { user: 'minioadmin', pass: 'minioadmin' };
  if (user === undefined) fatal('FATAL Unable to validate credentials inherited from the shell environment: Missing credential environment variable, "MINIO_ROOT_USER"');
  if (pass === undefined) fatal('FATAL Unable to validate credentials inherited from the shell environment: Missing credential environment variable, "MINIO_ROOT_PASSWORD"');
  if (user.length < 3) fatal('FATAL Unable to validate credentials inherited from the shell environment: Invalid credentials: access key length should be at least 3, and secret key length at least 8 characters');
  if (pass.length < 8) fatal('FATAL Unable to validate credentials inherited from the shell environment: Invalid credentials: access key length should be at least 3, and secret key length at least 8 characters');
  return { user, pass };
}

function runMinio(args) {
  if (args[0] === '--version' || args[0] === '-v') { process.stdout.write('minio version RELEASE.2025-04-22T22-12-26Z\n'); return; }
  if (args[0] !== 'server') fatal(`minio: the kit's stand-in supports only 'minio server' (got '${args.join(' ')}')`);
  const { flags, rest } = parseFlags(args.slice(1), ['--address', '--console-address', '--certs-dir', '-S', '--config-dir', '-C']);
  if (rest.length === 0) fatal('FATAL Invalid command line arguments: no drive paths given (minio server DIR)');
  const cred = minioCredentials();
  const s3 = (req, res, url) => {
    if (url.pathname.startsWith('/minio/health/')) return false;
    if (req.method === 'PUT' && /^\/[A-Za-z0-9._-]+\/?$/.test(url.pathname)) {
      const auth = req.headers.authorization || '';
      const want = `Basic ${Buffer.from(`${cred.user}:${cred.pass}`).toString('base64')}`;
      if (auth !== want) { send(req, res, 403, { code: auth ? 'SignatureDoesNotMatch' : 'AccessDenied' }); return true; }
      const name = url.pathname.replace(/\//g, '');
      const list = buckets();
      if (list.includes(name)) { send(req, res, 409, { code: 'BucketAlreadyOwnedByYou', bucket: name }); return true; }
      list.push(name);
      try { fs.writeFileSync(bucketFile, JSON.stringify(list)); } catch (_) { /* memory only */ }
      send(req, res, 200, { service: currentService, bucket: name, created: true });
      return true;
    }
    return false;
  };
  const listeners = [{ ...splitHostPort(flags['--address'] || ':9000', '--address'), route: s3 }];
  if (flags['--console-address']) listeners.push(splitHostPort(flags['--console-address'], '--console-address'));
  for (const d of rest) { try { fs.mkdirSync(d, { recursive: true }); } catch (e) { fatal(`FATAL Unable to use the drive ${d}: ${e.message}`); } }
  listen('minio', listeners);
}

function mcConfigFile() {
  const dir = env.MC_CONFIG_DIR || path.join(env.HOME || '/root', '.mc');
  return { dir, file: path.join(dir, 'config.json') };
}
function mcAliases() {
  const c = mcConfigFile();
  let cfg = { version: '10', aliases: {} };
  try { cfg = JSON.parse(fs.readFileSync(c.file, 'utf8')); } catch (_) { /* defaults */ }
  cfg.aliases = cfg.aliases || {};
  if (!cfg.aliases.local) cfg.aliases.local = { url: 'http://localhost:9000', accessKey: '', secretKey: '' };
  return cfg;
}

function request(method, url, headers) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.code || e.message }));
    req.end();
  });
}

async function runMc(args) {
  const cmd = args[0] || '';
  if (cmd === '' || cmd === '--help' || cmd === '-h') {
    process.stdout.write('NAME:\n  mc - MinIO Client for object storage and filesystems.\n\nUSAGE:\n  mc [FLAGS] COMMAND [COMMAND FLAGS | -h] [ARGUMENTS...]\n');
    return;
  }
  if (cmd === '--version' || cmd === '-v') { process.stdout.write('mc version RELEASE.2025-04-16T18-13-26Z\n'); return; }
  const cfg = mcAliases();
  const alias = (name) => {
    const a = cfg.aliases[name];
    if (!a) fatal(`mc: <ERROR> Unable to find alias \`${name}\`.`);
    return a;
  };
  if (cmd === 'ready') {
    const a = alias(args[1] || 'local');
    for (;;) {
      const r = await request('GET', `${a.url.replace(/\/$/, '')}/minio/health/ready`);
      if (r.status === 200) { process.stdout.write(`The cluster '${args[1] || 'local'}' is ready\n`); return; }
      fatal(`mc: <ERROR> The cluster '${args[1] || 'local'}' is unreachable or not ready (${r.status || r.body})`);
    }
  }
  if (cmd === 'alias' && args[1] === 'set') {
    const [name, url, user, pass] = args.slice(2);
    if (!name || !url) fatal('mc: <ERROR> Incorrect number of arguments for alias set command.');
    if (!/^https?:\/\/[^/]+/.test(url)) fatal(`mc: <ERROR> Invalid URL. URL \`${url}\` for MinIO Client should be of the form scheme://host[:port]/ without resource component.`);
    cfg.aliases[name] = { url: url.replace(/\/$/, ''), accessKey: user || '', secretKey: pass || '' };
    const c = mcConfigFile();
    try { fs.mkdirSync(c.dir, { recursive: true }); fs.writeFileSync(c.file, JSON.stringify(cfg, null, 2)); } catch (e) {
      fatal(`mc: <ERROR> Unable to save new mc config. ${e.message}`);
    }
    process.stdout.write(`Added \`${name}\` successfully.\n`);
    return;
  }
  if (cmd === 'mb') {
    const { flags, rest } = parseFlags(args.slice(1), ['--region']);
    const ignore = flags['--ignore-existing'] || flags['-p'];
    if (!rest.length) fatal('mc: <ERROR> Incorrect number of arguments for mb command.');
    for (const t of rest) {
      const name = t.split('/')[0];
      const bucket = t.slice(name.length + 1).replace(/\/$/, '');
      const a = alias(name);
      const headers = a.accessKey ? { Authorization: `Basic ${Buffer.from(`${a.accessKey}:${a.secretKey}`).toString('base64')}` } : {};
      const r = await request('PUT', `${a.url}/${bucket}`, headers);
      if (r.status === 200) process.stdout.write(`Bucket created successfully \`${t}\`.\n`);
      else if (r.status === 409 && ignore) process.stdout.write(`Bucket \`${t}\` already exists.\n`);
      else if (r.status === 409) fatal(`mc: <ERROR> Unable to make bucket \`${t}\`. Your previous request to create the named bucket succeeded and you already own it.`);
      else if (r.status === 403) fatal(`mc: <ERROR> Unable to make bucket \`${t}\`. The request signature we calculated does not match the signature you provided. Check your key and signing method.`);
      else fatal(`mc: <ERROR> Unable to make bucket \`${t}\`. ${r.status ? `HTTP ${r.status}` : r.body}`);
    }
    return;
  }
  fatal(`mc: <ERROR> '${cmd}' is not supported by the kit's mc stand-in`);
}

// --- logflare (supabase/logflare:1.50.10) ---------------------------------------------------
async function runLogflare(args) {
  const host = env.DB_HOSTNAME;
  if (!host || !(await resolvable(host))) fatal(`** (RuntimeError) Failed to detect IP version for DB_HOSTNAME: ${host || '(unset)'}`);
  if (!env.POSTGRES_BACKEND_URL && !env.GOOGLE_PROJECT_ID) fatal('** (RuntimeError) Missing Google or Backend credentials (POSTGRES_BACKEND_URL)');
  if (env.POSTGRES_BACKEND_URL) {
    const b = dbTarget(env.POSTGRES_BACKEND_URL, '** (RuntimeError) POSTGRES_BACKEND_URL');
    if (!(await resolvable(b.host))) fatal(`** (RuntimeError) Failed to detect IP version for POSTGRES_BACKEND_URL host: ${b.host}`);
  }
  const dbPort = port(env.DB_PORT || '5432', 'DB_PORT');
  if (args[0] === 'eval') {
    await mustReachDb('analytics', host, dbPort, '** (DBConnection.ConnectionError) Logflare.Release.migrate: tcp connect');
    return;
  }
  if (args[0] !== 'start') fatal(`logflare: the kit's stand-in supports only 'eval' and 'start' (got ${args.join(' ')})`);
  listen('analytics', [{ host: '', port: port(env.PHX_HTTP_PORT || env.PORT || '4000', 'PHX_HTTP_PORT') }]);
}

// --- vector (timberio/vector:0.53.0-alpine) -------------------------------------------------
function runVector(args) {
  if (args[0] === '--version' || args[0] === '-V') { process.stdout.write('vector 0.53.0 (x86_64-unknown-linux-musl)\n'); return; }
  const files = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (['--config', '-c', '--config-yaml', '--config-toml', '--config-json'].includes(a)) {
      if (!args[i + 1]) fatal(`error: a value is required for '${a} <CONFIG>' but none was supplied`, 2);
      files.push(args[++i]);
    } else if (/^--config(-yaml|-toml|-json)?=/.test(a)) files.push(a.slice(a.indexOf('=') + 1));
  }
  if (!files.length) files.push(...(env.VECTOR_CONFIG ? env.VECTOR_CONFIG.split(',') : ['/etc/vector/vector.yaml']));
  let api = { enabled: false, address: '127.0.0.1:8686' };
  for (const f of files) {
    let text;
    try { text = fs.readFileSync(f, 'utf8'); } catch (_) { fatal(`ERROR vector::cli: Configuration error. error=Config file not found in path. path="${f}"`, 78); }
    // ${VAR}, ${VAR?err}, ${VAR:?err}, $VAR must be set unless a default (:- / -) is given.
    const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m[0] === '$$') continue;
      const name = m[1] || m[3];
      const mod = m[2] || '';
      if (mod.startsWith(':-') || mod.startsWith('-')) continue;
      if (!isSet(name) || (mod.startsWith(':?') && env[name] === '')) {
        fatal(`ERROR vector::cli: Configuration error. error=Missing environment variable in config. name = "${name}"${mod.includes('?') ? ` (${mod.replace(/^:?\?/, '')})` : ''}`, 78);
      }
    }
    const block = /^api:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(text);
    const inline = /^api:\s*\{([^}]*)\}/m.exec(text);
    const body = block ? block[1] : inline ? inline[1].replace(/,/g, '\n') : null;
    if (body !== null) {
      const en = /^\s*enabled:\s*(\S+)/m.exec(body);
      const ad = /^\s*address:\s*["']?([^"'\s,]+)/m.exec(body);
      if (en) api.enabled = en[1] === 'true';
      if (ad) api.address = ad[1];
    }
  }
  log('vector', `config ${files.join(',')} loaded; api ${api.enabled ? `on ${api.address}` : 'disabled'}`);
  if (!api.enabled) { setInterval(() => {}, 1 << 30); process.on('SIGTERM', () => process.exit(0)); return; }
  const a = splitHostPort(api.address, 'api.address');
  listen('vector', [{ host: a.host, port: a.port }]);
}

// --- supavisor (supabase/supavisor:2.9.12) ---------------------------------------------------
function supavisorConfig() {
  if (!isSet('SECRET_KEY_BASE')) fatal('** (RuntimeError) environment variable SECRET_KEY_BASE is missing.');
  const key = env.VAULT_ENC_KEY;
  if (key === undefined || Buffer.byteLength(key) !== 32) {
    fatal(`** (ArgumentError) VAULT_ENC_KEY must be exactly 32 bytes long (has ${key === undefined ? 'none' : Buffer.byteLength(key)})`);
  }
}

async function runSupavisor(role, args) {
  supavisorConfig();
  if (role === 'migrate' || (role === 'supavisor' && args[0] === 'eval')) {
    if (!env.DATABASE_URL) fatal('** (RuntimeError) environment variable DATABASE_URL is missing.');
    const db = dbTarget(env.DATABASE_URL, '** (RuntimeError) DATABASE_URL');
    if (role === 'supavisor') {
      const code = args[1] || '';
      if (!code.trim()) fatal('** (ArgumentError) supavisor eval: nothing to evaluate');
      if (code.includes('\r')) fatal('** (SyntaxError) invalid syntax found on nofile:1: unexpected token: carriage return (column 0, code point U+000D)');
    }
    await mustReachDb('supavisor', db.host, db.port, '** (DBConnection.ConnectionError) tcp connect');
    return;
  }
  if (role === 'supavisor') fatal(`supavisor: the kit's stand-in supports only 'eval' (got ${args.join(' ')})`);
  listen('supavisor', [
    { host: '', port: port(env.PORT || '4000', 'PORT') },
    { host: '', port: port(env.PROXY_PORT_SESSION || '5432', 'PROXY_PORT_SESSION') },
    { host: '', port: port(env.PROXY_PORT_TRANSACTION || '6543', 'PROXY_PORT_TRANSACTION') },
  ]);
}

// --- dispatch ----------------------------------------------------------------------------
// run(role): role is '<service>' or '<service>:<program>'; argv after the script name.
function run(role) {
  const args = process.argv.slice(2);
  const [service, program] = role.split(':');
  currentService = service;
  currentArgv = [program || service, ...args];
  const go = () => {
    switch (role) {
      case 'kong': return runKong(args);
      case 'kong:nginx': return runNginx(args);
      case 'auth': return runAuth(args);
      case 'rest': return runRest(args);
      case 'realtime:migrate': return runRealtime('migrate', args);
      case 'realtime:realtime': return runRealtime('realtime', args);
      case 'realtime:server': return runRealtime('server', args);
      case 'storage': return runStorage(args);
      case 'imgproxy': return runImgproxy(args);
      case 'studio': return runStudio(args);
      case 'functions': return runEdgeRuntime(args);
      case 'minio': return runMinio(args);
      case 'mc': return runMc(args);
      case 'analytics': return runLogflare(args);
      case 'vector': return runVector(args);
      case 'supavisor:migrate': return runSupavisor('migrate', args);
      case 'supavisor:supavisor': return runSupavisor('supavisor', args);
      case 'supavisor:server': return runSupavisor('server', args);
      default: return fatal(`standin: unknown role ${role}`);
    }
  };
  Promise.resolve().then(go).catch((e) => fatal(`standin ${service}: ${e && e.stack ? e.stack.split('\n')[0] : e}`));
}

module.exports = { run };
