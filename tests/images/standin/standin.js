// SPDX-License-Identifier: Apache-2.0
// supactl image kit: the one HTTP stand-in behind every image the kit cannot build for real.
// Listens on STANDIN_PORTS (comma-separated), answers 200 on every path (HEAD included), and
//   GET /__standin/env      -> {"service","env","argv"}
//   GET /__standin/buckets  -> buckets created with PUT /<bucket> (the minio stand-in)
//   PUT /<bucket>           -> records a bucket; 409 if it exists (S3 BucketAlreadyOwnedByYou)
// Unhealthy on demand: while /tmp/standin-unhealthy exists or STANDIN_UNHEALTHY=1, every path
// outside /__standin/ answers 500, so health checks (and the health shims) fail.
'use strict';
const http = require('http');
const fs = require('fs');

const service = process.env.STANDIN_SERVICE || 'stand-in';
const ports = (process.env.STANDIN_PORTS || '8080')
  .split(',').map((p) => parseInt(p, 10)).filter((p) => p > 0);
const argv = process.argv.slice(2);
const bucketFile = '/tmp/standin-buckets.json';
let buckets = [];
try { buckets = JSON.parse(fs.readFileSync(bucketFile, 'utf8')); } catch (_) { buckets = []; }

function unhealthy() {
  return process.env.STANDIN_UNHEALTHY === '1' || fs.existsSync('/tmp/standin-unhealthy');
}

function send(req, res, status, body) {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'X-Standin-Service': service,
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function handle(req, res) {
  const url = new URL(req.url, 'http://standin');
  const path = url.pathname;
  if (path === '/__standin/env') return send(req, res, 200, { service, env: process.env, argv });
  if (path === '/__standin/buckets') return send(req, res, 200, { service, buckets });
  if (path === '/__standin/health') {
    return send(req, res, unhealthy() ? 500 : 200, { service, healthy: !unhealthy() });
  }
  if (unhealthy()) return send(req, res, 500, { service, path, healthy: false });
  if (req.method === 'PUT' && /^\/[A-Za-z0-9._-]+\/?$/.test(path)) {
    const name = path.replace(/\//g, '');
    if (buckets.includes(name)) {
      return send(req, res, 409, { code: 'BucketAlreadyOwnedByYou', bucket: name });
    }
    buckets.push(name);
    try { fs.writeFileSync(bucketFile, JSON.stringify(buckets)); } catch (_) { /* memory only */ }
    return send(req, res, 200, { service, bucket: name, created: true });
  }
  return send(req, res, 200, { service, stand_in: true, method: req.method, path });
}

for (const port of ports) {
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => handle(req, res));
  });
  server.on('error', (err) => {
    console.error(`standin ${service}: port ${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, '0.0.0.0', () => {
    console.log(`standin ${service}: listening on ${port} (argv: ${JSON.stringify(argv)})`);
  });
}

function stop() { process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
