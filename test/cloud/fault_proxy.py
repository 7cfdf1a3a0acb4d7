#!/usr/bin/env python3
"""An HTTP proxy the cloud tests put between pith and moto_server to inject
the answers a real AWS endpoint gives now and then: throttling (429 and
503), server errors (500), refused credentials (403, in EBS's JSON or EC2's
XML form), replies that are not what they claim (truncated XML, broken
JSON) and slowness (so a test can interrupt an upload midway).

Every request is logged, one line each: METHOD PATH STATUS [injected], so a
test can count which blocks were sent when.

With --check-signatures SECRET it also does what AWS does and moto does
not: it recomputes each request's SigV4 signature with botocore (the AWS
SDK's own signer, over the headers the request says it signed, its body
and its X-Amz-Date) and answers 403 SignatureDoesNotMatch when pith's
(libcurl's) differs, logging "badsig".

usage: fault_proxy.py --upstream http://127.0.0.1:PORT --port-file FILE --log FILE
         [--throttle N] [--error5xx N] [--bad-key KEYID] [--malformed xml|json]
         [--delay-ms MS] [--delay-first N] [--check-signatures SECRET]
"""
import argparse
import hmac
import http.client
import re
import http.server
import socketserver
import sys
import threading
import time
import urllib.parse

args = None
lock = threading.Lock()
counts = {"throttle": 0, "error5xx": 0, "delayed": 0}
log_file = None


def take(kind, limit):
    """True while fewer than limit requests got this fault."""
    with lock:
        if counts[kind] < limit:
            counts[kind] += 1
            return counts[kind]
        return 0


def signature_ok(handler, body):
    """Recompute the request's SigV4 signature with botocore; True when it matches."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?"
                     r"SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})", handler.headers.get("Authorization", ""))
    if not m:
        return False
    key, _, region, service, signed, given = m.groups()
    names = signed.split(";")

    class Signer(SigV4Auth):
        def headers_to_sign(self, request):
            hm = super().headers_to_sign(request)
            for n in list(hm.keys()):
                if n not in names:
                    del hm[n]
            return hm

    headers = {k: v for k, v in handler.headers.items() if k.lower() in names}
    req = AWSRequest(method=handler.command, url=f"http://{handler.headers['Host']}{handler.path}",
                     data=body, headers=headers)
    req.context["timestamp"] = handler.headers.get("X-Amz-Date", "")
    signer = Signer(Credentials(key, args.check_signatures, handler.headers.get("X-Amz-Security-Token")),
                    service, region)
    want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
    return hmac.compare_digest(want, given)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def note(self, status, extra=""):
        with lock:
            log_file.write(f"{self.command} {self.path} {status}{' ' + extra if extra else ''}\n")
            log_file.flush()

    def reply(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def is_ebs(self):
        return self.path.startswith("/snapshots")

    def aws_error(self, status, code, message):
        if self.is_ebs():
            self.reply(status, '{"message": "%s"}' % message,
                       [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)])
        else:
            self.reply(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                       f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                       "<RequestID>pith-test</RequestID></Response>", [("Content-Type", "text/xml")])

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        auth = self.headers.get("Authorization", "")
        is_block_put = self.command == "PUT" and "/blocks/" in self.path

        if args.check_signatures and not signature_ok(self, body):
            self.note(403, "badsig")
            return self.aws_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided")
        if args.bad_key and f"Credential={args.bad_key}/" in auth:
            self.note(403, "injected")
            if self.is_ebs():
                return self.aws_error(403, "UnrecognizedClientException",
                                      "The security token included in the request is invalid")
            return self.aws_error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
        if is_block_put and args.throttle:
            n = take("throttle", args.throttle)
            if n:
                self.note(429 if n % 2 else 503, "injected")
                if n % 2:
                    return self.aws_error(429, "ThrottlingException", "Rate exceeded")
                return self.aws_error(503, "RequestThrottledException", "Slow down")
        if args.error5xx and take("error5xx", args.error5xx):
            self.note(500, "injected")
            return self.aws_error(500, "InternalServerException", "We encountered an internal error")
        if is_block_put and args.delay_ms and take("delayed", args.delay_first):
            time.sleep(args.delay_ms / 1000)

        up = urllib.parse.urlsplit(args.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out_headers = [(k, v) for k, v in resp.getheaders()
                       if k.lower() not in ("content-length", "connection", "transfer-encoding", "keep-alive", "date", "server")]
        conn.close()
        if args.malformed == "xml" and not self.is_ebs() and resp.status == 200:
            self.note(resp.status, "malformed")
            return self.reply(200, data[: len(data) // 2], out_headers)
        if args.malformed == "json" and self.is_ebs() and resp.status < 300:
            self.note(resp.status, "malformed")
            return self.reply(resp.status, b'{"SnapshotId": "snap-1", "BlockSize": ', out_headers)
        self.note(resp.status)
        self.reply(resp.status, data, out_headers)

    do_GET = do_PUT = do_POST = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global args, log_file
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--throttle", type=int, default=0)
    p.add_argument("--error5xx", type=int, default=0)
    p.add_argument("--bad-key")
    p.add_argument("--malformed", choices=["xml", "json"])
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--delay-first", type=int, default=1 << 30)
    p.add_argument("--check-signatures", metavar="SECRET")
    args = p.parse_args()
    log_file = open(args.log, "a")
    srv = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
