#!/usr/bin/env python3
"""Every object of a bucket, read straight from an S3-compatible server (the moto behind
s3_gate.py) with botocore's own client and signer, never through ChatServer:

  s3_objects.py ENDPOINT ACCESS_KEY SECRET REGION BUCKET

Prints one JSON object {"KEY": "BASE64 OF THE BYTES", ...} and exits 0.
"""
import base64
import json
import sys

import botocore.config
import botocore.session

ENDPOINT, ACCESS, SECRET, REGION, BUCKET = sys.argv[1:6]


def main():
    client = botocore.session.get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            objects[item["Key"]] = base64.b64encode(body).decode("ascii")
    json.dump(objects, sys.stdout)


if __name__ == "__main__":
    main()
