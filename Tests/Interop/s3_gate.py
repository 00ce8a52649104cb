#!/usr/bin/env python3
"""An S3-compatible server on loopback for MessagingMediaTests: moto's S3 in server mode,
behind a gate that checks AWS Signature Version 4 the way S3 does.

  s3_gate.py ACCESS_KEY SECRET REGION BUCKET

Why the gate: moto accepts any request, signed or not, and does not check a presigned
URL's expiry. The gate refuses (HTTP 403, an S3-style XML error) every request whose
signature botocore's own SigV4 code does not reproduce, whose presigned URL has expired,
that is unsigned, or that names another access key. Signed headers are taken from the
request as received, so a body of another length than a signed Content-Length fails.
Passing requests go to moto unchanged.

Binds 127.0.0.1 on a free port, creates BUCKET, prints "listening PORT" and serves until
killed.
"""
import datetime
import sys
from urllib.parse import parse_qsl, quote

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server
from werkzeug.test import Client

ACCESS, SECRET, REGION, BUCKET = sys.argv[1:5]


def header(environ, name):
    if name == "content-length":
        return environ.get("CONTENT_LENGTH", "")
    if name == "content-type":
        return environ.get("CONTENT_TYPE", "")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def refuse(start_response, code, message):
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode()
    start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def check(environ):
    """None when the request is correctly signed, else (code, message)."""
    method = environ["REQUEST_METHOD"]
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", ""))
    path = raw.split("?", 1)[0]
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    params = dict(query)
    host = environ.get("HTTP_HOST", "")
    authorization = environ.get("HTTP_AUTHORIZATION")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)

    if "X-Amz-Signature" in params:
        credential = params.get("X-Amz-Credential", "").split("/")
        if len(credential) != 5 or credential[0] != ACCESS or credential[2] != REGION:
            return ("InvalidAccessKeyId", "unknown access key or region")
        amz_date = params["X-Amz-Date"]
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        expires = int(params["X-Amz-Expires"])
        if now > signed_at + datetime.timedelta(seconds=expires):
            return ("AccessDenied", "Request has expired")
        names = params["X-Amz-SignedHeaders"].split(";")
        headers = {name: header(environ, name) or "" for name in names}
        operation = [(k, v) for k, v in query if not k.startswith("X-Amz-")]
        url = f"http://{host}{path}"
        if operation:
            url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in operation)
        request = AWSRequest(method=method, url=url, headers=headers)
        request.context["timestamp"] = amz_date
        auth = S3SigV4QueryAuth(Credentials(ACCESS, SECRET, params.get("X-Amz-Security-Token")), "s3", REGION, expires)
        auth._modify_request_before_signing(request)
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if expected != params["X-Amz-Signature"]:
            return ("SignatureDoesNotMatch", "presigned signature does not match")
        return None

    if authorization:
        fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 "):].split(","))
        credential = fields.get("Credential", "").split("/")
        if len(credential) != 5 or credential[0] != ACCESS or credential[2] != REGION:
            return ("InvalidAccessKeyId", "unknown access key or region")
        names = fields["SignedHeaders"].split(";")
        headers = {name: header(environ, name) or "" for name in names}
        amz_date = headers.get("x-amz-date", "")
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        if abs((now - signed_at).total_seconds()) > 900:
            return ("RequestTimeTooSkewed", "request time too far from the server's")
        url = f"http://{host}{raw}"
        request = AWSRequest(method=method, url=url, headers=headers)
        request.context["timestamp"] = amz_date
        auth = S3SigV4Auth(Credentials(ACCESS, SECRET, headers.get("x-amz-security-token")), "s3", REGION)
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if expected != fields["Signature"]:
            return ("SignatureDoesNotMatch", "header signature does not match")
        return None

    return ("AccessDenied", "unsigned request")


def main():
    moto = DomainDispatcherApplication(create_backend_app)
    created = Client(moto).put(f"/{BUCKET}", headers={"Host": "127.0.0.1"})
    if created.status_code != 200:
        raise SystemExit(f"could not create bucket {BUCKET}: {created.status_code}")

    def gate(environ, start_response):
        problem = check(environ)
        if problem:
            return refuse(start_response, *problem)
        return moto(environ, start_response)

    server = make_server("127.0.0.1", 0, gate, threaded=True)
    print(f"listening {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
