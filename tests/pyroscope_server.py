#!/usr/bin/env python3
"""A loopback stand-in for Grafana Pyroscope's HTTP ingest API, for tests: it checks each
request as Pyroscope's documentation describes it and keeps what it received.

POST /ingest with the query parameters name (required), from and until (required, Unix
seconds, from <= until), format=pprof, sampleRate (a positive integer when present); a
multipart/form-data body (boundary from Content-Type) with a "profile" file part (gzip data)
and, optionally, a "sample_type_config" file part holding a JSON object whose entries have a
"units" string. A request that passes is answered 200 and stored in DIR as N.query (the
decoded query, one "key=value" a line), N.pb.gz (the profile) and N.json (the config); one
that fails is answered 400 with the reason, also written to DIR/errors. An application name
containing "reject" is answered 500, for tests of failures.

usage: pyroscope_server.py DIR   (prints the port it listens on to DIR/port)
"""
import http.server
import json
import os
import sys
import urllib.parse

DIR = sys.argv[1]
count = [0]


def parts(body, boundary):
    """Splits a multipart body into {name: (filename, content_type, data)}."""
    out = {}
    delim = b"--" + boundary
    if not body.startswith(delim):
        raise ValueError("the body does not start with the boundary")
    chunks = body.split(delim)
    if chunks[-1].strip() not in (b"--", b"--\r\n") and not chunks[-1].startswith(b"--"):
        raise ValueError("no closing boundary")
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError("a part is not framed by CRLF")
        head, sep, data = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part without headers")
        headers = {}
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        if not disp.startswith("form-data"):
            raise ValueError("a part is not form-data: " + disp)
        params = {}
        for p in disp.split(";")[1:]:
            k, _, v = p.strip().partition("=")
            params[k] = v.strip('"')
        out[params.get("name")] = (params.get("filename"), headers.get("content-type"), data)
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, text):
        data = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def fail(self, why):
        with open(os.path.join(DIR, "errors"), "a") as f:
            f.write(why + "\n")
        self.answer(400, why)

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length", "-1"))
            if length < 0:
                return self.fail("no Content-Length")
            body = self.rfile.read(length)
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/ingest":
                return self.fail("path " + url.path)
            q = dict(urllib.parse.parse_qsl(url.query, strict_parsing=True))
            for k in ("name", "from", "until"):
                if k not in q:
                    return self.fail("missing " + k)
            if not q["from"].isdigit() or not q["until"].isdigit() or int(q["from"]) > int(q["until"]):
                return self.fail("bad from/until %s %s" % (q["from"], q["until"]))
            if q.get("format") != "pprof":
                return self.fail("format " + str(q.get("format")))
            if "sampleRate" in q and not (q["sampleRate"].isdigit() and int(q["sampleRate"]) > 0):
                return self.fail("sampleRate " + q["sampleRate"])
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("multipart/form-data; boundary="):
                return self.fail("content type " + ctype)
            p = parts(body, ctype.split("boundary=", 1)[1].encode())
            if "profile" not in p or not p["profile"][0]:
                return self.fail("no profile file part")
            if p["profile"][2][:2] != b"\x1f\x8b":
                return self.fail("the profile is not gzip")
            cfg = {}
            if "sample_type_config" in p:
                cfg = json.loads(p["sample_type_config"][2])
                for k, v in cfg.items():
                    if not isinstance(v.get("units"), str):
                        return self.fail("sample type %s without units" % k)
            if "reject" in q["name"]:
                return self.answer(500, "rejected by the test server")
            count[0] += 1
            base = os.path.join(DIR, str(count[0]))
            with open(base + ".query", "w") as f:
                for k in sorted(q):
                    f.write("%s=%s\n" % (k, q[k]))
                f.write("tenant=%s\n" % self.headers.get("X-Scope-OrgID", ""))
            with open(base + ".pb.gz", "wb") as f:
                f.write(p["profile"][2])
            with open(base + ".json", "w") as f:
                json.dump(cfg, f)
            self.answer(200, "")
        except Exception as e:  # a malformed request is a test failure, said in errors
            self.fail("exception: %r" % (e,))


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
