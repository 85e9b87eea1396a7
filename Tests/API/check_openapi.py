#!/usr/bin/env python3
"""Route-by-route check of docs/openapi.yaml against a running Portcullis.

Usage: Tests/API/check_openapi.py PATH/TO/portcullis

1. The set of `METHOD /path` lines printed by `portcullis routes` must equal the set of operations
   in docs/openapi.yaml (both differences are listed otherwise).
2. Scenarios against throwaway servers (each on a free loopback port in a temporary directory,
   mail written to .eml files, cheap password hashing, throttles on) exercise every documented
   operation at least once with a 2xx/3xx answer, and the main error answers: 400 (malformed body,
   weak password, bad token), 401 (no credentials, bad bearer token, invalid_client, wrong or used
   second-factor code, used mfa_token or one ended by a change of factors), 403 (CSRF, cross-site,
   not an admin, unverified email, wrong password), 404, 409, 413, 415, 429 with Retry-After, 431,
   503 with mail off, and the OAuth errors (invalid_grant, invalid_request, invalid_target,
   unsupported_grant_type, refresh-token reuse, mfa_required). Two-step verification is driven with
   TOTP codes from pyotp, an authenticator that is not Portcullis's; passkeys (WebAuthn) with a
   software authenticator written here (software_passkey.py: P-256 keys from `cryptography`), whose
   ceremonies are also bent to be refused (another origin or relying party, no user verification, a
   bad signature, a replay, a counter that did not increase, another session's challenge, no user
   handle for a passkey alone, a credential id under 16 bytes). The rules on the password for a
   change of passkeys are checked both ways: a bearer caller always gives it (a token's auth_time
   never counts as a recent sign-in), and so does the removal of the account's last second factor
   (its only passkey while the authenticator app is off), on the API and on the account page. A
   sign-in over 15 minutes old (which makes changes of factors ask for the password) is not
   produced: only the recent case is.
   The servers: the main one; one with `--mail off`; one with `--require-verified-email on`; one
   with a tight registration throttle and no refresh-token grace; one whose public URL is
   `http://localhost:PORT` for the passkeys (the relying-party id is the public URL's host, and
   browsers refuse an IP address there).

Every answer is validated with openapi-core against the spec: its status must be listed explicitly
for the operation (not only through `default`), its content type documented, its body valid, its
documented headers present and valid; plus the rules the spec states for all answers (security
headers, `Cache-Control: no-store`, a CSP on every page, a problem's `status` equal to the answer's,
no error echoing a secret the request sent). Each step also states the answer it expects.

Exits 1 listing every operation never answered with success, every unexpected answer and every
spec mismatch; 0 otherwise. Runs in about 15-30 s. API_CHECK_VERBOSE=1 also lists the documented
(operation, status) pairs no step produced; API_TESTS_KEEP_TMP=1 keeps the servers' directories.
"""
import email
import email.policy
import http.cookiejar
import json
import os
import re
import sys
import time
import traceback
import urllib.parse
from pathlib import Path

import pyotp
import requests
import yaml
from jsonschema import Draft202012Validator
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads, plain_loads
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from portcullis_server import Server, stop_on_signals  # noqa: E402
from software_passkey import SoftwarePasskey, b64url, b64url_decode  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COOKIE = "__Host-portcullis_session"
PASSWORD = "Tangerine-Kettle-Harbour-42"
NEW_PASSWORD = "Marble-Orchard-Lantern-77"
TIMEOUT = 15


# ---------------------------------------------------------------------------------------------
# 1. routes versus spec
# ---------------------------------------------------------------------------------------------
def spec_operations(spec):
    ops = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                ops[(method.upper(), path)] = op
    return ops


def check_routes(binary, spec):
    import subprocess
    result = subprocess.run([binary, "routes"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return set(), [f"`{binary} routes` failed ({result.returncode}): {result.stderr.strip()[:300]}"]
    out = result.stdout
    routes = set()
    for line in out.splitlines():
        if line.strip():
            method, path = line.split(None, 1)
            routes.add((method.upper(), path.strip()))
    documented = set(spec_operations(spec))
    problems = []
    for m, p in sorted(routes - documented, key=lambda x: (x[1], x[0])):
        problems.append(f"served but not documented: {m} {p}")
    for m, p in sorted(documented - routes, key=lambda x: (x[1], x[0])):
        problems.append(f"documented but not served: {m} {p}")
    return routes, problems


# ---------------------------------------------------------------------------------------------
# openapi-core adapters: we build the request and response objects ourselves so that the Cookie
# header is ours (no cookie jar) and a streamed body can be cut short.
# ---------------------------------------------------------------------------------------------
def parse_cookie_header(value):
    cookies = {}
    for part in (value or "").split(";"):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            cookies[k] = v
    return cookies


class CoreRequest:
    def __init__(self, prepared):
        url = urllib.parse.urlsplit(prepared.url)
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = prepared.method.lower()
        body = prepared.body
        self.body = body.encode() if isinstance(body, str) else body
        self.content_type = (prepared.headers.get("Content-Type") or "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
            header=Headers(dict(prepared.headers)),
            cookie=ImmutableMultiDict(parse_cookie_header(prepared.headers.get("Cookie"))),
        )


class CoreResponse:
    def __init__(self, response, data):
        self.data = data
        self.status_code = response.status_code
        self.content_type = response.headers.get("Content-Type", "")
        # requests folds repeated headers into one "a, b" value; Portcullis sends each once.
        self.headers = Headers(dict(response.headers))


def describe_error(e):
    text = f"{type(e).__name__}: {e}"
    cause = e.__cause__
    seen = 0
    while cause is not None and seen < 3:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for se in list(schema_errors)[:5]:
                where = "/".join(str(p) for p in se.absolute_path) or "(root)"
                text += f"\n        at {where}: {se.message[:300]}"
        else:
            text += f"\n        caused by {type(cause).__name__}: {str(cause)[:300]}"
        cause = cause.__cause__
        seen += 1
    return text


# ---------------------------------------------------------------------------------------------
# The API client that validates every answer
# ---------------------------------------------------------------------------------------------
class Checker:
    def __init__(self, base, spec):
        self.base = base
        self.spec = spec
        self.ops = spec_operations(spec)
        runtime_spec = json.loads(json.dumps(spec))
        runtime_spec["servers"] = [{"url": base}]
        # openapi-core only knows a few media types: problem documents are JSON; CSS, script and SSE text.
        config = Config(extra_media_type_deserializers={
            "application/problem+json": json_loads, "text/css": plain_loads, "text/javascript": plain_loads,
            "text/event-stream": plain_loads,
        })
        self.openapi = OpenAPI.from_dict(runtime_spec, config=config)
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.cookies.set_policy(_NoCookies())
        self.succeeded = {k: 0 for k in self.ops}
        self.calls = {k: 0 for k in self.ops}
        self.statuses = {k: set() for k in self.ops}
        self.mismatches = []     # the answer contradicts the spec
        self.unexpected = []     # the answer is not the one the scenario expects
        self.count = 0

    def schema_of(self, name):
        return self.spec["components"]["schemas"][name]

    def call(self, method, template, *, path=None, query=None, headers=None, json_body=None, form=None,
             data=None, content_type=None, cookie=None, csrf=None, bearer=None, basic=None, expect=None,
             expect_headers=(), forbid_headers=(), label="", stream_until=None, check_request=False,
             allow_echo=(), expect_json=None):
        """Sends one request and validates its answer against the spec.

        `template` names the documented operation (`path` is the concrete path when it differs);
        `expect` is the status the scenario expects (an int or a tuple), `expect_json` members the
        JSON answer must have, `expect_headers`/`forbid_headers` headers it must (not) carry.
        `check_request` also validates the request against the spec (for requests the server is
        meant to accept). `stream_until` is (predicate on the bytes read so far, seconds) for
        endless answers. `allow_echo` names request fields an error page may legitimately repeat."""
        method = method.upper()
        key = (method, template)
        if key not in self.ops:
            raise KeyError(f"not a documented operation: {method} {template}")
        url_path = path or template
        h = {"User-Agent": "portcullis-api-check/1"}
        if cookie:
            h["Cookie"] = f"{COOKIE}={cookie}"
        if csrf:
            h["X-CSRF-Token"] = csrf
        if bearer:
            h["Authorization"] = f"Bearer {bearer}"
        if basic:
            h["Authorization"] = requests.auth._basic_auth_str(*basic)
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = data if isinstance(data, bytes) else data.encode()
        if content_type is not None:
            h["Content-Type"] = content_type
        h.update(headers or {})
        request = requests.Request(method, self.base + url_path, params=query, headers=h, data=body)
        prepared = self.http.prepare_request(request)
        if body is None and method in ("POST", "PUT", "PATCH", "DELETE"):
            prepared.headers["Content-Length"] = "0"
        name = f"{method} {url_path}" + (f" [{label}]" if label else "")
        self.count += 1
        self.calls[key] += 1
        if stream_until is not None:
            response = self.http.send(prepared, stream=True, timeout=(5, 5), allow_redirects=False)
            raw = b""
            deadline = time.monotonic() + stream_until[1]
            try:
                for chunk in response.iter_content(chunk_size=None):
                    raw += chunk
                    if stream_until[0](raw) or time.monotonic() > deadline:
                        break
            except requests.exceptions.ConnectionError:
                pass  # read timeout: keep what arrived
            finally:
                response.close()
            response._content = raw
        else:
            response = self.http.send(prepared, timeout=TIMEOUT, allow_redirects=False)
            raw = response.content
        status = response.status_code
        self.statuses[key].add(status)
        if 200 <= status < 400:
            self.succeeded[key] += 1

        if expect is not None:
            expected = expect if isinstance(expect, tuple) else (expect,)
            if status not in expected:
                snippet = raw[:300].decode("utf-8", "replace")
                self.unexpected.append(f"{name}: expected {'/'.join(map(str, expected))}, got {status}: {snippet}")

        expected_status = expect is None or status in (expect if isinstance(expect, tuple) else (expect,))
        if expect_json is not None and expected_status:
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
            answer = answer if isinstance(answer, dict) else {}
            wrong = {k: answer.get(k) for k, v in expect_json.items() if answer.get(k) != v}
            if wrong:
                self.unexpected.append(f"{name}: expected {expect_json}, got {wrong}")

        problems = []
        op = self.ops[key]
        documented = set(op.get("responses", {}))
        if str(status) not in documented:
            problems.append(f"status {status} is not listed for this operation (only `default` covers it)"
                            if "default" in documented else f"status {status} is not documented")
        try:
            for error in self.openapi.iter_response_errors(CoreRequest(prepared), CoreResponse(response, raw)):
                problems.append(describe_error(error))
        except Exception as e:  # a validator crash is a finding too
            problems.append(f"validator raised {describe_error(e)}")
        for header in expect_headers:
            if header not in response.headers:
                problems.append(f"header {header} missing")
        for header in forbid_headers:
            if header in response.headers:
                problems.append(f"header {header} present: {response.headers[header]!r}")
        problems += self.common_problems(response, raw, status, h, json_body, form, allow_echo)
        if check_request:
            try:
                for error in self.openapi.iter_request_errors(CoreRequest(prepared)):
                    problems.append("request (sent by this check, accepted by the server) does not match "
                                    "the spec: " + describe_error(error))
            except Exception as e:
                problems.append(f"request validator raised {describe_error(e)}")
        if problems:
            self.mismatches.append(f"{name} -> {status}:\n      " + "\n      ".join(problems))
        return response

    # Headers every answer carries, and what the API description promises for all answers.
    SECURITY_HEADERS = {
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    }
    OWN_CACHE_CONTROL = {
        "/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/assets/portcullis.css",
        "/assets/passkeys.js",
    }
    SECRET_FIELDS = ("password", "current_password", "new_password", "token", "refresh_token", "csrf_token",
                     "mfa_token", "code", "otp")

    def common_problems(self, response, raw, status, sent_headers, json_body, form, allow_echo=()):
        problems = []
        for name, value in self.SECURITY_HEADERS.items():
            if response.headers.get(name) != value:
                problems.append(f"header {name} is {response.headers.get(name)!r}, not {value!r}")
        path = urllib.parse.urlsplit(response.url).path
        if path not in self.OWN_CACHE_CONTROL or status >= 400:
            if response.headers.get("Cache-Control") != "no-store":
                problems.append(f"Cache-Control is {response.headers.get('Cache-Control')!r}, not 'no-store'")
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media == "text/html" and "Content-Security-Policy" not in response.headers:
            problems.append("a page without Content-Security-Policy")
        if media == "application/problem+json":
            try:
                if json.loads(raw).get("status") != status:
                    problems.append(f"the problem document's status is not {status}")
            except (ValueError, AttributeError):
                pass  # the schema check reports it
        if path.startswith("/v1/token") and media == "application/json" and status >= 400:
            if response.headers.get("Pragma") != "no-cache":
                problems.append(f"an OAuth error without Pragma: no-cache ({response.headers.get('Pragma')!r})")
        if status >= 400:
            # No error echoes a token, password or cookie that the request carried.
            secrets = []
            cookie = sent_headers.get("Cookie", "")
            secrets += [v for k, v in parse_cookie_header(cookie).items()]
            auth = sent_headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                secrets.append(auth[7:])
            for fields in (json_body, form):
                if isinstance(fields, dict):
                    secrets += [v for k, v in fields.items()
                                if k in self.SECRET_FIELDS and k not in allow_echo and isinstance(v, str)]
            text = raw.decode("utf-8", "replace")
            for secret in secrets:
                if len(secret) >= 8 and secret in text:
                    problems.append(f"the error answer echoes a secret the request sent ({secret[:6]}...)")
        return problems

    def json(self, response):
        try:
            return response.json()
        except ValueError:
            return {}


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """No cookie jar: each step sends exactly the Cookie header it means to."""

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


# ---------------------------------------------------------------------------------------------
# Mail
# ---------------------------------------------------------------------------------------------
class Mailbox:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.seen = set()

    def wait_for(self, to, subject_words, timeout=20.0):
        """The first unseen message to `to` whose subject contains `subject_words`; its text part."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(self.folder.glob("*.eml")):
                if path in self.seen:
                    continue
                try:
                    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                except Exception:
                    continue  # still being written
                if message["To"] and to.lower() in str(message["To"]).lower() and \
                        subject_words.lower() in str(message["Subject"]).lower():
                    self.seen.add(path)
                    part = message.get_body(preferencelist=("plain",))
                    return str(message["Subject"]), part.get_content()
            time.sleep(0.1)
        raise RuntimeError(f"no mail to {to} about {subject_words!r} within {timeout:.0f} s")

    def link_token(self, to, subject_words, page):
        subject, text = self.wait_for(to, subject_words)
        m = re.search(re.escape(page) + r"\?token=([A-Za-z0-9_-]+)", text)
        if not m:
            raise RuntimeError(f"no {page} link in the mail {subject!r}")
        return m.group(1)


def hidden_csrf(html):
    m = re.search(r'name="csrf_token"\s+value="([^"]+)"', html) \
        or re.search(r'value="([^"]+)"\s+name="csrf_token"', html)
    return m.group(1) if m else None


def hidden_mfa_token(html):
    m = re.search(r'name="mfa_token"\s+value="([^"]+)"', html)
    return m.group(1) if m else None


def totp_code(secret, steps=0):
    """The authenticator app's code for the 30-second step `steps` away from now (the server takes the
    codes of the steps just before and after the current one too, for clock drift), computed at least
    1.5 s before a step ends, so that the server judges it in the same step."""
    if time.time() % 30 > 28.5:
        time.sleep(30 - time.time() % 30 + 0.05)
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def wrong_codes(secret, count=1):
    """Six-digit codes that are not the code of any step near now."""
    near = {pyotp.TOTP(secret).at(time.time() + 30 * k) for k in range(-3, 4)}
    return [code for code in (f"{n:06d}" for n in range(count + len(near))) if code not in near][:count]


def wrong_code(secret):
    return wrong_codes(secret)[0]


def set_cookie_value(response):
    m = re.search(COOKIE + r"=([^;]*)", response.headers.get("Set-Cookie", ""))
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------
# 2. the scenario
# ---------------------------------------------------------------------------------------------
def scenario(c: Checker, server: Server):
    mail = Mailbox(server.mail_dir)
    J = "application/json"

    # -- operations endpoints and discovery ---------------------------------------------------
    c.call("GET", "/healthz", expect=200)
    c.call("GET", "/readyz", expect=200)
    c.call("GET", "/metrics", expect=200)
    c.call("GET", "/.well-known/jwks.json", expect=200, expect_headers=("Cache-Control",))
    c.call("GET", "/.well-known/oauth-authorization-server", expect=200, expect_headers=("Cache-Control",))
    r = c.call("GET", "/login", expect=200)
    m = re.search(r'href="(/assets/portcullis\.css\?v=[^"]+)"', r.text)
    css = urllib.parse.urlsplit(m.group(1)) if m else None
    c.call("GET", "/assets/portcullis.css", query={"v": urllib.parse.parse_qs(css.query)["v"][0]} if css else None,
           expect=200, expect_headers=("Cache-Control",))
    # The sign-in page offers passkeys: it loads the one script, by a digest address, and its policy allows it.
    m = re.search(r'<script src="(/assets/passkeys\.js\?v=[^"]+)" defer>', r.text)
    if not m or 'data-passkey="sign-in"' not in r.text or "script-src 'self'" not in \
            r.headers.get("Content-Security-Policy", ""):
        c.unexpected.append("GET /login: no passkey script, passkey button or script-src in the policy")
    script = urllib.parse.urlsplit(m.group(1)) if m else None
    r = c.call("GET", "/assets/passkeys.js",
               query={"v": urllib.parse.parse_qs(script.query)["v"][0]} if script else None,
               expect=200, expect_headers=("Cache-Control",))
    if not r.headers.get("Content-Type", "").startswith("text/javascript") or "/v1/webauthn/login" not in r.text:
        c.unexpected.append(f"GET /assets/passkeys.js: not the passkey script ({r.headers.get('Content-Type')})")
    c.call("GET", "/healthz", bearer="not-a-jwt", expect=401, expect_headers=("WWW-Authenticate",),
           label="a bad bearer token on a public route")

    # -- rules for every route: a bad bearer token is 401, a cross-site unsafe request is 403 ------
    for i, ((method, template), _op) in enumerate(sorted(c.ops.items(), key=lambda kv: (kv[0][1], kv[0][0]))):
        if template == "/v1/revocations/stream":
            continue  # its 200 is an endless stream; the refusals below are immediate, though
        path = template.replace("{id}", "some-id")
        c.call(method, template, path=path, bearer="eyJhbGciOiJFZERTQSJ9.e30.AAAA", expect=401,
               expect_headers=("WWW-Authenticate",), label="bad bearer token on every route")
        if method != "GET":
            site = ("cross-site", "same-site")[i % 2]
            c.call(method, template, path=path, headers={"Sec-Fetch-Site": site}, expect=403,
                   expect_json={"title": "CSRF check failed"}, label=f"Sec-Fetch-Site: {site} on every unsafe route")
    c.call("GET", "/v1/revocations/stream", bearer="eyJhbGciOiJFZERTQSJ9.e30.AAAA", expect=401,
           expect_headers=("WWW-Authenticate",), label="bad bearer token")

    # -- registration -------------------------------------------------------------------------
    alice, bob, carol, dave = ("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com")
    r = c.call("POST", "/v1/accounts", json_body={"email": "Alice@Example.com ", "password": PASSWORD}, expect=201,
               check_request=True)
    alice_id = c.json(r).get("id")
    mail.link_token(alice, "confirm", "/verify-email")  # registration mails a link
    for who in (bob, carol, dave):
        c.call("POST", "/v1/accounts", json_body={"email": who, "password": PASSWORD}, expect=201)
    c.call("POST", "/v1/accounts", json_body={"email": alice, "password": PASSWORD}, expect=409, label="taken email")
    c.call("POST", "/v1/accounts", data=b'{"email": "x@example.com",', content_type=J, expect=400,
           label="malformed JSON")
    c.call("POST", "/v1/accounts", json_body={"email": "x@example.com"}, expect=400, label="missing password")
    c.call("POST", "/v1/accounts", json_body={"email": "not-an-email", "password": PASSWORD}, expect=400,
           label="malformed email")
    c.call("POST", "/v1/accounts", json_body={"email": "weak@example.com", "password": "password1234"}, expect=400,
           label="weak password")
    c.call("POST", "/v1/accounts", json_body={"email": "x@example.com", "password": "x" * 1025}, expect=400,
           label="password over 1024 bytes")
    c.call("POST", "/v1/accounts", data="email=x@example.com", content_type="text/plain", expect=415,
           label="wrong content type")
    c.call("POST", "/v1/accounts", json_body={"email": "x@example.com", "password": "p" * 70000}, expect=413,
           label="body over 64 KiB")
    c.call("POST", "/v1/accounts", json_body={"email": "x@example.com", "password": PASSWORD},
           headers={"Sec-Fetch-Site": "cross-site"}, expect=403, label="cross-site")

    # -- sign in --------------------------------------------------------------------------------
    def sign_in(who, password=PASSWORD, cookie=None, **kw):
        r = c.call("POST", "/v1/sessions", json_body={"email": who, "password": password, **kw}, cookie=cookie,
                   expect=201, expect_headers=("Set-Cookie",), check_request=True)
        body = c.json(r)
        value, sid = set_cookie_value(r), body.get("session", {}).get("id")
        max_age = re.search(r"Max-Age=(\d+)", r.headers.get("Set-Cookie", ""))
        wanted = "2592000" if kw.get("remember") else "43200"
        if not max_age or max_age.group(1) != wanted:
            c.unexpected.append(f"POST /v1/sessions: cookie Max-Age is not {wanted}: {r.headers.get('Set-Cookie')}")
        if value and sid and (sid in value or value in sid):
            c.unexpected.append("POST /v1/sessions: the session id and the cookie value are related")
        return value, body.get("csrf_token"), sid

    a_cookie, a_csrf, a_sid = sign_in(alice)
    a2_cookie, a2_csrf, a2_sid = sign_in(alice, remember=True)
    # A cookie sent with a sign-in is never promoted: the answer sets a new one and the old one ends.
    old_cookie, _, old_sid = sign_in(bob)
    new_cookie, _, new_sid = sign_in(bob, cookie=old_cookie)
    if new_cookie == old_cookie or new_sid == old_sid:
        c.unexpected.append("POST /v1/sessions with a session cookie kept the old session")
    c.call("GET", "/v1/session", cookie=old_cookie, expect=401, label="the cookie sent with a sign-in")
    c.call("GET", "/v1/session", headers={"Cookie": f"{COOKIE}={new_cookie}; {COOKIE}={new_cookie}"}, expect=401,
           label="the session cookie twice")
    c.call("POST", "/v1/sessions", json_body={"email": alice, "password": "wrong password here"}, expect=401,
           forbid_headers=("Set-Cookie",), label="wrong password")
    c.call("POST", "/v1/sessions", json_body={"email": "nobody@example.com", "password": PASSWORD}, expect=401,
           label="unknown account")
    c.call("POST", "/v1/sessions", data=b"{", content_type=J, expect=400, label="malformed JSON")
    c.call("POST", "/v1/sessions", data=f"email={alice}&password={PASSWORD}",
           content_type="application/x-www-form-urlencoded", expect=415, label="form body")
    c.call("POST", "/v1/sessions", json_body={"email": "a" * 250 + "@example.com", "password": PASSWORD}, expect=400,
           label="email over 254 bytes")

    # -- the current session, /v1/me, devices ---------------------------------------------------
    r = c.call("GET", "/v1/session", cookie=a_cookie, expect=200)
    if c.json(r).get("csrf_token") != a_csrf:
        c.unexpected.append("GET /v1/session: csrf_token differs from the sign-in answer's")
    c.call("GET", "/v1/session", expect=401, forbid_headers=("WWW-Authenticate",), label="no cookie")
    c.call("GET", "/v1/session", cookie="A" * 43, expect=401, label="unknown cookie")
    c.call("GET", "/v1/me", cookie=a_cookie, expect=200)
    c.call("GET", "/v1/me", expect=401, label="no credentials")
    r = c.call("GET", "/v1/sessions", cookie=a_cookie, expect=200)
    listed = {s.get("id") for s in c.json(r).get("sessions", [])}
    if not {a_sid, a2_sid} <= listed:
        c.unexpected.append("GET /v1/sessions does not list both of alice's sessions")
    c.call("GET", "/v1/sessions", expect=401, label="no credentials")
    c.call("GET", "/v1/sessions", cookie=a_cookie, headers={"Cookie": f"{COOKIE}={a_cookie}; a=" + "b" * 9000},
           expect=431, label="Cookie header over 8 KiB")
    c.call("GET", "/v1/me", headers={"Authorization": "Bearer " + "a" * 9000}, expect=431,
           label="Authorization header over 8 KiB")

    c.call("DELETE", "/v1/sessions/{id}", path=f"/v1/sessions/{a2_sid}", cookie=a_cookie, expect=403,
           label="no CSRF header", expect_json={"title": "CSRF check failed"})
    c.call("DELETE", "/v1/sessions/{id}", path=f"/v1/sessions/{a2_sid}", cookie=a_cookie, csrf="x" * 43, expect=403,
           label="wrong CSRF header")
    c.call("DELETE", "/v1/sessions/{id}", path=f"/v1/sessions/{a2_sid}", cookie=a_cookie, csrf=a_csrf,
           headers={"Origin": "https://evil.example"}, expect=403, label="foreign Origin")
    c.call("DELETE", "/v1/sessions/{id}", path=f"/v1/sessions/{a2_sid}", cookie=a_cookie, csrf=a_csrf, expect=204,
           forbid_headers=("Set-Cookie",), label="another session")
    c.call("DELETE", "/v1/sessions/{id}", path=f"/v1/sessions/{a2_sid}", cookie=a_cookie, csrf=a_csrf, expect=404,
           label="already ended")
    c.call("DELETE", "/v1/sessions/{id}", path="/v1/sessions/no-such-session", cookie=a_cookie, csrf=a_csrf,
           expect=404, label="unknown id")
    c.call("DELETE", "/v1/sessions/{id}", path="/v1/sessions/whatever", expect=401, label="no credentials")
    c.call("GET", "/v1/session", cookie=a2_cookie, expect=401, label="ended session's cookie")

    # -- tokens ---------------------------------------------------------------------------------
    T = "/v1/token"
    r = c.call("POST", T, form={"grant_type": "password", "username": alice, "password": PASSWORD}, expect=200,
               expect_headers=("Cache-Control", "Pragma"), check_request=True, label="password grant")
    tokens = c.json(r)
    access, refresh = tokens.get("access_token"), tokens.get("refresh_token")
    r = c.call("POST", T, json_body={"grant_type": "refresh_token", "refresh_token": refresh}, expect=200,
               check_request=True, label="refresh grant (JSON)")
    refreshed = c.json(r)
    access2, refresh2 = refreshed.get("access_token"), refreshed.get("refresh_token")
    # Within the grace window (10 s; this follows at once) the same token gets the same successor.
    r = c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": refresh}, expect=200,
               label="refresh grant again, within the grace window")
    if c.json(r).get("refresh_token") != refresh2:
        c.unexpected.append("POST /v1/token: a refresh within the grace window got another successor")
    r = c.call("POST", T, form={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                                "subject_token_type": "urn:portcullis:session"},
               cookie=a_cookie, csrf=a_csrf, expect=200, check_request=True, label="token exchange")
    exchanged = c.json(r)
    if "refresh_token" in exchanged:
        c.unexpected.append("POST /v1/token [token exchange]: answered a refresh token")
    c.call("POST", T, form={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                            "subject_token_type": "urn:portcullis:session"},
           cookie=a_cookie, expect=403, label="token exchange without CSRF")
    c.call("POST", T, form={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                            "subject_token_type": "urn:portcullis:session"}, expect=400,
           expect_json={"error": "invalid_grant"}, label="token exchange without a session (invalid_grant)")
    c.call("POST", T, form={"grant_type": "password", "username": alice, "password": "wrong password here"},
           expect=400, expect_json={"error": "invalid_grant"}, label="wrong password (invalid_grant)")
    c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": "A" * 43}, expect=400,
           expect_json={"error": "invalid_grant"}, label="unknown refresh token (invalid_grant)")
    c.call("POST", T, form={"grant_type": "client_credentials"}, expect=400,
           expect_json={"error": "unsupported_grant_type"}, label="unsupported_grant_type")
    c.call("POST", T, form={"username": alice}, expect=400, expect_json={"error": "invalid_request"},
           label="no grant_type (invalid_request)")
    c.call("POST", T, form={"grant_type": "password", "username": alice, "password": PASSWORD, "audience": "other"},
           expect=400, expect_json={"error": "invalid_target"}, label="unknown audience (invalid_target)")
    c.call("POST", T, data="grant_type=password", content_type="text/plain", expect=400,
           expect_json={"error": "invalid_request"}, label="wrong content type (invalid_request)")
    c.call("POST", T, data=b"[1,2]", content_type=J, expect=400, expect_json={"error": "invalid_request"},
           label="JSON array (invalid_request)")
    # The media type is compared whole: one that only starts like a form (or like JSON) is refused.
    c.call("POST", T, data="grant_type=client_credentials", content_type="application/x-www-form-urlencodedx",
           expect=400, expect_json={"error": "invalid_request"}, label="a media type that only starts like a form")
    c.call("POST", T, data='{"grant_type":"password"}', content_type="application/jsonx",
           expect=400, expect_json={"error": "invalid_request"}, label="a media type that only starts like JSON")

    c.call("GET", "/v1/me", bearer=access2, expect=200, label="bearer")
    c.call("GET", "/v1/sessions", bearer=access2, expect=200, label="bearer")
    c.call("GET", "/v1/me", bearer=exchanged.get("access_token"), expect=200, label="exchanged bearer")
    c.call("GET", "/v1/me", bearer=access2[:-4] + "AAAA", expect=401, expect_headers=("WWW-Authenticate",),
           label="bad signature")
    c.call("GET", "/v1/session", bearer=access2, expect=401, label="bearer does not count")

    # -- service client: introspection, revocation, feed -------------------------------------------
    client = server.cli("clients", "create", "--name", "api-check")
    svc = (client["client_id"], client["client_secret"])
    I = "/v1/token/introspect"
    r = c.call("POST", I, form={"token": access2}, basic=svc, expect=200, check_request=True, label="access token")
    if c.json(r).get("active") is not True:
        c.unexpected.append("introspection of a live access token: not active")
    c.call("POST", I, json_body={"token": refresh2}, basic=svc, expect=200, label="refresh token (JSON)")
    r = c.call("POST", I, form={"token": refresh}, basic=svc, expect=200, label="rotated refresh token")
    if c.json(r) != {"active": False}:
        c.unexpected.append(f"introspection of a rotated refresh token: {r.text[:200]}")
    c.call("POST", I, form={"token": access2}, expect=401, expect_headers=("WWW-Authenticate",),
           expect_json={"error": "invalid_client"}, label="no client credentials")
    c.call("POST", I, form={"token": access2}, basic=(svc[0], "wrong"), expect=401,
           expect_json={"error": "invalid_client"}, label="wrong secret")
    c.call("POST", I, form={}, basic=svc, expect=400, expect_json={"error": "invalid_request"}, label="no token")
    c.call("POST", I, data="token=x", content_type="text/plain", basic=svc, expect=400, label="wrong content type")

    R = "/v1/token/revoke"
    c.call("POST", R, form={"token": "not-a-token"}, expect=200, check_request=True, label="unknown token")
    c.call("POST", R, form={"token": access2}, basic=svc, expect=200, label="access token, with client")
    r = c.call("POST", I, form={"token": access2}, basic=svc, expect=200, label="revoked access token")
    if c.json(r) != {"active": False}:
        c.unexpected.append(f"introspection of a revoked access token: {r.text[:200]}")
    c.call("GET", "/v1/me", bearer=access2, expect=401, expect_headers=("WWW-Authenticate",), label="revoked bearer")
    c.call("POST", R, form={}, expect=400, label="no token")
    c.call("POST", R, form={"token": "x"}, basic=("nobody", "nothing"), expect=401,
           expect_json={"error": "invalid_client"}, label="bad client")
    c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": refresh2}, expect=200,
           label="refresh again")

    r = c.call("GET", "/v1/revocations", basic=svc, expect=200)
    page = c.json(r)
    if not page.get("entries"):
        c.unexpected.append("GET /v1/revocations: no entries after revocations")
    c.call("GET", "/v1/revocations", query={"after": page.get("cursor", 0)}, basic=svc, expect=200,
           label="after cursor")
    c.call("GET", "/v1/revocations", expect=401, expect_headers=("WWW-Authenticate",), label="no client credentials")
    c.call("GET", "/v1/revocations", bearer=access, basic=None, expect=401, label="a user's bearer token")

    def one_event(raw):
        return re.search(rb"event: revocation\r?\ndata: [^\n]*\n\r?\n", raw) is not None
    r = c.call("GET", "/v1/revocations/stream", basic=svc, stream_until=(one_event, 8.0),
               expect=200, expect_headers=("Cache-Control",))
    events = re.findall(rb"data: ([^\r\n]*)", r.content)
    if not events:
        c.unexpected.append(f"GET /v1/revocations/stream: no event within 8 s: {r.content[:200]!r}")
    entry_validator = Draft202012Validator(c.schema_of("RevocationEntry"))
    for data in events:
        for error in entry_validator.iter_errors(json.loads(data)):
            c.mismatches.append(f"GET /v1/revocations/stream: event data {data[:120]!r}: {error.message}")
    r = c.call("GET", "/v1/revocations/stream", basic=svc, headers={"Last-Event-ID": str(page.get("cursor", 0))},
               stream_until=(lambda raw: b"retry:" in raw and raw.endswith(b"\n\n"), 3.0), expect=200,
               label="Last-Event-ID")
    c.call("GET", "/v1/revocations/stream", expect=401, label="no client credentials")

    # -- administration -----------------------------------------------------------------------------
    admin = "root@example.com"
    server.cli("users", "create", "--email", admin, "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    ad_cookie, ad_csrf, _ = sign_in(admin)
    r = c.call("POST", T, form={"grant_type": "password", "username": admin, "password": PASSWORD}, expect=200,
               label="admin password grant")
    ad_access = c.json(r).get("access_token")
    c.call("POST", "/v1/admin/keys/rotate", json_body={"alg": "ES256"}, cookie=ad_cookie, csrf=ad_csrf, expect=200,
           check_request=True, label="scheduled, by cookie")
    c.call("POST", "/v1/admin/keys/rotate", bearer=ad_access, expect=200, label="empty body, by bearer")
    c.call("POST", "/v1/admin/keys/rotate", json_body={"alg": "HS256"}, bearer=ad_access, expect=400,
           label="HS256 outside single-service mode")
    c.call("POST", "/v1/admin/keys/rotate", json_body={"alg": "none"}, bearer=ad_access, expect=400, label="bad alg")
    c.call("POST", "/v1/admin/keys/rotate", data="alg=ES256", content_type="application/x-www-form-urlencoded",
           bearer=ad_access, expect=415, label="form body")
    c.call("POST", "/v1/admin/keys/rotate", cookie=ad_cookie, expect=403, label="no CSRF")
    c.call("POST", "/v1/admin/keys/rotate", cookie=a_cookie, csrf=a_csrf, expect=403, label="not an admin")
    c.call("POST", "/v1/admin/keys/rotate", expect=401, label="no credentials")
    r = c.call("GET", "/.well-known/jwks.json", expect=200, label="after rotation")
    if len(c.json(r).get("keys", [])) < 3:
        c.unexpected.append("the JWKS does not publish the rotated-in keys at once")

    P = "/v1/admin/users/{id}"
    r = c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={"roles": ["reader", "reader", "auditor"]},
               bearer=ad_access, expect=200, check_request=True, label="roles")
    if c.json(r).get("roles") != ["auditor", "reader"]:
        c.unexpected.append(f"PATCH roles: answered {r.text[:200]}")
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={}, cookie=ad_cookie, csrf=ad_csrf, expect=200,
           label="empty object, by cookie")
    c.call("PATCH", P, path="/v1/admin/users/00000000-0000-0000-0000-000000000000", json_body={"disabled": True},
           bearer=ad_access, expect=404, label="unknown account")
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={"roles": ["Not Valid!"]}, bearer=ad_access,
           expect=400, label="bad role")
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={"disabled": "yes"}, bearer=ad_access,
           expect=400, label="wrong type")
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", data="disabled=true", content_type="text/plain",
           bearer=ad_access, expect=415, label="wrong content type")
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={}, bearer=exchanged.get("access_token"),
           expect=(401, 403), label="not an admin (token from before the role change)")
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={}, expect=401, label="no credentials")

    # dave: disable and enable; sign out everywhere by an admin
    r = c.call("POST", "/v1/sessions", json_body={"email": dave, "password": PASSWORD}, expect=201)
    dave_cookie = set_cookie_value(r)
    dave_id = c.json(r).get("user", {}).get("id")
    c.call("POST", "/v1/admin/users/{id}/logout", path=f"/v1/admin/users/{dave_id}/logout", bearer=ad_access,
           expect=204, check_request=True)
    c.call("GET", "/v1/session", cookie=dave_cookie, expect=401, label="after an admin logout")
    c.call("POST", "/v1/admin/users/{id}/logout", path=f"/v1/admin/users/{dave_id}/logout",
           form={"csrf_token": ad_csrf}, cookie=ad_cookie, expect=204, label="by cookie, CSRF in a form field")
    c.call("POST", "/v1/admin/users/{id}/logout", path="/v1/admin/users/no-such-user/logout", bearer=ad_access,
           expect=404, label="unknown account")
    c.call("POST", "/v1/admin/users/{id}/logout", path=f"/v1/admin/users/{dave_id}/logout", cookie=ad_cookie,
           expect=403, label="no CSRF")
    c.call("POST", "/v1/admin/users/{id}/logout", path=f"/v1/admin/users/{dave_id}/logout", expect=401,
           label="no credentials")
    r = c.call("PATCH", P, path=f"/v1/admin/users/{dave_id}", json_body={"disabled": True}, bearer=ad_access,
               expect=200, label="disable")
    c.call("POST", "/v1/sessions", json_body={"email": dave, "password": PASSWORD}, expect=401,
           label="disabled account")
    c.call("PATCH", P, path=f"/v1/admin/users/{dave_id}", json_body={"disabled": False}, bearer=ad_access,
           expect=200, label="enable")

    # -- recovery: verification, reset, change ---------------------------------------------------------
    b_cookie, b_csrf, b_sid = sign_in(bob)
    mail.link_token(bob, "confirm", "/verify-email")  # the registration mail
    c.call("POST", "/v1/email-verification", cookie=b_cookie, csrf=b_csrf, expect=202, check_request=True)
    token = mail.link_token(bob, "confirm", "/verify-email")
    c.call("POST", "/v1/email-verification", cookie=b_cookie, expect=403, label="no CSRF")
    c.call("POST", "/v1/email-verification", expect=401, label="no credentials")
    c.call("POST", "/v1/email-verification/confirm", json_body={"token": token}, expect=204, check_request=True)
    c.call("POST", "/v1/email-verification/confirm", json_body={"token": token}, expect=400,
           expect_json={"type": "/problems/invalid_token"}, label="used token")
    c.call("POST", "/v1/email-verification/confirm", json_body={"token": 42}, expect=400, label="wrong type")
    c.call("POST", "/v1/email-verification/confirm", data="token=x", content_type="text/plain", expect=415,
           label="wrong content type")
    r = c.call("GET", "/v1/me", cookie=b_cookie, expect=200, label="after verification")
    if c.json(r).get("email_verified") is not True:
        c.unexpected.append("GET /v1/me: email_verified is not true after confirmation")

    c.call("POST", "/v1/password-reset", json_body={"email": bob}, expect=202, check_request=True)
    c.call("POST", "/v1/password-reset", json_body={"email": "nobody@example.com"}, expect=202, label="no account")
    c.call("POST", "/v1/password-reset", json_body={"email": "not an email"}, expect=400, label="malformed email")
    c.call("POST", "/v1/password-reset", data="email=x", content_type="text/plain", expect=415,
           label="wrong content type")
    token = mail.link_token(bob, "reset", "/reset-password")
    c.call("POST", "/v1/password-reset/confirm", json_body={"token": token, "password": "short"}, expect=400,
           label="weak password")
    c.call("POST", "/v1/password-reset/confirm", json_body={"token": token, "password": NEW_PASSWORD}, expect=204,
           check_request=True)
    c.call("POST", "/v1/password-reset/confirm", json_body={"token": token, "password": NEW_PASSWORD}, expect=400,
           expect_json={"type": "/problems/invalid_token"}, label="used token")
    c.call("POST", "/v1/password-reset/confirm", json_body={"token": "A" * 43}, expect=400, label="missing password")
    c.call("GET", "/v1/session", cookie=b_cookie, expect=401, label="after a reset")
    b_cookie, b_csrf, _ = sign_in(bob, NEW_PASSWORD)
    c.call("POST", "/v1/password", json_body={"current_password": NEW_PASSWORD, "new_password": PASSWORD},
           cookie=b_cookie, csrf=b_csrf, expect=204, check_request=True, label="by cookie")
    c.call("POST", "/v1/password", json_body={"current_password": "not the password", "new_password": NEW_PASSWORD},
           cookie=b_cookie, csrf=b_csrf, expect=403, label="wrong current password")
    c.call("POST", "/v1/password", json_body={"current_password": PASSWORD, "new_password": "short"},
           cookie=b_cookie, csrf=b_csrf, expect=400, label="weak new password")
    c.call("POST", "/v1/password", json_body={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
           cookie=b_cookie, expect=403, label="no CSRF")
    c.call("POST", "/v1/password", data="current_password=x", content_type="text/plain", cookie=b_cookie,
           csrf=b_csrf, expect=415, label="wrong content type")
    c.call("POST", "/v1/password", json_body={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
           expect=401, label="no credentials")
    r = c.call("POST", T, form={"grant_type": "password", "username": bob, "password": PASSWORD}, expect=200,
               label="bob password grant")
    c.call("POST", "/v1/password", json_body={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
           bearer=c.json(r).get("access_token"), expect=204, label="by bearer")

    # -- two-step verification (TOTP) -----------------------------------------------------------------
    # A TOTP code works once per 30-second step and account: each account here uses at most two steps,
    # the one before the current (to confirm) and the current one (to sign in); recovery codes do the rest.
    frank, grace, heidi = ("frank@example.com", "grace@example.com", "heidi@example.com")
    for who in (frank, grace, heidi):
        c.call("POST", "/v1/accounts", json_body={"email": who, "password": PASSWORD}, expect=201, label="two-step")
    M, MT, MC, MR, S2 = "/v1/mfa", "/v1/mfa/totp", "/v1/mfa/totp/confirm", "/v1/mfa/recovery-codes", "/v1/sessions/mfa"
    f_cookie, f_csrf, _ = sign_in(frank)
    f2_cookie, _, _ = sign_in(frank)
    c.call("GET", M, cookie=f_cookie, expect=200, check_request=True,
           expect_json={"totp": False, "totp_pending": False, "recovery_codes_left": 0})
    c.call("GET", M, expect=401, label="no credentials")
    c.call("POST", MC, json_body={"code": "123456"}, cookie=f_cookie, csrf=f_csrf, expect=400, label="nothing pending")
    c.call("POST", MR, json_body={}, cookie=f_cookie, csrf=f_csrf, expect=400, label="two-step off")
    c.call("POST", MR, json_body={"password": "not the password"}, cookie=f_cookie, csrf=f_csrf, expect=400,
           expect_json={"detail": "Two-step verification is off."}, label="two-step off (checked before the password)")
    c.call("DELETE", MT, json_body={"password": PASSWORD}, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="two-step off")
    c.call("POST", MT, cookie=f_cookie, expect=403, label="no CSRF", expect_json={"title": "CSRF check failed"})
    c.call("POST", MT, expect=401, label="no credentials")
    # A sign-in over 15 minutes old would need the password (403 without it or when it is wrong); a recent
    # one needs nothing, and a password sent with it is not checked. Each enrolment replaces the last.
    c.call("POST", MT, data=b'{"password":', content_type=J, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="malformed JSON")
    c.call("POST", MT, json_body={"password": 12345}, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="password not a string")
    c.call("POST", MT, json_body={"password": PASSWORD}, cookie=f_cookie, csrf=f_csrf, expect=200,
           check_request=True, label="recent sign-in, with the password")
    c.call("POST", MT, json_body={"password": "not the password"}, cookie=f_cookie, csrf=f_csrf, expect=200,
           label="recent sign-in: a password sent is not checked")
    c.call("POST", MT, data="password=x", content_type="text/plain", cookie=f_cookie, csrf=f_csrf, expect=200,
           label="a body that is not JSON is not read")
    r = c.call("POST", MT, cookie=f_cookie, csrf=f_csrf, expect=200, expect_headers=("Cache-Control",),
               check_request=True, label="recent sign-in, no body")
    enrolment = c.json(r)
    f_secret = enrolment.get("secret", "")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(enrolment.get("otpauth_uri", "")).query)
    if query.get("secret") != [f_secret] or query.get("digits") != ["6"] or query.get("period") != ["30"]:
        c.unexpected.append(f"POST /v1/mfa/totp: the otpauth URI does not carry the secret: {r.text[:300]}")
    c.call("GET", M, cookie=f_cookie, expect=200, expect_json={"totp": False, "totp_pending": True}, label="pending")
    c.call("POST", MC, json_body={"code": wrong_code(f_secret)}, cookie=f_cookie, csrf=f_csrf, expect=401,
           label="wrong code")
    c.call("POST", MC, data=b'{"code":', content_type=J, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="malformed JSON")
    c.call("POST", MC, json_body={"code": 123456}, cookie=f_cookie, csrf=f_csrf, expect=400, label="code not a string")
    c.call("POST", MC, data="code=123456", content_type="application/x-www-form-urlencoded", cookie=f_cookie,
           csrf=f_csrf, expect=415, label="form body")
    c.call("POST", MC, json_body={"code": "123456"}, cookie=f_cookie, expect=403, label="no CSRF")
    # The previous step's code (accepted for clock drift), so the current step's is left to sign in with.
    confirm_code = totp_code(f_secret, -1)
    r = c.call("POST", MC, json_body={"code": confirm_code}, cookie=f_cookie, csrf=f_csrf, expect=200,
               expect_headers=("Cache-Control",), check_request=True)
    f_codes = c.json(r).get("recovery_codes", [])
    if len(set(f_codes)) != 10:
        c.unexpected.append(f"POST /v1/mfa/totp/confirm: not ten recovery codes: {r.text[:300]}")
        f_codes = (f_codes + ["aaaaa-aaaaa"] * 10)[:10]
    c.call("GET", "/v1/session", cookie=f2_cookie, expect=401, label="another session, after two-step was turned on")
    c.call("GET", "/v1/session", cookie=f_cookie, expect=200, label="the session that turned two-step on")
    c.call("POST", MT, cookie=f_cookie, csrf=f_csrf, expect=400, label="already on")
    c.call("POST", MC, json_body={"code": confirm_code}, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="already on")
    c.call("GET", M, cookie=f_cookie, expect=200, expect_json={"totp": True, "totp_pending": False,
                                                               "recovery_codes_left": 10}, label="on")

    # The sign-in's second step over the API.
    def challenge(who, **kw):
        r = c.call("POST", "/v1/sessions", json_body={"email": who, "password": PASSWORD, **kw}, expect=200,
                   forbid_headers=("Set-Cookie",), expect_headers=("Cache-Control",), check_request=True,
                   expect_json={"mfa_required": True, "methods": ["totp", "recovery_code"]}, label="two-step on")
        return c.json(r).get("mfa_token")

    f_challenge = challenge(frank)
    c.call("POST", S2, json_body={"mfa_token": f_challenge, "code": confirm_code}, expect=401,
           forbid_headers=("Set-Cookie",), label="the code that confirmed (used)")
    c.call("POST", S2, json_body={"mfa_token": f_challenge, "code": wrong_code(f_secret)}, expect=401,
           forbid_headers=("Set-Cookie",), label="wrong code")
    c.call("POST", S2, json_body={"mfa_token": "A" * 43, "code": f_codes[0]}, expect=401, label="unknown mfa_token")
    c.call("POST", S2, data=b"{", content_type=J, expect=400, label="malformed JSON")
    c.call("POST", S2, json_body={"mfa_token": f_challenge}, expect=400, label="missing code")
    c.call("POST", S2, data=urllib.parse.urlencode({"mfa_token": f_challenge, "code": "123456"}),
           content_type="application/x-www-form-urlencoded", expect=415, label="form body")
    r = c.call("POST", S2, json_body={"mfa_token": f_challenge, "code": totp_code(f_secret)}, expect=201,
               expect_headers=("Set-Cookie",), check_request=True, label="TOTP code")
    fm_cookie = set_cookie_value(r)
    if "Max-Age=43200" not in r.headers.get("Set-Cookie", ""):
        c.unexpected.append(f"POST /v1/sessions/mfa: cookie Max-Age is not 43200: {r.headers.get('Set-Cookie')}")
    c.call("POST", S2, json_body={"mfa_token": f_challenge, "code": f_codes[0]}, expect=401, label="used mfa_token")

    def two_factor_me(label, **credentials):
        r = c.call("GET", "/v1/me", expect=200, label=label, **credentials)
        auth = c.json(r).get("auth", {})
        if not {"pwd", "otp", "mfa"} <= set(auth.get("amr", [])) or not isinstance(auth.get("auth_time"), int):
            c.unexpected.append(f"GET /v1/me [{label}]: amr or auth_time do not show two factors: {auth}")

    two_factor_me("signed in with a TOTP code", cookie=fm_cookie)
    r = c.call("GET", "/v1/me", cookie=f_cookie, expect=200, label="signed in with a password")
    if c.json(r).get("auth", {}).get("amr") != ["pwd"]:
        c.unexpected.append(f"GET /v1/me: amr of a password sign-in is not [\"pwd\"]: {r.text[:300]}")
    # remember carries over to the second step; a recovery code works once.
    f_challenge = challenge(frank, remember=True)
    r = c.call("POST", S2, json_body={"mfa_token": f_challenge, "code": f_codes[0].upper()}, expect=201,
               expect_headers=("Set-Cookie",), label="recovery code, remember")
    if "Max-Age=2592000" not in r.headers.get("Set-Cookie", ""):
        c.unexpected.append(f"POST /v1/sessions/mfa: remember-me was lost: {r.headers.get('Set-Cookie')}")
    c.call("POST", S2, json_body={"mfa_token": challenge(frank), "code": f_codes[0]}, expect=401,
           label="used recovery code")

    # The password grant and the mfa-otp grant.
    G = "urn:portcullis:grant-type:mfa-otp"
    r = c.call("POST", T, form={"grant_type": "password", "username": frank, "password": PASSWORD}, expect=403,
               expect_headers=("Pragma",), expect_json={"error": "mfa_required"}, label="two-step on (mfa_required)")
    otp_challenge = c.json(r).get("mfa_token")
    c.call("POST", T, form={"grant_type": G, "mfa_token": otp_challenge}, expect=400,
           expect_json={"error": "invalid_request"}, label="mfa-otp grant without otp")
    c.call("POST", T, form={"grant_type": G, "mfa_token": otp_challenge, "otp": wrong_code(f_secret)}, expect=400,
           expect_json={"error": "invalid_grant"}, label="mfa-otp grant, wrong code")
    r = c.call("POST", T, json_body={"grant_type": G, "mfa_token": otp_challenge, "otp": f_codes[1]}, expect=200,
               expect_headers=("Cache-Control", "Pragma"), check_request=True, label="mfa-otp grant (JSON)")
    f_tokens = c.json(r)
    c.call("POST", T, form={"grant_type": G, "mfa_token": otp_challenge, "otp": f_codes[2]}, expect=400,
           expect_json={"error": "invalid_grant"}, label="mfa-otp grant, used mfa_token")
    two_factor_me("mfa-otp grant", bearer=f_tokens.get("access_token"))
    r = c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": f_tokens.get("refresh_token")},
               expect=200, label="refresh a two-factor family")
    two_factor_me("refreshed two-factor token", bearer=c.json(r).get("access_token"))
    c.call("GET", M, bearer=f_tokens.get("access_token"), expect=200, expect_json={"recovery_codes_left": 8},
           label="bearer")

    # New recovery codes: the old ones stop working, the other sessions and apps end, and so do the sign-ins
    # waiting for their second step.
    EXPIRED = {"detail": "This sign-in has expired or is already complete. Sign in again."}
    c.call("POST", MR, json_body={}, cookie=f_cookie, expect=403, label="no CSRF")
    c.call("POST", MR, json_body={}, expect=401, label="no credentials")
    c.call("POST", MR, data=b'{"password"', content_type=J, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="malformed JSON")
    c.call("POST", MR, json_body={"password": ["x"]}, cookie=f_cookie, csrf=f_csrf, expect=400,
           label="password not a string")
    waiting = challenge(frank)
    r = c.call("POST", T, form={"grant_type": "password", "username": frank, "password": PASSWORD}, expect=403,
               expect_json={"error": "mfa_required"}, label="a challenge to be ended by new recovery codes")
    waiting_grant = c.json(r).get("mfa_token")
    r = c.call("POST", MR, json_body={}, cookie=f_cookie, csrf=f_csrf, expect=200, expect_headers=("Cache-Control",),
               check_request=True, label="recent sign-in")
    new_codes = c.json(r).get("recovery_codes", [])
    if len(set(new_codes)) != 10 or set(new_codes) & set(f_codes):
        c.unexpected.append(f"POST /v1/mfa/recovery-codes: not ten new codes: {r.text[:300]}")
    c.call("GET", "/v1/session", cookie=fm_cookie, expect=401, label="another session, after new recovery codes")
    c.call("GET", "/v1/me", bearer=f_tokens.get("access_token"), expect=401, label="a token, after new recovery codes")
    c.call("POST", S2, json_body={"mfa_token": challenge(frank), "code": f_codes[3]}, expect=401,
           label="a replaced recovery code")
    c.call("POST", S2, json_body={"mfa_token": waiting, "code": new_codes[0]}, expect=401, expect_json=EXPIRED,
           label="a challenge from before new recovery codes")
    c.call("POST", T, form={"grant_type": G, "mfa_token": waiting_grant, "otp": new_codes[0]}, expect=400,
           expect_json={"error": "invalid_grant"}, label="mfa-otp grant, a challenge from before new recovery codes")
    r = c.call("POST", MR, json_body={"password": PASSWORD}, cookie=f_cookie, csrf=f_csrf, expect=200,
               check_request=True, label="recent sign-in, with the password")
    r = c.call("POST", MR, json_body={"password": "not the password"}, cookie=f_cookie, csrf=f_csrf, expect=200,
               label="recent sign-in: a password sent is not checked")
    new_codes = c.json(r).get("recovery_codes", []) or new_codes

    # Turning it off needs the password.
    c.call("DELETE", MT, json_body={"password": "not the password"}, cookie=f_cookie, csrf=f_csrf, expect=403,
           label="wrong password")
    c.call("DELETE", MT, json_body={"password": PASSWORD}, cookie=f_cookie, expect=403, label="no CSRF")
    c.call("DELETE", MT, json_body={}, cookie=f_cookie, csrf=f_csrf, expect=400, label="missing password")
    c.call("DELETE", MT, data="password=x", content_type="application/x-www-form-urlencoded", cookie=f_cookie,
           csrf=f_csrf, expect=415, label="form body")
    c.call("DELETE", MT, json_body={"password": PASSWORD}, expect=401, label="no credentials")
    waiting = challenge(frank)
    c.call("DELETE", MT, json_body={"password": PASSWORD}, cookie=f_cookie, csrf=f_csrf, expect=204,
           check_request=True)
    c.call("POST", S2, json_body={"mfa_token": waiting, "code": new_codes[1]}, expect=401, expect_json=EXPIRED,
           label="a challenge from before two-step was turned off")
    c.call("GET", M, cookie=f_cookie, expect=200, expect_json={"totp": False, "recovery_codes_left": 0}, label="off")
    sign_in(frank)

    # grace: enrolled by bearer (no CSRF token), signs in on the pages with the code form.
    r = c.call("POST", T, form={"grant_type": "password", "username": grace, "password": PASSWORD}, expect=200,
               label="grace")
    g_access = c.json(r).get("access_token")
    r = c.call("POST", MT, bearer=g_access, expect=200, label="bearer")
    g_secret = c.json(r).get("secret", "")
    c.call("POST", MC, json_body={"code": totp_code(g_secret, -1)}, bearer=g_access, expect=200, label="bearer")
    c.call("GET", M, bearer=g_access, expect=401, label="the token of the bearer that turned two-step on")
    r = c.call("POST", "/login", form={"email": grace, "password": PASSWORD, "next": "/account?notice=welcome"},
               expect=200, forbid_headers=("Set-Cookie",), label="two-step on (the code form)")
    g_challenge = hidden_mfa_token(r.text)
    if not g_challenge:
        c.unexpected.append("POST /login [two-step on]: no mfa_token field in the code form")
    if "data-passkey" in r.text or "script" in r.headers.get("Content-Security-Policy", ""):
        c.unexpected.append("POST /login [two-step on]: the code form of an account without passkeys loads script")
    c.call("POST", "/login/code", form={"mfa_token": g_challenge, "code": wrong_code(g_secret)}, expect=401,
           forbid_headers=("Set-Cookie",), allow_echo=("mfa_token",), label="wrong code")
    c.call("POST", "/login/code", form={"mfa_token": "A" * 43, "code": "123456"}, expect=401,
           label="unknown mfa_token")
    c.call("POST", "/login/code", json_body={"mfa_token": g_challenge, "code": "123456"}, expect=415,
           label="JSON body")
    c.call("POST", "/login/code", data="mfa_token=%zz", content_type="application/x-www-form-urlencoded",
           expect=400, label="bad percent-encoding")
    r = c.call("POST", "/login/code", form={"mfa_token": g_challenge, "code": totp_code(g_secret),
                                            "next": "/account?notice=welcome"},
               expect=303, expect_headers=("Location", "Set-Cookie"), check_request=True)
    if r.headers.get("Location") != "/account?notice=welcome":
        c.unexpected.append(f"POST /login/code: Location is {r.headers.get('Location')!r}, not next")
    g_cookie = set_cookie_value(r)
    c.call("GET", "/account", cookie=g_cookie, expect=200, label="signed in with a code")
    c.call("POST", "/login/code", form={"mfa_token": g_challenge, "code": "123456"}, expect=401,
           label="used mfa_token")

    # heidi: wrong codes count like wrong passwords, on every way in.
    r = c.call("POST", "/v1/sessions", json_body={"email": heidi, "password": PASSWORD}, expect=201, label="heidi")
    h_cookie, h_csrf = set_cookie_value(r), c.json(r).get("csrf_token")
    r = c.call("POST", MT, cookie=h_cookie, csrf=h_csrf, expect=200, label="heidi")
    h_secret = c.json(r).get("secret", "")
    c.call("POST", MC, json_body={"code": totp_code(h_secret)}, cookie=h_cookie, csrf=h_csrf, expect=200,
           label="heidi")
    h_challenge = challenge(heidi)
    for i, code in enumerate(wrong_codes(h_secret, 10)):
        c.call("POST", S2, json_body={"mfa_token": h_challenge, "code": code}, expect=401,
               label=f"failed code {i + 1}")
    c.call("POST", S2, json_body={"mfa_token": h_challenge, "code": "123456"}, expect=429,
           expect_headers=("Retry-After",), label="throttled")
    c.call("POST", "/login/code", form={"mfa_token": h_challenge, "code": "123456"}, expect=429,
           expect_headers=("Retry-After",), allow_echo=("mfa_token",), label="throttled")
    c.call("POST", T, form={"grant_type": G, "mfa_token": h_challenge, "otp": "123456"}, expect=429,
           expect_headers=("Retry-After",), label="mfa-otp grant, throttled")
    c.call("POST", "/v1/sessions", json_body={"email": heidi, "password": PASSWORD}, expect=429,
           expect_headers=("Retry-After",), label="throttled by wrong codes")
    c.call("POST", "/account/two-step/off", cookie=h_cookie, form={"csrf_token": h_csrf, "password": PASSWORD},
           expect=429, expect_headers=("Retry-After",), label="throttled by wrong codes")

    # ivan: two-step verification set up, renewed and turned off with the account page's forms.
    TS, TC, TR, TO = ("/account/two-step", "/account/two-step/confirm", "/account/two-step/recovery-codes",
                      "/account/two-step/off")
    F = "application/x-www-form-urlencoded"

    def see_other(r, location, name):
        if r.status_code == 303 and r.headers.get("Location") != location:
            c.unexpected.append(f"POST {name}: Location is {r.headers.get('Location')!r}, not {location!r}")

    def recovery_codes_page(r, name):
        m = re.search(r'<ol[^>]*id="recovery-codes"[^>]*>(.*?)</ol>', r.text, re.S)
        codes = re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", m.group(1)) if m else []
        if len(set(codes)) != 10:
            c.unexpected.append(f"POST {name}: not ten recovery codes in <ol id=\"recovery-codes\">")
            codes = (codes + ["aaaaa-aaaaa"] * 10)[:10]
        return codes

    ivan = "ivan@example.com"
    c.call("POST", "/v1/accounts", json_body={"email": ivan, "password": PASSWORD}, expect=201, label="two-step pages")
    i_cookie, _, _ = sign_in(ivan)
    i2_cookie, _, _ = sign_in(ivan)
    r = c.call("GET", "/account", cookie=i_cookie, expect=200, label="two-step off")
    i_csrf = hidden_csrf(r.text)
    if 'action="/account/two-step"' not in r.text:
        c.unexpected.append("GET /account [two-step off]: no form posting to /account/two-step")
    if 'id="setup-password"' in r.text:
        c.unexpected.append("GET /account [two-step off]: a recent sign-in is asked for the password to set up")
    r = c.call("GET", "/account", cookie=i_cookie, query={"notice": "two-step-password-needed"}, expect=200,
               label="two-step-password-needed")
    if "type your password to change two-step verification" not in r.text:
        c.unexpected.append("GET /account?notice=two-step-password-needed: the notice is not shown")
    r = c.call("POST", TS, form={}, expect=303, expect_headers=("Location",), label="signed out")
    see_other(r, "/login", TS)
    c.call("POST", TS, cookie=i_cookie, form={}, expect=403, label="no CSRF")
    c.call("POST", TS, cookie=i_cookie, form={"csrf_token": "wrong"}, expect=403, label="wrong CSRF")
    # The form body is read before the session: other media types are 415, a malformed form 400.
    c.call("POST", TS, cookie=i_cookie, csrf=i_csrf, json_body={}, expect=415, label="JSON body")
    c.call("POST", TS, json_body={}, expect=415, label="JSON body, signed out")
    c.call("POST", TS, cookie=i_cookie, csrf=i_csrf, expect=415, label="no body")
    c.call("POST", TS, cookie=i_cookie, data="csrf_token=%zz", content_type=F, expect=400,
           label="bad percent-encoding")
    for path in (TC, TR, TO):
        r = c.call("POST", path, cookie=i_cookie, form={"csrf_token": i_csrf, "code": "123456", "password": PASSWORD},
                   expect=303, expect_headers=("Location",), label="two-step off, nothing pending")
        see_other(r, "/account", path)
    # A recent sign-in needs no password (one over 15 minutes old would be sent back with
    # notice=two-step-password-needed); a password sent with it is not checked. Each set-up replaces the last.
    c.call("POST", TS, cookie=i_cookie, form={"csrf_token": i_csrf, "password": PASSWORD}, expect=200,
           check_request=True, label="recent sign-in, with the password")
    c.call("POST", TS, cookie=i_cookie, form={"csrf_token": i_csrf, "password": "not the password"}, expect=200,
           label="recent sign-in: a password sent is not checked")
    r = c.call("POST", TS, cookie=i_cookie, form={"csrf_token": i_csrf}, expect=200,
               expect_headers=("Cache-Control", "Content-Security-Policy"), check_request=True,
               label="recent sign-in")
    m = re.search(r'<code[^>]*id="totp-secret"[^>]*>([A-Z2-7]{32})</code>', r.text)
    i_secret = m.group(1) if m else ""
    if not m or "<svg" not in r.text or 'action="/account/two-step/confirm"' not in r.text:
        c.unexpected.append("POST /account/two-step: the set-up page lacks the key, the QR code or the code form")
    c.call("GET", "/v1/mfa", cookie=i_cookie, expect=200, expect_json={"totp": False, "totp_pending": True},
           label="pending, from the page")
    r = c.call("POST", TC, cookie=i_cookie, form={"csrf_token": i_csrf, "code": wrong_code(i_secret)}, expect=401,
               expect_headers=("Cache-Control", "Content-Security-Policy"), allow_echo=("csrf_token",),
               label="wrong code")
    if i_secret and i_secret not in r.text:
        c.unexpected.append("POST /account/two-step/confirm [wrong code]: the set-up page does not show the same key")
    c.call("POST", TC, cookie=i_cookie, form={"code": "123456"}, expect=403, label="no CSRF")
    r = c.call("POST", TC, form={"code": "123456"}, expect=303, label="signed out")
    see_other(r, "/login", TC)
    c.call("POST", TC, cookie=i_cookie, csrf=i_csrf, json_body={"code": "123456"}, expect=415, label="JSON body")
    c.call("POST", TC, cookie=i_cookie, data="code=%zz", content_type=F, expect=400, label="bad percent-encoding")
    r = c.call("POST", TC, cookie=i_cookie, form={"csrf_token": i_csrf, "code": totp_code(i_secret, -1)}, expect=200,
               expect_headers=("Cache-Control", "Content-Security-Policy"), check_request=True)
    i_codes = recovery_codes_page(r, TC)
    c.call("GET", "/v1/session", cookie=i2_cookie, expect=401, label="another session, after two-step was turned on")
    c.call("GET", "/v1/mfa", cookie=i_cookie, expect=200, expect_json={"totp": True, "recovery_codes_left": 10},
           label="on, from the page")
    for path in (TS, TC):
        r = c.call("POST", path, cookie=i_cookie, form={"csrf_token": i_csrf, "code": "123456"}, expect=303,
                   expect_headers=("Location",), label="already on")
        see_other(r, "/account", path)

    # New recovery codes: the old ones stop working, the other sessions end.
    r = c.call("POST", S2, json_body={"mfa_token": challenge(ivan), "code": i_codes[0]}, expect=201,
               label="ivan, recovery code")
    im_cookie = set_cookie_value(r)
    c.call("POST", TR, cookie=i_cookie, form={}, expect=403, label="no CSRF")
    r = c.call("POST", TR, form={}, expect=303, label="signed out")
    see_other(r, "/login", TR)
    c.call("POST", TR, cookie=i_cookie, csrf=i_csrf, json_body={}, expect=415, label="JSON body")
    c.call("POST", TR, cookie=i_cookie, csrf=i_csrf, expect=415, label="no body")
    c.call("POST", TR, cookie=i_cookie, data="csrf_token=%zz", content_type=F, expect=400,
           label="bad percent-encoding")
    waiting = challenge(ivan)
    r = c.call("POST", TR, cookie=i_cookie, form={"csrf_token": i_csrf}, expect=200,
               expect_headers=("Cache-Control", "Content-Security-Policy"), check_request=True,
               label="recent sign-in")
    new_codes = recovery_codes_page(r, TR)
    if set(new_codes) & set(i_codes):
        c.unexpected.append("POST /account/two-step/recovery-codes: a new code equals an old one")
    c.call("GET", "/v1/session", cookie=im_cookie, expect=401, label="another session, after new recovery codes")
    c.call("POST", S2, json_body={"mfa_token": challenge(ivan), "code": i_codes[1]}, expect=401,
           label="a recovery code replaced on the page")
    c.call("POST", S2, json_body={"mfa_token": waiting, "code": new_codes[1]}, expect=401, expect_json=EXPIRED,
           label="a challenge from before new recovery codes on the page")
    r = c.call("POST", TR, cookie=i_cookie, form={"csrf_token": i_csrf, "password": "not the password"}, expect=200,
               label="recent sign-in: a password sent is not checked")
    newer_codes = recovery_codes_page(r, TR)
    r = c.call("POST", TR, cookie=i_cookie, form={"csrf_token": i_csrf, "password": PASSWORD}, expect=200,
               check_request=True, label="recent sign-in, with the password")
    new_codes = recovery_codes_page(r, TR)
    if set(new_codes) & set(newer_codes):
        c.unexpected.append("POST /account/two-step/recovery-codes: a new code equals an old one")
    r = c.call("POST", S2, json_body={"mfa_token": challenge(ivan), "code": new_codes[0]}, expect=201,
               label="ivan, new recovery code")
    im_cookie = set_cookie_value(r)

    # Turning it off needs the password.
    c.call("POST", TO, cookie=i_cookie, form={"password": PASSWORD}, expect=403, label="no CSRF")
    r = c.call("POST", TO, form={"password": PASSWORD}, expect=303, label="signed out")
    see_other(r, "/login", TO)
    c.call("POST", TO, cookie=i_cookie, csrf=i_csrf, json_body={"password": PASSWORD}, expect=415, label="JSON body")
    c.call("POST", TO, cookie=i_cookie, data="password=%zz", content_type=F, expect=400,
           label="bad percent-encoding")
    r = c.call("POST", TO, cookie=i_cookie, form={"csrf_token": i_csrf, "password": "not the password"}, expect=303,
               expect_headers=("Location",), label="wrong password")
    see_other(r, "/account?notice=two-step-password-wrong", TO)
    c.call("GET", "/v1/mfa", cookie=i_cookie, expect=200, expect_json={"totp": True}, label="after a wrong password")
    r = c.call("POST", TO, cookie=i_cookie, form={"csrf_token": i_csrf, "password": PASSWORD}, expect=303,
               expect_headers=("Location",), check_request=True)
    see_other(r, "/account?notice=two-step-off", TO)
    c.call("GET", "/v1/session", cookie=im_cookie, expect=401, label="another session, after two-step was turned off")
    c.call("GET", "/v1/mfa", cookie=i_cookie, expect=200, expect_json={"totp": False, "recovery_codes_left": 0},
           label="off, from the page")
    c.call("GET", "/account", cookie=i_cookie, query={"notice": "two-step-off"}, expect=200, label="two-step-off")
    r = c.call("POST", TO, cookie=i_cookie, form={"csrf_token": i_csrf, "password": PASSWORD}, expect=303,
               label="already off")
    see_other(r, "/account", TO)
    sign_in(ivan)

    # -- throttling ------------------------------------------------------------------------------
    victim = "throttled@example.com"
    for i in range(10):
        c.call("POST", "/v1/sessions", json_body={"email": victim, "password": f"wrong password {i}"}, expect=401,
               label=f"failed sign-in {i + 1}")
    c.call("POST", "/v1/sessions", json_body={"email": victim, "password": "wrong password 10"}, expect=429,
           expect_headers=("Retry-After",), label="throttled")
    c.call("POST", T, form={"grant_type": "password", "username": victim, "password": "x"}, expect=429,
           expect_headers=("Retry-After",), label="throttled")

    # -- sign out ------------------------------------------------------------------------------------
    c.call("GET", "/v1/session", cookie=a_cookie, expect=401, label="after a change of roles")
    a_cookie, a_csrf, _ = sign_in(alice)
    c.call("PATCH", P, path=f"/v1/admin/users/{alice_id}", json_body={"disabled": True}, cookie=a_cookie, csrf=a_csrf,
           expect=403, label="not an admin")
    c.call("DELETE", "/v1/session", cookie=a_cookie, expect=403, label="no CSRF")
    c.call("DELETE", "/v1/session", bearer=exchanged.get("access_token"), expect=401, label="bearer does not count")
    c.call("DELETE", "/v1/session", cookie=a_cookie, csrf=a_csrf, expect=204, expect_headers=("Set-Cookie",),
           check_request=True)
    c.call("DELETE", "/v1/session", cookie=a_cookie, csrf=a_csrf, expect=401, label="again")
    c_cookie, c_csrf, _ = sign_in(carol)
    sign_in(carol)
    c.call("DELETE", "/v1/sessions", cookie=c_cookie, expect=403, label="no CSRF")
    c.call("DELETE", "/v1/sessions", cookie=c_cookie, csrf=c_csrf, expect=204, expect_headers=("Set-Cookie",),
           check_request=True, label="by cookie")
    c.call("DELETE", "/v1/sessions", cookie=c_cookie, csrf=c_csrf, expect=401, label="again")
    r = c.call("POST", T, form={"grant_type": "password", "username": carol, "password": PASSWORD}, expect=200)
    carol_tokens = c.json(r)
    c.call("DELETE", "/v1/sessions", bearer=carol_tokens.get("access_token"), expect=204,
           forbid_headers=("Set-Cookie",), label="by bearer")
    for kind in ("access_token", "refresh_token"):
        c.call("POST", I, form={"token": carol_tokens.get(kind)}, basic=svc, expect=200,
               expect_json={"active": False}, label=f"{kind} after sign out everywhere")
    c.call("DELETE", "/v1/sessions", expect=401, label="no credentials")

    # -- pages ----------------------------------------------------------------------------------------
    F = "application/x-www-form-urlencoded"
    erin = "erin@example.com"
    c.call("GET", "/register", expect=200)
    r = c.call("POST", "/register", form={"email": erin, "password": PASSWORD}, expect=303,
               expect_headers=("Location", "Set-Cookie"), check_request=True)
    e_cookie = set_cookie_value(r)
    c.call("GET", "/register", cookie=e_cookie, expect=303, expect_headers=("Location",), label="signed in")
    c.call("POST", "/register", form={"email": erin, "password": PASSWORD}, expect=409, label="taken email")
    c.call("POST", "/register", form={"email": "x@example.com", "password": "short"}, expect=400,
           label="weak password")
    c.call("POST", "/register", form={"email": "x@example.com", "password": PASSWORD},
           headers={"Sec-Fetch-Site": "cross-site"}, expect=403, label="cross-site")
    c.call("POST", "/register", json_body={"email": "x@example.com", "password": PASSWORD}, expect=415,
           label="JSON body")
    c.call("POST", "/register", data="email=%zz", content_type=F, expect=400, label="bad percent-encoding")

    c.call("GET", "/login", query={"next": "/account", "notice": "signed-out"}, expect=200, label="next and notice")
    c.call("GET", "/login", cookie=e_cookie, expect=303, expect_headers=("Location",), label="signed in")
    r = c.call("POST", "/login", form={"email": erin, "password": PASSWORD, "remember": "on", "next": "/account"},
               expect=303, expect_headers=("Location", "Set-Cookie"), check_request=True)
    e2_cookie = set_cookie_value(r)
    c.call("POST", "/login", form={"email": erin, "password": "wrong password here"}, expect=401,
           label="wrong password")
    c.call("POST", "/login", form={"email": "", "password": ""}, expect=400, label="empty fields")
    c.call("POST", "/login", data="email=a", content_type="text/plain", expect=415, label="wrong content type")
    c.call("POST", "/login", form={"email": erin, "password": PASSWORD}, headers={"Origin": "https://evil.example"},
           expect=403, label="foreign Origin")

    r = c.call("GET", "/account", cookie=e_cookie, expect=200)
    e_csrf = hidden_csrf(r.text)
    if not e_csrf:
        c.unexpected.append("GET /account: no csrf_token form field")
    c.call("GET", "/account", query={"notice": "welcome"}, expect=303, expect_headers=("Location",),
           label="signed out")
    r = c.call("GET", "/v1/sessions", cookie=e_cookie, expect=200, label="erin")
    e2_sid = next((s["id"] for s in c.json(r).get("sessions", []) if not s.get("current")), None)
    c.call("POST", "/account/sessions/{id}/revoke", path=f"/account/sessions/{e2_sid}/revoke", cookie=e_cookie,
           form={}, expect=403, label="no CSRF")
    c.call("POST", "/account/sessions/{id}/revoke", path=f"/account/sessions/{e2_sid}/revoke", cookie=e_cookie,
           form={"csrf_token": e_csrf}, expect=303, expect_headers=("Location",), check_request=True)
    c.call("POST", "/account/sessions/{id}/revoke", path=f"/account/sessions/{e2_sid}/revoke", cookie=e_cookie,
           form={"csrf_token": e_csrf}, expect=404, label="already ended")
    c.call("POST", "/account/sessions/{id}/revoke", path=f"/account/sessions/{e2_sid}/revoke", form={},
           expect=303, label="signed out")
    c.call("GET", "/account", cookie=e2_cookie, expect=303, label="the revoked device")

    r = c.call("POST", T, form={"grant_type": "password", "username": erin, "password": PASSWORD}, expect=200,
               label="erin app")
    r = c.call("GET", "/v1/me", bearer=c.json(r).get("access_token"), expect=200, label="erin app")
    family = c.json(r).get("auth", {}).get("session_id")
    c.call("POST", "/account/apps/{id}/revoke", path=f"/account/apps/{family}/revoke", cookie=e_cookie, csrf=e_csrf,
           expect=303, expect_headers=("Location",), check_request=True, label="CSRF in the header")
    c.call("POST", "/account/apps/{id}/revoke", path=f"/account/apps/{family}/revoke", cookie=e_cookie,
           form={"csrf_token": e_csrf}, expect=404, label="already revoked")

    c.call("POST", "/account/email-verification", cookie=e_cookie, form={"csrf_token": e_csrf}, expect=303,
           expect_headers=("Location",), check_request=True)
    token = mail.link_token(erin, "confirm", "/verify-email")
    c.call("POST", "/account/email-verification", cookie=e_cookie, form={"csrf_token": "wrong"}, expect=403,
           label="wrong CSRF")
    c.call("GET", "/verify-email", query={"token": token}, expect=200, check_request=True)
    c.call("GET", "/verify-email", query={"token": "short"}, expect=400, label="malformed token")
    c.call("POST", "/verify-email", form={"token": token}, cookie=e_cookie, expect=303, expect_headers=("Location",),
           check_request=True)
    c.call("POST", "/verify-email", form={"token": token}, expect=400, label="used token")
    c.call("POST", "/verify-email/resend", form={"email": erin}, expect=200, check_request=True)
    c.call("POST", "/verify-email/resend", form={"email": "not an email"}, expect=400, label="malformed email")

    c.call("POST", "/account/password", cookie=e_cookie,
           form={"csrf_token": e_csrf, "current_password": "not the password", "new_password": NEW_PASSWORD},
           expect=403, label="wrong current password")
    c.call("POST", "/account/password", cookie=e_cookie,
           form={"csrf_token": e_csrf, "current_password": PASSWORD, "new_password": "short"},
           expect=400, label="weak new password")
    c.call("POST", "/account/password", cookie=e_cookie,
           form={"csrf_token": e_csrf, "current_password": PASSWORD, "new_password": NEW_PASSWORD},
           expect=303, expect_headers=("Location",), check_request=True)
    c.call("POST", "/account/password", cookie=e_cookie, csrf=e_csrf, data="{}", content_type=J, expect=415,
           label="CSRF header and a JSON body")

    c.call("GET", "/forgot-password", expect=200)
    c.call("POST", "/forgot-password", form={"email": erin}, expect=200, check_request=True)
    c.call("POST", "/forgot-password", form={"email": "nobody@example.com"}, expect=200, label="no account")
    c.call("POST", "/forgot-password", form={"email": "not an email"}, expect=400, label="malformed email")
    token = mail.link_token(erin, "reset", "/reset-password")
    c.call("GET", "/reset-password", query={"token": token}, expect=200, check_request=True)
    c.call("GET", "/reset-password", expect=400, label="no token")
    # The form comes back with the error and must carry the link's token again for the next try.
    c.call("POST", "/reset-password", form={"token": token, "password": "short"}, expect=400, label="weak password",
           allow_echo=("token",))
    c.call("POST", "/reset-password", form={"token": token, "password": PASSWORD}, cookie=e_cookie, expect=303,
           expect_headers=("Location", "Set-Cookie", "Clear-Site-Data"), check_request=True)
    c.call("POST", "/reset-password", form={"token": token, "password": PASSWORD}, expect=400, label="used token")
    c.call("GET", "/account", cookie=e_cookie, expect=303, label="after a reset")

    r = c.call("POST", "/login", form={"email": erin, "password": PASSWORD}, expect=303, label="again")
    e_cookie = set_cookie_value(r)
    e_csrf = hidden_csrf(c.call("GET", "/account", cookie=e_cookie, expect=200, label="again").text)
    c.call("POST", "/logout", cookie=e_cookie, form={"csrf_token": "wrong"}, expect=403, label="wrong CSRF")
    c.call("POST", "/logout", cookie=e_cookie, form={"csrf_token": e_csrf}, expect=303,
           expect_headers=("Location", "Set-Cookie"), check_request=True)
    c.call("POST", "/logout", form={}, expect=303, label="signed out")
    r = c.call("POST", "/login", form={"email": erin, "password": PASSWORD}, expect=303, label="once more")
    e_cookie = set_cookie_value(r)
    e_csrf = hidden_csrf(c.call("GET", "/account", cookie=e_cookie, expect=200, label="once more").text)
    c.call("POST", "/account/sessions/revoke-all", cookie=e_cookie, form={}, expect=403, label="no CSRF")
    c.call("POST", "/account/sessions/revoke-all", cookie=e_cookie, form={"csrf_token": e_csrf}, expect=303,
           expect_headers=("Location", "Set-Cookie"), check_request=True)
    c.call("POST", "/account/sessions/revoke-all", form={}, expect=303, label="signed out")
    c.call("GET", "/v1/session", cookie=e_cookie, expect=401, label="after sign out everywhere")

    # -- emergency key rotation: every other key leaves the JWKS and its tokens die at once ----------
    r = c.call("POST", T, form={"grant_type": "password", "username": erin, "password": PASSWORD}, expect=200,
               label="before an emergency rotation")
    before = c.json(r).get("access_token")
    r = c.call("POST", "/v1/admin/keys/rotate", json_body={"now": True}, cookie=ad_cookie, csrf=ad_csrf, expect=200,
               label="emergency")
    kid = c.json(r).get("kid")
    r = c.call("GET", "/.well-known/jwks.json", expect=200, label="after an emergency rotation")
    if [k.get("kid") for k in c.json(r).get("keys", [])] != [kid]:
        c.unexpected.append(f"JWKS after an emergency rotation: {r.text[:300]}")
    c.call("GET", "/v1/me", bearer=before, expect=401, expect_headers=("WWW-Authenticate",),
           label="a token signed before an emergency rotation")
    r = c.call("POST", T, form={"grant_type": "password", "username": erin, "password": PASSWORD}, expect=200,
               label="after an emergency rotation")
    c.call("GET", "/v1/me", bearer=c.json(r).get("access_token"), expect=200, label="after an emergency rotation")


def scenario_mail_off(c: Checker, server: Server):
    """`--mail off`: the recovery routes answer 503 (API) or 404 (pages)."""
    who = "mailless@example.com"
    c.call("POST", "/v1/accounts", json_body={"email": who, "password": PASSWORD}, expect=201, label="mail off")
    r = c.call("POST", "/v1/sessions", json_body={"email": who, "password": PASSWORD}, expect=201, label="mail off")
    cookie, csrf = set_cookie_value(r), c.json(r).get("csrf_token")
    c.call("POST", "/v1/password-reset", json_body={"email": who}, expect=503, label="mail off",
           expect_json={"type": "/problems/mail-disabled", "title": "Mail is off"})
    c.call("POST", "/v1/password-reset/confirm", json_body={"token": "A" * 43, "password": NEW_PASSWORD}, expect=503,
           label="mail off")
    c.call("POST", "/v1/password", json_body={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
           cookie=cookie, csrf=csrf, expect=503, label="mail off")
    c.call("POST", "/v1/email-verification", cookie=cookie, csrf=csrf, expect=503, label="mail off")
    c.call("POST", "/v1/email-verification/confirm", json_body={"token": "A" * 43}, expect=503, label="mail off")
    c.call("GET", "/forgot-password", expect=404, label="mail off")
    c.call("POST", "/forgot-password", form={"email": who}, expect=404, label="mail off")
    c.call("GET", "/reset-password", query={"token": "A" * 43}, expect=404, label="mail off")
    c.call("POST", "/reset-password", form={"token": "A" * 43, "password": NEW_PASSWORD}, expect=404, label="mail off")
    c.call("GET", "/verify-email", query={"token": "A" * 43}, expect=404, label="mail off")
    c.call("POST", "/verify-email", form={"token": "A" * 43}, expect=404, label="mail off")
    c.call("POST", "/verify-email/resend", form={"email": who}, expect=404, label="mail off")
    c.call("POST", "/account/email-verification", cookie=cookie, form={"csrf_token": csrf}, expect=404,
           label="mail off")
    c.call("POST", "/account/password", cookie=cookie,
           form={"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW_PASSWORD}, expect=404,
           label="mail off")


def scenario_verified_email(c: Checker, server: Server):
    """`--require-verified-email on`: no sign-in before the address is confirmed."""
    mail = Mailbox(server.mail_dir)
    who, page_who = "unverified@example.com", "unverified-page@example.com"
    c.call("POST", "/v1/accounts", json_body={"email": who, "password": PASSWORD}, expect=201, label="verified only")
    c.call("POST", "/v1/sessions", json_body={"email": who, "password": PASSWORD}, expect=403,
           forbid_headers=("Set-Cookie",), label="unverified", expect_json={"type": "/problems/email-not-verified"})
    c.call("POST", "/v1/token", form={"grant_type": "password", "username": who, "password": PASSWORD}, expect=403,
           label="unverified", expect_json={"type": "/problems/email-not-verified"})
    c.call("POST", "/login", form={"email": who, "password": PASSWORD}, expect=403, forbid_headers=("Set-Cookie",),
           label="unverified")
    c.call("POST", "/register", form={"email": page_who, "password": PASSWORD}, expect=201,
           forbid_headers=("Set-Cookie",), label="verified only")
    c.call("POST", "/verify-email/resend", form={"email": who}, expect=200, label="verified only")
    token = mail.link_token(who, "confirm", "/verify-email")
    c.call("POST", "/verify-email", form={"token": token}, expect=303, expect_headers=("Location",),
           label="signed out")
    c.call("POST", "/v1/sessions", json_body={"email": who, "password": PASSWORD}, expect=201, label="verified")


def scenario_strict(c: Checker, server: Server):
    """`--registration-throttle 2/h`: registrations and mail requests beyond 2 an hour per network
    get 429 with `Retry-After`, as problem documents (API) or pages; so do failed sign-ins beyond 10.
    `--refresh-grace 0s`: presenting a rotated refresh token again is reuse, which ends the family."""
    users = ("t1@example.com", "t2@example.com")
    for who in users:
        c.call("POST", "/v1/accounts", json_body={"email": who, "password": PASSWORD}, expect=201, label="throttle")
    T = "/v1/token"
    r = c.call("POST", T, form={"grant_type": "password", "username": users[0], "password": PASSWORD}, expect=200,
               label="strict")
    first = c.json(r).get("refresh_token")
    r = c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": first}, expect=200, label="rotation")
    second = c.json(r).get("refresh_token")
    c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": first}, expect=400,
           expect_json={"error": "invalid_grant"}, label="reuse after the grace window")
    c.call("POST", T, form={"grant_type": "refresh_token", "refresh_token": second}, expect=400,
           expect_json={"error": "invalid_grant"}, label="the successor of a reused token")
    c.call("POST", "/v1/accounts", json_body={"email": "t3@example.com", "password": PASSWORD}, expect=429,
           expect_headers=("Retry-After",), label="throttled")
    c.call("POST", "/register", form={"email": "t3@example.com", "password": PASSWORD}, expect=429,
           expect_headers=("Retry-After",), label="throttled")
    r = c.call("POST", "/v1/sessions", json_body={"email": users[0], "password": PASSWORD}, expect=201,
               label="throttle")
    cookie, csrf = set_cookie_value(r), c.json(r).get("csrf_token")
    for _ in range(2):
        c.call("POST", "/v1/password-reset", json_body={"email": users[1]}, expect=202, label="throttle")
    c.call("POST", "/v1/password-reset", json_body={"email": users[1]}, expect=429, expect_headers=("Retry-After",),
           label="throttled")
    c.call("POST", "/forgot-password", form={"email": users[1]}, expect=429, expect_headers=("Retry-After",),
           label="throttled")
    c.call("POST", "/verify-email/resend", form={"email": users[1]}, expect=429, expect_headers=("Retry-After",),
           label="throttled")
    c.call("POST", "/v1/email-verification", cookie=cookie, csrf=csrf, expect=429, expect_headers=("Retry-After",),
           label="throttled")
    c.call("POST", "/account/email-verification", cookie=cookie, form={"csrf_token": csrf}, expect=429,
           expect_headers=("Retry-After",), label="throttled")
    for i in range(10):
        c.call("POST", "/login", form={"email": users[1], "password": f"wrong password {i}"}, expect=401,
               label=f"failed sign-in {i + 1}")
    c.call("POST", "/login", form={"email": users[1], "password": PASSWORD}, expect=429,
           expect_headers=("Retry-After",), label="throttled")


def scenario_passkeys(c: Checker, server: Server):
    """Passkeys (WebAuthn), on a server whose public URL is `http://localhost:PORT`: the relying party is
    `localhost`, and the software authenticator makes its ceremonies as a browser on that origin would."""
    J, F = "application/json", "application/x-www-form-urlencoded"
    origin = server.public_url
    RO, RG, CL, CI = ("/v1/webauthn/register/options", "/v1/webauthn/register", "/v1/webauthn/credentials",
                      "/v1/webauthn/credentials/{id}")
    LO, LG = "/v1/webauthn/login/options", "/v1/webauthn/login"
    RN, RM = "/account/passkeys/{id}/rename", "/account/passkeys/{id}/remove"
    NOT_ACCEPTED = {"detail": "The passkey was not accepted."}
    NOT_VALID = {"detail": "The passkey response is not valid."}
    EXPIRED = {"detail": "This sign-in has expired or is already complete. Sign in again."}
    CONFIRM = {"detail": "Confirm your password to change how you sign in (or sign in again)."}
    NOT_RIGHT = {"detail": "The current password is not right."}
    REGISTERED = {"detail": "This passkey is registered already."}
    PASSKEY_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'; script-src 'self'; connect-src 'self'")

    def sign_in(who, **kw):
        r = c.call("POST", "/v1/sessions", json_body={"email": who, "password": PASSWORD, **kw}, expect=201,
                   expect_headers=("Set-Cookie",), label="passkeys")
        return set_cookie_value(r), c.json(r).get("csrf_token")

    def mfa_challenge(who, methods, **kw):
        r = c.call("POST", "/v1/sessions", json_body={"email": who, "password": PASSWORD, **kw}, expect=200,
                   forbid_headers=("Set-Cookie",), check_request=True,
                   expect_json={"mfa_required": True, "methods": methods}, label=f"methods {methods}")
        return c.json(r).get("mfa_token")

    def creation_options(label="", **credentials):
        r = c.call("POST", RO, expect=200, expect_headers=("Cache-Control",), label=label, **credentials)
        return c.json(r)

    def add(key, name=None, label="", **credentials):
        options = creation_options(label=label, **credentials)
        body = {"credential": key.register(options, origin)}
        if name is not None:
            body["name"] = name
        r = c.call("POST", RG, json_body=body, expect=201, label=label, **credentials)
        return c.json(r)

    def request_options(mfa_token=None, label=""):
        r = c.call("POST", LO, json_body={"mfa_token": mfa_token} if mfa_token else None, expect=200,
                   expect_headers=("Cache-Control",), label=label)
        return c.json(r)

    def passkey_sign_in(key, mfa_token=None, label="", **kw):
        options = request_options(mfa_token, label=label)
        body = {"credential": key.assert_(options, origin), **({"mfa_token": mfa_token} if mfa_token else {}), **kw}
        r = c.call("POST", LG, json_body=body, expect=201, expect_headers=("Set-Cookie",), label=label)
        return r, set_cookie_value(r), c.json(r).get("csrf_token")

    def amr(label, cookie, wanted):
        r = c.call("GET", "/v1/me", cookie=cookie, expect=200, label=label)
        auth = c.json(r).get("auth", {})
        if auth.get("amr") != wanted or not isinstance(auth.get("auth_time"), int):
            c.unexpected.append(f"GET /v1/me [{label}]: amr {auth.get('amr')}, not {wanted} (auth_time "
                                f"{auth.get('auth_time')})")

    def max_age(r, wanted, label):
        if f"Max-Age={wanted}" not in r.headers.get("Set-Cookie", ""):
            c.unexpected.append(f"POST {LG} [{label}]: cookie Max-Age is not {wanted}: {r.headers.get('Set-Cookie')}")

    def listed(label, **credentials):
        r = c.call("GET", CL, expect=200, label=label, **credentials)
        return c.json(r).get("credentials", [])

    def path(template, passkey_id):
        return template.replace("{id}", passkey_id)

    def without_handle(assertion, handle=...):
        """The assertion with no `userHandle` member (or with `handle` as its value: "" or None)."""
        response = {k: v for k, v in assertion["response"].items() if k != "userHandle"}
        if handle is not ...:
            response["userHandle"] = handle
        return {**assertion, "response": response}

    def removal_password_field(label, cookie, passkey_id):
        """Whether the account page's removal form of the passkey has a password field, which must then be
        required; None when the page does not show the passkey's removal form."""
        r = c.call("GET", "/account", cookie=cookie, expect=200, label=label)
        form = re.search(r'<form method="post" action="/account/passkeys/' + re.escape(passkey_id) + r'/remove">(.*?)</form>',
                         r.text, re.S)
        if not form:
            c.unexpected.append(f"GET /account [{label}]: no removal form for passkey {passkey_id}")
            return None
        field = re.search(r'<input id="remove-' + re.escape(passkey_id) + r'" name="password"[^>]*>', form.group(1))
        if field and not re.search(r"\brequired\b", field.group(0)):
            c.unexpected.append(f"GET /account [{label}]: the removal form's password field is not required")
        return field is not None

    def exchanged_token(cookie, csrf, label):
        """An access token for the session (token exchange): its auth_time is the session's sign-in."""
        r = c.call("POST", "/v1/token", form={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                                             "subject_token_type": "urn:portcullis:session"},
                   cookie=cookie, csrf=csrf, expect=200, label=label)
        return c.json(r).get("access_token")

    pat, quinn, rae, sam, tess = (f"{n}@example.com" for n in ("pat", "quinn", "rae", "sam", "tess"))
    for who in (pat, quinn, rae, sam, tess):
        c.call("POST", "/v1/accounts", json_body={"email": who, "password": PASSWORD}, expect=201, label="passkeys")

    # -- pat: adding a passkey, by cookie -----------------------------------------------------------
    p_cookie, p_csrf = sign_in(pat)
    p2_cookie, p2_csrf = sign_in(pat)
    P = {"cookie": p_cookie, "csrf": p_csrf}
    c.call("GET", CL, cookie=p_cookie, expect=200, expect_json={"credentials": []}, check_request=True, label="none")
    c.call("GET", CL, expect=401, label="no credentials")
    c.call("POST", RO, cookie=p_cookie, expect=403, expect_json={"title": "CSRF check failed"}, label="no CSRF")
    c.call("POST", RO, expect=401, label="no credentials")
    c.call("POST", RO, data=b'{"password":', content_type=J, expect=400, label="malformed JSON", **P)
    c.call("POST", RO, json_body={"password": 12345}, expect=400, label="password not a string", **P)
    c.call("POST", RO, data="password=x", content_type="text/plain", expect=200,
           label="a body that is not JSON is not read", **P)
    c.call("POST", RO, json_body={"password": "not the password"}, expect=200,
           label="recent sign-in: a password sent is not checked", **P)
    c.call("POST", RO, json_body={"password": PASSWORD}, expect=200, check_request=True,
           label="recent sign-in, with the password", **P)
    c.call("POST", RO, form={"csrf_token": p_csrf}, cookie=p_cookie, expect=200, label="CSRF token in a form body")
    r = c.call("POST", RO, expect=200, expect_headers=("Cache-Control",), check_request=True, label="no body", **P)
    options = c.json(r)
    p_id = c.json(c.call("GET", "/v1/me", cookie=p_cookie, expect=200, label="pat")).get("id", "")
    algs = [p.get("alg") for p in options.get("pubKeyCredParams", [])]
    if options.get("rp", {}).get("id") != "localhost" or options.get("user", {}).get("name") != pat \
            or b64url_decode(options.get("user", {}).get("id", "")) != p_id.encode() \
            or options.get("excludeCredentials") != [] or -7 not in algs \
            or options.get("authenticatorSelection", {}).get("userVerification") != "required":
        c.unexpected.append(f"POST {RO}: unexpected options: {r.text[:400]}")

    key = SoftwarePasskey()
    good = key.register(options, origin)
    short = SoftwarePasskey()
    short.credential_id = os.urandom(15)  # WebAuthn Level 3 asks for at least 16 bytes
    c.call("POST", RG, data=json.dumps({"credential": good}), content_type="text/plain", expect=415,
           label="wrong content type", **P)
    c.call("POST", RG, data=b'{"credential":', content_type=J, expect=400, label="malformed JSON", **P)
    c.call("POST", RG, json_body={}, expect=400, label="no credential", **P)
    c.call("POST", RG, json_body={"credential": {"id": key.id, "rawId": key.id, "type": "public-key"}}, expect=400,
           label="no response", **P)
    c.call("POST", RG, json_body={"credential": good, "name": "n" * 70000}, expect=413, label="body over 64 KiB", **P)
    c.call("POST", RG, json_body={"credential": good}, cookie=p_cookie, expect=403, label="no CSRF")
    c.call("POST", RG, json_body={"credential": good}, expect=401, label="no credentials")
    refusals = [
        ("another origin", 401, NOT_ACCEPTED, key.register(options, "https://evil.example")),
        ("another port", 401, NOT_ACCEPTED, key.register(options, "http://localhost:1")),
        ("another relying party", 401, NOT_ACCEPTED, key.register(options, origin, rp_id="evil.example")),
        ("no user verification", 401, NOT_ACCEPTED, key.register(options, origin, flags=0x41)),
        ("a challenge not issued here", 401, NOT_ACCEPTED,
         key.register({**options, "challenge": b64url(os.urandom(40))}, origin)),
        ("client data of type webauthn.get", 400, NOT_VALID, key.register(options, origin, kind="webauthn.get")),
        ("attestation format fido-u2f", 400, NOT_VALID, key.register(options, origin, fmt="fido-u2f")),
        ("rawId not the attested id", 400, NOT_VALID, {**good, "rawId": b64url(os.urandom(32))}),
        ("type not public-key", 400, NOT_VALID, {**good, "type": "password"}),
        ("attestationObject not base64url", 400, NOT_VALID,
         {**good, "response": {**good["response"], "attestationObject": "%%%"}}),
        ("a credential id of 15 bytes", 400, NOT_VALID, short.register(options, origin)),
    ]
    for label, status, problem, credential in refusals:
        c.call("POST", RG, json_body={"credential": credential}, expect=status, expect_json=problem, label=label, **P)
    other_session = creation_options(label="another session", cookie=p2_cookie, csrf=p2_csrf)
    c.call("POST", RG, json_body={"credential": key.register(other_session, origin)}, expect=401,
           expect_json=NOT_ACCEPTED, label="options of another session", **P)
    r = c.call("POST", RG, json_body={"credential": good, "name": "  Laptop\t"}, expect=201, check_request=True, **P)
    added = c.json(r)
    if added.get("id") != key.id or added.get("name") != "Laptop" or added.get("last_used_at") is not None \
            or added.get("transports") != ["internal"] or added.get("backup_eligible") is not False:
        c.unexpected.append(f"POST {RG}: unexpected passkey: {r.text[:300]}")
    c.call("POST", RG, json_body={"credential": SoftwarePasskey().register(options, origin)}, expect=401,
           expect_json=NOT_ACCEPTED, label="a spent challenge", **P)
    # The passkey is inserted before the challenge is spent: the same registration again is a duplicate.
    c.call("POST", RG, json_body={"credential": good}, expect=400, expect_json=REGISTERED,
           label="the same registration again, its challenge spent", **P)
    c.call("GET", "/v1/session", cookie=p2_cookie, expect=401, label="another session, after a passkey was added")
    c.call("GET", "/v1/session", cookie=p_cookie, expect=200, label="the session that added a passkey")
    options = creation_options(label="with a passkey", **P)
    if [d.get("id") for d in options.get("excludeCredentials", [])] != [key.id]:
        c.unexpected.append(f"POST {RO}: excludeCredentials does not list the passkey: {options}")
    c.call("POST", RG, json_body={"credential": key.register(options, origin)}, expect=400,
           expect_json=REGISTERED, label="registered already", **P)
    if [p.get("id") for p in listed("one passkey", cookie=p_cookie)] != [key.id]:
        c.unexpected.append(f"GET {CL}: does not list the one passkey")

    # -- pat: the password alone no longer signs in ------------------------------------------------------
    mfa_challenge(pat, ["webauthn"])
    r = c.call("POST", "/v1/token", form={"grant_type": "password", "username": pat, "password": PASSWORD},
               expect=403, expect_json={"error": "mfa_required"}, label="an account with a passkey (mfa_required)")
    c.call("POST", "/v1/token", form={"grant_type": "urn:portcullis:grant-type:mfa-otp",
                                      "mfa_token": c.json(r).get("mfa_token"), "otp": "123456"},
           expect=400, expect_json={"error": "invalid_grant"}, label="mfa-otp grant for an account with only a passkey")

    # -- pat: signing in with the passkey alone -------------------------------------------------------------
    r = c.call("POST", LO, expect=200, expect_headers=("Cache-Control",), check_request=True, label="no body")
    options = c.json(r)
    if options.get("allowCredentials") != [] or options.get("rpId") != "localhost" \
            or options.get("userVerification") != "required" or options.get("timeout") != 300000:
        c.unexpected.append(f"POST {LO}: unexpected options: {r.text[:300]}")
    c.call("POST", LO, json_body={}, expect=200, check_request=True, label="empty object")
    c.call("POST", LO, data="mfa_token=x", content_type="text/plain", expect=200,
           label="a body that is not JSON is not read")
    c.call("POST", LO, data=b'{"mfa_token":', content_type=J, expect=400, label="malformed JSON")
    c.call("POST", LO, json_body={"mfa_token": 5}, expect=400, label="mfa_token not a string")
    c.call("POST", LO, json_body={"mfa_token": "A" * 43}, expect=401, expect_json=EXPIRED, label="unknown mfa_token")
    c.call("POST", LO, json_body={"mfa_token": "A" * 300}, expect=401, expect_json=EXPIRED,
           label="mfa_token over 256 bytes")
    assertion = key.assert_(options, origin)
    c.call("POST", LG, data=json.dumps({"credential": assertion}), content_type="text/plain", expect=415,
           label="wrong content type")
    c.call("POST", LG, data=b'{"credential":', content_type=J, expect=400, label="malformed JSON")
    c.call("POST", LG, json_body={}, expect=400, label="no credential")
    c.call("POST", LG, json_body={"credential": {"id": key.id}}, expect=400, label="no response")
    c.call("POST", LG, json_body={"credential": SoftwarePasskey(b"x").assert_(options, origin)}, expect=401,
           expect_json=NOT_ACCEPTED, forbid_headers=("Set-Cookie",), label="an unknown passkey")
    c.call("POST", LG, json_body={"credential": {**assertion, "id": "A" * 1500, "rawId": "A" * 1500}}, expect=401,
           expect_json=NOT_ACCEPTED, label="a credential id over 1400 bytes")
    c.call("POST", LG, json_body={"credential": {**assertion, "rawId": b64url(os.urandom(32))}}, expect=400,
           expect_json=NOT_VALID, label="rawId not id")
    c.call("POST", LG, json_body={"credential": key.assert_(options, origin, kind="webauthn.create")}, expect=400,
           expect_json=NOT_VALID, label="client data of type webauthn.create")
    # Without an mfa_token nobody was identified beforehand: the user handle must say who.
    for handle, label in ((..., "no userHandle"), ("", "an empty userHandle"), (None, "userHandle null")):
        c.call("POST", LG, json_body={"credential": without_handle(key.assert_(options, origin), handle)}, expect=400,
               expect_json=NOT_VALID, forbid_headers=("Set-Cookie",), label=f"a passkey alone, {label}")
    r = c.call("POST", LG, json_body={"credential": assertion}, cookie=p_cookie, expect=201,
               expect_headers=("Set-Cookie",), check_request=True, label="a passkey alone")
    pl_cookie = set_cookie_value(r)
    max_age(r, 43200, "a passkey alone")
    if c.json(r).get("user", {}).get("email") != pat:
        c.unexpected.append(f"POST {LG}: signed in as {c.json(r).get('user')}")
    c.call("GET", "/v1/session", cookie=p_cookie, expect=401, label="the cookie sent with a passkey sign-in")
    amr("signed in with a passkey", pl_cookie, ["hwk", "user", "mfa"])
    c.call("POST", LG, json_body={"credential": assertion}, expect=401, expect_json=NOT_ACCEPTED,
           forbid_headers=("Set-Cookie",), label="the same assertion again")
    r, pr_cookie, pr_csrf = passkey_sign_in(key, label="remember", remember=True)
    max_age(r, 2592000, "remember")
    used = listed("after a sign-in", cookie=pr_cookie)
    if not used or not isinstance(used[0].get("last_used_at"), int):
        c.unexpected.append(f"GET {CL}: last_used_at is not set after a sign-in: {used}")
    P = {"cookie": pr_cookie, "csrf": pr_csrf}

    # -- pat: the passkey as the second step of a password sign-in --------------------------------------------
    token = mfa_challenge(pat, ["webauthn"], remember=True)
    r = c.call("POST", LO, json_body={"mfa_token": token}, expect=200, check_request=True, label="second step")
    options = c.json(r)
    if [d.get("id") for d in options.get("allowCredentials", [])] != [key.id]:
        c.unexpected.append(f"POST {LO} [second step]: allowCredentials is not the account's passkeys: {r.text[:300]}")
    c.call("POST", LG, json_body={"credential": key.assert_(options, origin)}, expect=401, expect_json=NOT_ACCEPTED,
           label="a second step's challenge without its mfa_token")
    alone = request_options(label="for a passkey alone")
    c.call("POST", LG, json_body={"credential": key.assert_(alone, origin), "mfa_token": token}, expect=401,
           expect_json=NOT_ACCEPTED, label="a challenge for a passkey alone with an mfa_token")
    r = c.call("POST", LG, json_body={"credential": key.assert_(options, origin), "mfa_token": token,
                                      "remember": False},
               expect=201, expect_headers=("Set-Cookie",), check_request=True, label="second step")
    max_age(r, 2592000, "second step: remember carries over from the password step")
    amr("a password and a passkey", set_cookie_value(r), ["pwd", "hwk", "user", "mfa"])
    c.call("POST", LO, json_body={"mfa_token": token}, expect=401, expect_json=EXPIRED, label="used mfa_token")
    c.call("POST", LG, json_body={"credential": key.assert_(options, origin), "mfa_token": token}, expect=401,
           expect_json=EXPIRED, label="used mfa_token")
    # A second step names its account by the mfa_token: there the user handle may be left out.
    token = mfa_challenge(pat, ["webauthn"])
    options = request_options(token, label="second step, no userHandle")
    r = c.call("POST", LG, json_body={"credential": without_handle(key.assert_(options, origin)), "mfa_token": token},
               expect=201, expect_headers=("Set-Cookie",), label="second step, no userHandle")
    amr("a second step without a user handle", set_cookie_value(r), ["pwd", "hwk", "user", "mfa"])

    # -- pat: rename -----------------------------------------------------------------------------------------
    _, p3_cookie, _ = passkey_sign_in(key, label="another session")
    here = path(CI, key.id)
    for name, wanted in (("Phone", "Phone"), ("", "Passkey"), (" Work\nlaptop\u0007 ", "Worklaptop"),
                         ("x" * 100, "x" * 64), ("a\u202egnp.exe\u202c", "agnp.exe"), ("\u2028Tab\u2029let\u200b", "Tablet"),
                         ("\U0001F469\u200d\U0001F4BB Dev", "\U0001F469\u200d\U0001F4BB Dev"),
                         ("e" + "\u0301" * 100, "e" + "\u0301" * 63)):
        c.call("PATCH", CI, path=here, json_body={"name": name}, expect=200, expect_json={"name": wanted, "id": key.id},
               check_request=True, label=f"name {name[:12]!r}", **P)
    c.call("PATCH", CI, path=here, json_body={"name": "x"}, cookie=pr_cookie, expect=403, label="no CSRF")
    c.call("PATCH", CI, path=here, json_body={"name": "x"}, expect=401, label="no credentials")
    c.call("PATCH", CI, path=here, data="name=x", content_type=F, expect=415, label="form body", **P)
    c.call("PATCH", CI, path=here, json_body={}, expect=400, label="no name", **P)
    c.call("PATCH", CI, path=here, json_body={"name": 5}, expect=400, label="name not a string", **P)
    c.call("PATCH", CI, path=path(CI, "no-such-passkey"), json_body={"name": "x"}, expect=404, label="unknown id", **P)
    c.call("GET", "/v1/session", cookie=p3_cookie, expect=200, label="another session, after a rename")

    # -- pat: removal --------------------------------------------------------------------------------------
    key2 = SoftwarePasskey()
    add(key2, label="a second passkey", **P)
    _, p3_cookie, _ = passkey_sign_in(key, label="another session")
    there = path(CI, key2.id)
    if removal_password_field("two passkeys, a recent sign-in", pr_cookie, key2.id):
        c.unexpected.append("GET /account [two passkeys, a recent sign-in]: a removal form asks for the password")
    c.call("DELETE", CI, path=path(CI, "no-such-passkey"), expect=404, label="unknown id", **P)
    c.call("DELETE", CI, path=there, cookie=pr_cookie, expect=403, label="no CSRF")
    c.call("DELETE", CI, path=there, expect=401, label="no credentials")
    c.call("DELETE", CI, path=there, data=b'{"password":', content_type=J, expect=400, label="malformed JSON", **P)
    c.call("DELETE", CI, path=there, json_body={"password": 5}, expect=400, label="password not a string", **P)
    c.call("DELETE", CI, path=there, json_body={"password": "not the password"}, expect=204, check_request=True,
           label="recent sign-in: a password sent is not checked", **P)
    c.call("DELETE", CI, path=there, expect=404, label="removed already", **P)
    c.call("GET", "/v1/session", cookie=p3_cookie, expect=401, label="another session, after a passkey was removed")
    c.call("POST", LG, json_body={"credential": key2.assert_(request_options(label="removed"), origin)}, expect=401,
           expect_json=NOT_ACCEPTED, label="a removed passkey")

    # -- pat: the last second factor always needs the password; a bearer caller always gives it ----------------
    # pat's one passkey is now the account's last second factor (no authenticator app): removing it takes the
    # account back to a password alone, which needs the password even right after signing in.
    last = path(CI, key.id)
    if removal_password_field("the last second factor, a recent sign-in", pr_cookie, key.id) is False:
        c.unexpected.append("GET /account [the last second factor]: its removal form has no password field")
    c.call("DELETE", CI, path=last, expect=403, expect_json=CONFIRM,
           label="the last second factor, a recent sign-in, no password", **P)
    c.call("DELETE", CI, path=last, json_body={"password": None}, expect=403, expect_json=CONFIRM,
           label="the last second factor, password null", **P)
    c.call("DELETE", CI, path=last, json_body={"password": "not the password"}, expect=403, expect_json=NOT_RIGHT,
           label="the last second factor, a wrong password", **P)
    # A token's auth_time is never a recent sign-in here, not even that of a token exchanged from a session
    # signed in just now (whose cookie needs no password).
    p_bearer = exchanged_token(pr_cookie, pr_csrf, "pat, signed in just now")
    c.call("POST", RO, bearer=p_bearer, expect=403, expect_json=CONFIRM,
           label="bearer: a token exchanged from a session signed in just now, no password")
    c.call("POST", RO, bearer=p_bearer, json_body={"password": PASSWORD}, expect=200,
           label="bearer: a token exchanged from a session signed in just now, with the password")
    c.call("POST", RO, expect=200, label="the same session by cookie, no password", **P)
    c.call("DELETE", CI, path=last, bearer=p_bearer, expect=403, expect_json=CONFIRM,
           label="bearer, the last second factor, no password")
    if [k.get("id") for k in listed("refused removals of the last second factor", cookie=pr_cookie)] != [key.id]:
        c.unexpected.append(f"DELETE {CI}: a refused removal of the last second factor removed it")
    c.call("DELETE", CI, path=last, json_body={"password": PASSWORD}, expect=204, check_request=True,
           label="the last second factor, a recent sign-in, with the password", **P)
    c.call("GET", CL, cookie=pr_cookie, expect=200, expect_json={"credentials": []}, label="the last one removed")
    sign_in(pat)  # the password alone signs in again

    # -- quinn: by bearer; an authenticator app and a passkey; a change of factors ends the mfa_token -------------
    r = c.call("POST", "/v1/token", form={"grant_type": "password", "username": quinn, "password": PASSWORD},
               expect=200, label="quinn")
    q_access = c.json(r).get("access_token")
    qkey = SoftwarePasskey()
    # A bearer caller always gives the password: the token's auth_time (just now) is not a recent sign-in here.
    c.call("POST", RO, bearer=q_access, expect=403, expect_json=CONFIRM, label="bearer signed in just now, no body")
    c.call("POST", RO, bearer=q_access, json_body={}, expect=403, expect_json=CONFIRM,
           label="bearer signed in just now, no password")
    c.call("POST", RO, bearer=q_access, json_body={"password": "not the password"}, expect=403, expect_json=NOT_RIGHT,
           label="bearer, a wrong password")
    r = c.call("POST", RO, bearer=q_access, json_body={"password": PASSWORD}, expect=200,
               expect_headers=("Cache-Control",), check_request=True, label="bearer, with the password")
    options = c.json(r)
    c.call("POST", RG, json_body={"credential": qkey.register(options, origin), "name": None}, bearer=q_access,
           expect=201, expect_json={"name": "Passkey"}, check_request=True, label="bearer")
    c.call("GET", CL, bearer=q_access, expect=401, label="the token of the bearer that added a passkey")
    c.call("PATCH", CI, path=path(CI, key.id), json_body={"name": "x"}, bearer=q_access, expect=401,
           label="the token of the bearer that added a passkey")
    _, q_cookie, q_csrf = passkey_sign_in(qkey, label="quinn")
    c.call("PATCH", CI, path=path(CI, key.id), json_body={"name": "x"}, cookie=q_cookie, csrf=q_csrf, expect=404,
           label="another account's passkey")
    c.call("DELETE", CI, path=path(CI, key.id), cookie=q_cookie, csrf=q_csrf, expect=404,
           label="another account's passkey")
    r = c.call("POST", "/v1/mfa/totp", cookie=q_cookie, csrf=q_csrf, expect=200, label="quinn")
    q_secret = c.json(r).get("secret", "")
    c.call("POST", "/v1/mfa/totp/confirm", json_body={"code": totp_code(q_secret, -1)}, cookie=q_cookie,
           csrf=q_csrf, expect=200, label="quinn")
    token = mfa_challenge(quinn, ["totp", "recovery_code", "webauthn"])
    options = request_options(token, label="quinn's second step")
    c.call("POST", LG, json_body={"credential": key.assert_(options, origin), "mfa_token": token}, expect=401,
           expect_json=NOT_ACCEPTED, label="another account's passkey for an mfa_token")
    r = c.call("POST", LG, json_body={"credential": qkey.assert_(options, origin), "mfa_token": token}, expect=201,
               label="app and passkey: the passkey")
    amr("a password and a passkey, with an app too", set_cookie_value(r), ["pwd", "hwk", "user", "mfa"])
    waiting = mfa_challenge(quinn, ["totp", "recovery_code", "webauthn"])
    waiting_options = request_options(waiting, label="to be ended by a new passkey")
    qkey2 = SoftwarePasskey()
    add(qkey2, label="ends the challenges in flight", cookie=q_cookie, csrf=q_csrf)
    c.call("POST", LG, json_body={"credential": qkey.assert_(waiting_options, origin), "mfa_token": waiting},
           expect=401, expect_json=EXPIRED, label="a challenge from before a passkey was added")
    c.call("POST", "/v1/sessions/mfa", json_body={"mfa_token": waiting, "code": totp_code(q_secret)}, expect=401,
           expect_json=EXPIRED, label="a challenge from before a passkey was added")

    # -- quinn: removing a passkey by bearer needs the password; with the app on, one passkey is not the last factor --
    r = c.call("POST", "/v1/token", form={"grant_type": "password", "username": quinn, "password": PASSWORD},
               expect=403, expect_json={"error": "mfa_required"}, label="quinn, app and passkeys")
    r = c.call("POST", "/v1/token", form={"grant_type": "urn:portcullis:grant-type:mfa-otp",
                                         "mfa_token": c.json(r).get("mfa_token"), "otp": totp_code(q_secret)},
               expect=200, label="quinn, app and passkeys")
    q_access = c.json(r).get("access_token")
    second = path(CI, qkey2.id)
    c.call("DELETE", CI, path=second, bearer=q_access, expect=403, expect_json=CONFIRM,
           label="bearer signed in just now, one of two passkeys, no password")
    c.call("DELETE", CI, path=second, bearer=q_access, json_body={"password": "not the password"}, expect=403,
           expect_json=NOT_RIGHT, label="bearer, a wrong password")
    c.call("DELETE", CI, path=second, bearer=q_access, json_body={"password": PASSWORD}, expect=204,
           check_request=True, label="bearer, with the password")
    c.call("GET", CL, bearer=q_access, expect=401, label="the token of the bearer that removed a passkey")
    token = mfa_challenge(quinn, ["totp", "recovery_code", "webauthn"])
    _, q_cookie, q_csrf = passkey_sign_in(qkey, token, label="quinn, one passkey and the app")
    if removal_password_field("one passkey and the app, a recent sign-in", q_cookie, qkey.id):
        c.unexpected.append("GET /account [one passkey and the app]: the removal form asks for the password")
    c.call("DELETE", CI, path=path(CI, qkey.id), cookie=q_cookie, csrf=q_csrf, expect=204,
           label="the only passkey with the app on, a recent sign-in, no password")

    # -- quinn: the second step of an account with only the app offers no passkey ---------------------------------
    token = mfa_challenge(quinn, ["totp", "recovery_code"])
    c.call("POST", LO, json_body={"mfa_token": token}, expect=400, expect_json={"detail": "This account has no passkey."},
           label="the mfa_token of an account without a passkey")
    c.call("POST", "/v1/sessions/mfa", json_body={"mfa_token": token, "code": totp_code(q_secret, 1)}, expect=201,
           expect_headers=("Set-Cookie",), label="an mfa_token refused passkey options still takes the app's code")

    # -- rae: at most 20 passkeys ------------------------------------------------------------------------
    r_cookie, r_csrf = sign_in(rae)
    for i in range(20):
        rkey = SoftwarePasskey()
        if i == 0:
            rkey.credential_id = os.urandom(16)  # the shortest id accepted
        add(rkey, name=f"Key {i + 1}", label=f"passkey {i + 1} of 20" + (", an id of 16 bytes" if i == 0 else ""),
            cookie=r_cookie, csrf=r_csrf)
    c.call("POST", RO, cookie=r_cookie, csrf=r_csrf, expect=400,
           expect_json={"detail": "An account can have at most 20 passkeys. Remove one first."}, label="20 passkeys")
    keys = listed("20 passkeys", cookie=r_cookie)
    order = [(k.get("created_at"), k.get("id")) for k in keys]
    if sorted(k.get("name") for k in keys) != sorted(f"Key {i + 1}" for i in range(20)) or order != sorted(order):
        c.unexpected.append(f"GET {CL}: not the 20 passkeys, oldest first (then by id): {order}")

    # -- tess: the account page's forms, and the second-step page ---------------------------------------------
    t_cookie, t_csrf = sign_in(tess)
    tkey = SoftwarePasskey()
    add(tkey, name="Tablet", label="tess", cookie=t_cookie, csrf=t_csrf)
    r = c.call("GET", "/account", cookie=t_cookie, expect=200, label="a passkey")
    page_csrf = hidden_csrf(r.text)
    for needle in ('id="passkey-settings"', f'action="/account/passkeys/{tkey.id}/rename"',
                   f'action="/account/passkeys/{tkey.id}/remove"', 'data-passkey="register"', "/assets/passkeys.js?v="):
        if needle not in r.text:
            c.unexpected.append(f"GET /account [a passkey]: no {needle}")
    if r.headers.get("Content-Security-Policy") != PASSKEY_CSP:
        c.unexpected.append(f"GET /account: policy {r.headers.get('Content-Security-Policy')!r}")
    # Her only passkey, without the app, is her last second factor: its removal form always asks for the password.
    if removal_password_field("the last second factor, a recent sign-in", t_cookie, tkey.id) is False:
        c.unexpected.append("GET /account [the last second factor]: its removal form has no password field")
    for notice, words in (("passkey-added", "Your passkey is added"), ("passkey-renamed", "The passkey is renamed"),
                          ("passkey-removed", "The passkey is removed"),
                          ("passkey-password-needed", "to change your passkeys")):
        r = c.call("GET", "/account", cookie=t_cookie, query={"notice": notice}, expect=200, label=notice)
        if words not in r.text:
            c.unexpected.append(f"GET /account?notice={notice}: the notice is not shown")
    # tess needs her passkey to sign in now.
    _, t2_cookie, _ = passkey_sign_in(tkey, label="tess, another session")

    def see(r, location, name):
        if r.status_code == 303 and r.headers.get("Location") != location:
            c.unexpected.append(f"POST {name}: Location is {r.headers.get('Location')!r}, not {location!r}")

    rename, remove = path(RN, tkey.id), path(RM, tkey.id)
    r = c.call("POST", RN, path=rename, form={"name": "x"}, expect=303, label="signed out")
    see(r, "/login", RN)
    c.call("POST", RN, path=rename, cookie=t_cookie, form={"name": "x"}, expect=403, label="no CSRF")
    c.call("POST", RN, path=rename, cookie=t_cookie, form={"name": "x", "csrf_token": "wrong"}, expect=403,
           label="wrong CSRF")
    c.call("POST", RN, path=rename, cookie=t_cookie, csrf=page_csrf, json_body={"name": "x"}, expect=415,
           label="JSON body")
    c.call("POST", RN, path=rename, cookie=t_cookie, data="name=%zz", content_type=F, expect=400,
           label="bad percent-encoding")
    r = c.call("POST", RN, path=path(RN, "no-such-passkey"), cookie=t_cookie,
               form={"csrf_token": page_csrf, "name": "x"}, expect=303, expect_headers=("Location",),
               label="unknown id")
    see(r, "/account", RN)
    r = c.call("POST", RN, path=rename, cookie=t_cookie, form={"csrf_token": page_csrf, "name": "Old tablet"},
               expect=303, expect_headers=("Location",), check_request=True)
    see(r, "/account?notice=passkey-renamed", RN)
    r = c.call("POST", RN, path=rename, cookie=t_cookie, form={"csrf_token": page_csrf}, expect=303,
               label="no name")
    if [k.get("name") for k in listed("renamed on the page", cookie=t_cookie)] != ["Passkey"]:
        c.unexpected.append(f"POST {RN}: a form without a name did not give the name \"Passkey\"")
    c.call("GET", "/v1/session", cookie=t2_cookie, expect=200, label="another session, after a rename on the page")

    # The second-step page of an account with only a passkey: the passkey button and the script, no code form.
    r = c.call("POST", "/login", form={"email": tess, "password": PASSWORD, "next": "/account"}, expect=200,
               forbid_headers=("Set-Cookie",), label="an account with a passkey (second-step page)")
    page_token = hidden_mfa_token(r.text)
    if not page_token or 'data-passkey="second-step"' not in r.text or 'name="code"' in r.text \
            or r.headers.get("Content-Security-Policy") != PASSKEY_CSP:
        c.unexpected.append("POST /login [an account with a passkey]: not the passkey second-step page with script")
    elif page_token:
        passkey_sign_in(tkey, page_token, label="the second-step page's mfa_token")

    r = c.call("POST", RM, path=remove, form={}, expect=303, label="signed out")
    see(r, "/login", RM)
    c.call("POST", RM, path=remove, cookie=t_cookie, form={}, expect=403, label="no CSRF")
    c.call("POST", RM, path=remove, cookie=t_cookie, csrf=page_csrf, json_body={}, expect=415, label="JSON body")
    c.call("POST", RM, path=remove, cookie=t_cookie, data="password=%zz", content_type=F, expect=400,
           label="bad percent-encoding")
    r = c.call("POST", RM, path=path(RM, "no-such-passkey"), cookie=t_cookie, form={"csrf_token": page_csrf},
               expect=303, expect_headers=("Location",), label="unknown id")
    see(r, "/account", RM)
    for form, label in (({}, "no password"), ({"password": ""}, "an empty password"),
                        ({"password": "not the password"}, "a wrong password")):
        r = c.call("POST", RM, path=remove, cookie=t_cookie, form={"csrf_token": page_csrf, **form}, expect=303,
                   expect_headers=("Location",), label=f"the last second factor, a recent sign-in, {label}")
        see(r, "/account?notice=passkey-password-needed", RM)
    if [k.get("id") for k in listed("refused removals on the page", cookie=t_cookie)] != [tkey.id]:
        c.unexpected.append(f"POST {RM}: a refused removal of the last second factor removed it")
    r = c.call("POST", RM, path=remove, cookie=t_cookie, form={"csrf_token": page_csrf, "password": PASSWORD},
               expect=303, expect_headers=("Location",), check_request=True,
               label="the last second factor, a recent sign-in, with the password")
    see(r, "/account?notice=passkey-removed", RM)
    c.call("GET", "/v1/session", cookie=t2_cookie, expect=401, label="another session, after a removal on the page")
    if listed("removed on the page", cookie=t_cookie):
        c.unexpected.append(f"POST {RM}: the passkey is still listed")
    sign_in(tess)  # the password alone signs in again

    # -- sam: refused assertions count like wrong passwords --------------------------------------------------
    s_cookie, s_csrf = sign_in(sam)
    skey = SoftwarePasskey()
    add(skey, label="sam", cookie=s_cookie, csrf=s_csrf)
    r = c.call("POST", LO, expect=200, label="sam")
    options = c.json(r)
    first = skey.assert_(options, origin)
    c.call("POST", LG, json_body={"credential": first}, expect=201, label="sam")
    stored = skey.sign_count  # the counter the server keeps; each assertion made below advances the key's
    # A malformed assertion (here: a passkey alone without a user handle) is refused without being counted: were
    # these three counted, the tenth refusal below would be throttled already.
    for i in range(3):
        c.call("POST", LG, json_body={"credential": without_handle(skey.assert_(request_options(label="sam"), origin))},
               expect=400, expect_json=NOT_VALID, label=f"no userHandle, not counted ({i + 1})")
    refused = [
        ("another origin", lambda o: skey.assert_(o, "https://evil.example")),
        ("another relying party", lambda o: skey.assert_(o, origin, rp_id="evil.example")),
        ("no user verification", lambda o: skey.assert_(o, origin, flags=0x01)),
        ("a bad signature", lambda o: skey.assert_(o, origin, break_signature=True)),
        ("another account's user handle", lambda o: skey.assert_(o, origin, user_handle=b"someone-else")),
        ("a counter that did not increase", lambda o: skey.assert_(o, origin, sign_count=stored)),
        ("a challenge not issued here", lambda o: skey.assert_(o, origin, challenge=b64url(os.urandom(40)))),
        ("a replayed assertion", lambda o: first),
        ("another origin, again", lambda o: skey.assert_(o, "http://127.0.0.1")),
        ("a bad signature, again", lambda o: skey.assert_(o, origin, break_signature=True)),
    ]
    for i, (label, make) in enumerate(refused):
        c.call("POST", LG, json_body={"credential": make(request_options(label=label))}, expect=401,
               expect_json=NOT_ACCEPTED, label=f"{label} (failure {i + 1})")
    c.call("POST", LG, json_body={"credential": skey.assert_(request_options(label="throttled"), origin)}, expect=429,
           expect_headers=("Retry-After",), label="throttled")
    c.call("POST", "/v1/sessions", json_body={"email": sam, "password": PASSWORD}, expect=429,
           expect_headers=("Retry-After",), label="throttled by refused passkeys")


def run_server(binary, extra, name, failures, checkers, spec, steps, mail=True, public_host=None):
    # Cheap hashing keeps the run short; `normal` priority keeps it from starving when the machine is
    # busy with other work (at the default `idle`, a sign-up can wait minutes behind a compiler).
    args = ["--scrypt-log-n", "10", "--hash-priority", "normal", "--log-level", "warning", *extra]
    server = Server(binary, extra_args=args, mail=mail, name=name, public_host=public_host)
    stop_on_signals(server)
    try:
        try:
            server.start()
        except Exception as e:
            failures.append(f"the server ({name}) did not start: {e}")
            return
        checker = Checker(server.base, spec)
        checkers.append(checker)
        try:
            steps(checker, server)
        except Exception:
            failures.append(f"the scenario ({name}) stopped early:\n" + traceback.format_exc())
        if server.process is None or server.process.poll() is not None:
            failures.append(f"the server ({name}) died during the scenario:\n{server.log_tail()}")
    finally:
        server.stop()


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    started = time.monotonic()
    spec = yaml.safe_load(SPEC_PATH.read_text())
    failures = []

    routes, route_problems = check_routes(binary, spec)
    print(f"routes: {len(routes)} served, {len(spec_operations(spec))} documented"
          + ("" if route_problems else ", the same set"))
    failures += route_problems

    checkers = []
    run_server(binary, [], "portcullis-check", failures, checkers, spec, scenario)
    run_server(binary, [], "portcullis-check-nomail", failures, checkers, spec, scenario_mail_off, mail=False)
    run_server(binary, ["--require-verified-email", "on"], "portcullis-check-verified", failures, checkers, spec,
               scenario_verified_email)
    run_server(binary, ["--registration-throttle", "2/h", "--refresh-grace", "0s"], "portcullis-check-strict",
               failures, checkers, spec, scenario_strict)
    run_server(binary, [], "portcullis-check-passkeys", failures, checkers, spec, scenario_passkeys,
               public_host="localhost")

    if checkers:
        ops = checkers[0].ops
        succeeded = {k: sum(ch.succeeded[k] for ch in checkers) for k in ops}
        statuses = {k: set().union(*(ch.statuses[k] for ch in checkers)) for k in ops}
        for (m, p), n in sorted(succeeded.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if n == 0:
                seen = sorted(statuses[(m, p)])
                failures.append(f"never answered with success: {m} {p}"
                                + (f" (saw {seen})" if seen else " (never called)"))
        unexpected = [u for ch in checkers for u in ch.unexpected]
        mismatches = [mm for ch in checkers for mm in ch.mismatches]
        failures += [f"unexpected answer: {u}" for u in unexpected]
        failures += [f"spec mismatch: {mm}" for mm in mismatches]
        documented = {(k, code) for k, op in ops.items() for code in op.get("responses", {}) if code != "default"}
        seen = {(k, str(code)) for k in ops for code in statuses[k]}
        verbose = os.environ.get("API_CHECK_VERBOSE") == "1"
        if verbose:
            for (m, p), code in sorted(documented - seen, key=lambda x: (x[0][1], x[0][0], x[1])):
                print(f"  documented, not exercised: {m} {p} {code}")
        covered = sum(1 for n in succeeded.values() if n)
        print(f"statuses: {len(documented & seen)} of the {len(documented)} documented (operation, status) pairs "
              "exercised" + ("" if verbose else " (API_CHECK_VERBOSE=1 lists the rest)"))
        print(f"scenario: {sum(ch.count for ch in checkers)} requests to {len(checkers)} servers, "
              f"{covered}/{len(ops)} operations answered with success, "
              f"{len(unexpected)} unexpected answers, {len(mismatches)} spec mismatches")
    elapsed = time.monotonic() - started
    if failures:
        print(f"\nFAILED ({len(failures)} problems, {elapsed:.1f} s):")
        for f in failures:
            print(" - " + f)
        return 1
    print(f"OK: routes match the spec; every operation answered with success; every answer matches the spec "
          f"({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
