#!/usr/bin/env python3
"""Checks recorded HTTP exchanges against an OpenAPI 3.1 document.

  openapi_exchanges.py OPENAPI_JSON EXCHANGES_JSON

EXCHANGES_JSON is a list of {method, path, requestContentType, requestBody, status,
contentType, body} (bodies as text), as OpenAPIConformanceTests records them. For each:
  - the operation (method and path template) is documented;
  - the answer's status is documented for it;
  - a JSON answer validates against the documented schema of that status and media type
    (JSON Schema 2020-12, formats checked), error answers included;
  - a JSON request body the server accepted (2xx) validates against the request schema.
Prints one line per problem, then the operations no exchange used
("operations not exercised: none" when all were), and exits 1 when there was a problem.
"""
import json
import sys

from jsonschema import Draft202012Validator

METHODS = ("get", "put", "post", "delete", "patch")


def operations(document):
    """(METHOD, template segments, template) for every documented operation."""
    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                found.append((method.upper(), template.split("/"), template, operation))
    return found


def match(documented, method, path):
    segments = path.split("?", 1)[0].split("/")
    for candidate_method, template_segments, template, operation in documented:
        if candidate_method != method or len(template_segments) != len(segments):
            continue
        if all(t.startswith("{") or t == s for t, s in zip(template_segments, segments)):
            return template, operation
    return None, None


def media_schema(content, content_type):
    """The schema for a media type (parameters ignored; `*/*` and `type/*` match)."""
    if not content:
        return None, False
    base = (content_type or "").split(";", 1)[0].strip().lower()
    for key in (base, base.split("/", 1)[0] + "/*", "*/*"):
        if key in content:
            return content[key].get("schema"), True
    return None, False


def validator(document, schema):
    # `#/components/...` references resolve against the root of the schema they appear in:
    # carry the components along (an unknown keyword to JSON Schema, so it validates nothing).
    rooted = dict(schema)
    rooted["components"] = document.get("components", {})
    return Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER)


def is_json(content_type):
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def main():
    document = json.load(open(sys.argv[1]))
    exchanges = json.load(open(sys.argv[2]))
    documented = operations(document)
    problems = []
    used = set()
    validated_answers = validated_requests = 0
    for exchange in exchanges:
        method, path, status = exchange["method"], exchange["path"], exchange["status"]
        where = f"{method} {path} -> {status}"
        template, operation = match(documented, method, path)
        if template is None:
            problems.append(f"{where}: no documented operation")
            continue
        used.add(f"{method} {template}")
        responses = operation.get("responses", {})
        response = responses.get(str(status))
        if response is None:
            problems.append(f"{where}: status {status} is not documented for {method} {template} (documented: {sorted(responses)})")
            continue
        content = response.get("content")
        schema, listed = media_schema(content, exchange.get("contentType"))
        if content and not listed and exchange["body"]:
            problems.append(f"{where}: answered {exchange.get('contentType')!r}, documented {sorted(content)}")
        if schema is not None and is_json(exchange.get("contentType")) and exchange["body"]:
            try:
                body = json.loads(exchange["body"])
            except ValueError:
                problems.append(f"{where}: the answer is not JSON: {exchange['body'][:200]!r}")
                continue
            errors = sorted(validator(document, schema).iter_errors(body), key=lambda e: list(e.absolute_path))
            for error in errors[:3]:
                at = "/".join(str(p) for p in error.absolute_path) or "(root)"
                problems.append(f"{where}: answer at {at}: {error.message[:300]}")
            validated_answers += 1
        elif content is None and exchange["body"] and 200 <= status < 300:
            problems.append(f"{where}: documented without a body, answered {exchange['body'][:120]!r}")
        request_body = exchange.get("requestBody")
        if 200 <= status < 300 and request_body and is_json(exchange.get("requestContentType")):
            request_schema, _ = media_schema(operation.get("requestBody", {}).get("content"), "application/json")
            if request_schema is None:
                problems.append(f"{where}: the server accepted a JSON body the document does not describe")
            else:
                errors = list(validator(document, request_schema).iter_errors(json.loads(request_body)))
                for error in errors[:3]:
                    problems.append(f"{where}: the accepted request body does not match its schema: {error.message[:300]}")
                validated_requests += 1
    for problem in problems:
        print(problem)
    every = {f"{m} {t}" for m, _, t, _ in documented}
    missing = sorted(every - used)
    print(f"{len(exchanges)} exchanges: {validated_answers} JSON answers and {validated_requests} request bodies validated, "
          f"{len(used)} of {len(every)} operations used, {len(problems)} problems")
    print("operations not exercised: " + (", ".join(missing) if missing else "none"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
