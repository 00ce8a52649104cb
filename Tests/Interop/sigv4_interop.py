#!/usr/bin/env python3
"""Reference SigV4 signatures from botocore, for MessagingMediaTests.

  sigv4_interop.py CASES.json OUT.json

CASES.json is a list of cases written by the Swift test (SigV4InteropTests.swift). For
each case this script asks botocore for the same request, signed at the case's fixed time:

  kind "presign": a botocore S3 client's generate_presigned_url (the client a Python
                  application would use), with the case's endpoint, addressing style,
                  region, credentials, expiry and parameters;
  kind "header":  botocore's S3SigV4Auth on an AWSRequest (the Authorization-header form).

OUT.json is a list, in the same order, of {"url": ...} or {"headers": {...}}.
The signing time is frozen by replacing botocore.auth.get_current_datetime, the function
the SigV4 signers read the clock from.
"""
import datetime
import json
import sys

import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

OPERATIONS = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object", "DELETE": "delete_object"}


def freeze(timestamp):
    fixed = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed


def presign(case):
    session = botocore.session.get_session()
    client = session.create_client(
        "s3",
        region_name=case["region"],
        endpoint_url=case["endpoint"],
        aws_access_key_id=case["accessKeyID"],
        aws_secret_access_key=case["secret"],
        aws_session_token=case.get("sessionToken"),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "virtual" if case["style"] == "virtualHosted" else "path"},
            request_checksum_calculation="when_required",
        ),
    )
    params = {"Bucket": case["bucket"], "Key": case["key"]}
    if case.get("contentType"):
        params["ContentType"] = case["contentType"]
    if case.get("contentLength") is not None:
        params["ContentLength"] = case["contentLength"]
    if case.get("sse"):
        params["ServerSideEncryption"] = case["sse"]
    if case.get("sseKMSKeyID"):
        params["SSEKMSKeyId"] = case["sseKMSKeyID"]
    if case.get("responseContentType"):
        params["ResponseContentType"] = case["responseContentType"]
    if case.get("responseContentDisposition"):
        params["ResponseContentDisposition"] = case["responseContentDisposition"]
    return {"url": client.generate_presigned_url(OPERATIONS[case["method"]], Params=params, ExpiresIn=case["expires"])}


def header(case):
    style = case["style"]
    scheme, host = case["endpoint"].split("://", 1)
    quoted = botocore.auth.quote(case["key"], safe="/~")
    if style == "virtualHosted":
        url = f"{scheme}://{case['bucket']}.{host}/{quoted}"
    else:
        url = f"{scheme}://{host}/{case['bucket']}/{quoted}"
    request = AWSRequest(method=case["method"], url=url, headers={"X-Amz-Content-SHA256": botocore.auth.EMPTY_SHA256_HASH})
    credentials = Credentials(case["accessKeyID"], case["secret"], case.get("sessionToken"))
    botocore.auth.S3SigV4Auth(credentials, "s3", case["region"]).add_auth(request)
    return {"headers": {k.lower(): v for k, v in request.headers.items()}}


def main():
    cases = json.load(open(sys.argv[1]))
    out = []
    for case in cases:
        freeze(case["time"])
        out.append(presign(case) if case["kind"] == "presign" else header(case))
    json.dump(out, open(sys.argv[2], "w"), indent=1)
    print(f"ok {len(out)} cases")


if __name__ == "__main__":
    main()
