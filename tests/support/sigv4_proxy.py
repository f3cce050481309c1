#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A loopback proxy in front of s3rver that checks AWS Signature V4, as S3 does.

s3rver accepts any signature (../shared/facts/s3-testing.md), so a request that real S3 would
refuse could pass a test against it. This proxy recomputes every request's signature from the
AWS documentation's rules (canonical request, string to sign, HMAC key chain), independently
of libcurl, with the secret key it is given; it checks that host, x-amz-date and
x-amz-content-sha256 are signed, and that the payload's SHA-256 is the one signed. A request
that fails gets S3's 403 SignatureDoesNotMatch (or XAmzContentSHA256Mismatch); one that passes
is forwarded to s3rver unchanged.

Usage: sigv4_proxy.py LISTEN_PORT UPSTREAM_PORT ACCESS_KEY SECRET_KEY
Prints "ready" once it listens; a line per refused request goes to stderr.
"""
import hashlib
import hmac
import http.client
import http.server
import sys
import urllib.parse

LISTEN, UPSTREAM, ACCESS, SECRET = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def canonical_query(query):
    pairs = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        pairs.append((enc(urllib.parse.unquote(k)), enc(urllib.parse.unquote(v))))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def hm(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check(method, target, headers, body):
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "AccessDenied", "not signed with AWS4-HMAC-SHA256"
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    cred = fields["Credential"].split("/")
    if cred[0] != ACCESS:
        return "InvalidAccessKeyId", "unknown access key " + cred[0]
    signed = fields["SignedHeaders"].split(";")
    for must in ("host", "x-amz-date", "x-amz-content-sha256"):
        if must not in signed:
            return "AccessDenied", must + " is not signed"
    payload_hash = headers.get("x-amz-content-sha256", "")
    if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
        return "XAmzContentSHA256Mismatch", "the payload is not the one signed"
    path, _, query = target.partition("?")
    canon_headers = ""
    for name in signed:
        value = headers.get(name)
        if value is None:
            return "SignatureDoesNotMatch", "signed header " + name + " was not sent"
        canon_headers += name + ":" + " ".join(value.strip().split()) + "\n"
    request = "\n".join([method, path, canonical_query(query), canon_headers, fields["SignedHeaders"], payload_hash])
    scope = "/".join(cred[1:])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", headers["x-amz-date"], scope,
                         hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in cred[1:]:
        key = hm(key, part)
    if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != fields["Signature"]:
        return "SignatureDoesNotMatch", "the signature does not match"
    return None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        body = b""
        if "Content-Length" in self.headers:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        problem = check(self.command, self.path, self.headers, body)
        if problem:
            code, message = problem
            sys.stderr.write(f"refused {self.command} {self.path}: {code} {message}\n")
            out = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
        conn.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None,
                     headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy)
print("ready", flush=True)
server.serve_forever()
