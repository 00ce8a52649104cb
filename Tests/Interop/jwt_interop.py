"""PyJWT side of the MessagingAuth interoperability test.

Reads one JSON request from stdin and writes one JSON answer to stdout:

  {"command": "verify", "token": ..., "public_key_hex": ..., "issuer": ..., "audience": ...}
      -> {"header": {...}, "claims": {...}}   (PyJWT's checks: signature, exp, nbf, iat, iss, aud)
  {"command": "sign", "seed_hex": ..., "kid": ..., "claims": {...}}
      -> {"token": "..."}
  {"command": "verify_jwks", "token": ..., "jwks": {...}, "issuer": ..., "audience": ...}
      -> {"header": {...}, "claims": {...}}   (the key is the JWKS entry the token's kid names;
                                               nothing else is known about the keys)

Errors are reported as {"error": "<exception class>: <message>"} with exit status 1.
"""

import json
import sys

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def verify(request):
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(request["public_key_hex"]))
    claims = jwt.decode(
        request["token"],
        key,
        algorithms=["EdDSA"],
        issuer=request["issuer"],
        audience=request["audience"],
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
    )
    return {"header": jwt.get_unverified_header(request["token"]), "claims": claims}


def verify_jwks(request):
    key_set = jwt.PyJWKSet.from_dict(request["jwks"])
    kid = jwt.get_unverified_header(request["token"])["kid"]
    matching = [key for key in key_set.keys if key.key_id == kid]
    if len(matching) != 1:
        raise LookupError(f"the JWKS has {len(matching)} keys with kid {kid!r}")
    claims = jwt.decode(
        request["token"],
        matching[0].key,
        algorithms=["EdDSA"],
        issuer=request["issuer"],
        audience=request["audience"],
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
    )
    return {"header": jwt.get_unverified_header(request["token"]), "claims": claims}


def sign(request):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(request["seed_hex"]))
    token = jwt.encode(request["claims"], key, algorithm="EdDSA", headers={"kid": request["kid"]})
    return {"token": token}


def main():
    request = json.load(sys.stdin)
    try:
        answer = {"verify": verify, "verify_jwks": verify_jwks, "sign": sign}[request["command"]](request)
    except Exception as error:  # reported to the Swift side, which fails the test
        json.dump({"error": f"{type(error).__name__}: {error}"}, sys.stdout)
        return 1
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
