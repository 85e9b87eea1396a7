#!/usr/bin/env python3
"""Verifies Portcullis access tokens with PyJWT, an independent JWT implementation.

Usage: verify_with_pyjwt.py BASE_URL AUDIENCE TOKEN...
Reads the issuer from BASE_URL's RFC 8414 metadata, fetches BASE_URL/.well-known/jwks.json, picks
each token's key by kid, and verifies signature, algorithm, issuer, audience, expiry and the
at+jwt type. Exits non-zero on the first failure.
"""
import json
import sys
import urllib.request

import jwt

base, audience, tokens = sys.argv[1], sys.argv[2], sys.argv[3:]
with urllib.request.urlopen(base + "/.well-known/oauth-authorization-server") as response:
    issuer = json.load(response)["issuer"]
jwks = jwt.PyJWKClient(base + "/.well-known/jwks.json", cache_keys=False)
for token in tokens:
    header = jwt.get_unverified_header(token)
    if header.get("typ") != "at+jwt":
        sys.exit(f"typ is {header.get('typ')!r}")
    key = jwks.get_signing_key_from_jwt(token)
    if key.algorithm_name != header["alg"]:
        sys.exit(f"JWKS says {key.algorithm_name}, header says {header['alg']}")
    claims = jwt.decode(
        token, key.key, algorithms=[header["alg"]], audience=audience, issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )
    print(json.dumps({"alg": header["alg"], "kid": header["kid"], "sub": claims["sub"], "bytes": len(token)}))
