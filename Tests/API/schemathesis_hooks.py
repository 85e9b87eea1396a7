"""Schemathesis hooks for Tests/API/fuzz_openapi.sh (loaded through SCHEMATHESIS_HOOKS).

Authentication: every generated request gets the credentials of the security scheme its operation
documents. Operations that take a user (`sessionCookie` + `csrfHeader`, or `bearerAuth`) get the
session cookie `__Host-portcullis_session` of an admin account and its CSRF token in `X-CSRF-Token`
(admin, so the admin routes get past 403 too); the service-client operations (`clientBasic`) get
HTTP Basic with a client made by `portcullis clients create`. The cookie is set as a header because a
cookie jar would not send a `Secure` cookie over plain HTTP.

A generated request may end that session (DELETE /v1/session, DELETE /v1/sessions, POST /logout, a
password change, an admin logout, ...). After every unsafe request that carried the cookie, and after
any 401, the hook asks GET /v1/session whether the session still lives and signs in again when not;
cases generated earlier with a session that has ended since are sent with the current one. When a
generated password change succeeds, the new password is used from then on.

Test data: random ids, credentials and tokens only ever reach the refusals, so for half of the
generated cases (a deterministic choice, so runs repeat) the hooks put in real ones: the victim's
account id for the admin routes, a fresh second session or refresh family of the fuzzing account for
the routes that end one, the real credentials for sign-in and the password grant, a fresh refresh or
access token for the refresh grant, introspection and revocation, a fresh email and a strong password
for registration, and the real current password for password changes and for turning two-step
verification off (DELETE /v1/mfa/totp: 400 while it is off, 204 after a generated enrolment) and for
the passkey changes that ask for it (POST /v1/webauthn/register/options, DELETE
/v1/webauthn/credentials/{id} and the account page's removal form: a passkey made for a case is the
fuzzing account's only one, its last second factor while the authenticator app is off, whose removal
always needs the password).

Passkeys: random credentials never pass a WebAuthn ceremony, so for half of the cases of the routes
that take a passkey (its id in the path, or a ceremony's answer in the body) the hooks make a real
one just before the request is sent, with a software authenticator (software_passkey.py) on the
origin a browser would have (the relying-party id the options name, FUZZ_URL's scheme and port): a
passkey of the fuzzing account whose id goes into the path (PATCH and DELETE
/v1/webauthn/credentials/{id}, the account page's rename and remove forms), the answer to fresh
registration options (POST /v1/webauthn/register), or a passkey and its assertion for fresh sign-in
options (POST /v1/webauthn/login). An account with a passkey needs it to sign in, so after such a
request the hooks remove every passkey of the account again: the rest of the run signs in with the
password alone.

Checks: `status_code_listed` fails an answer whose status the operation does not list explicitly.
Every operation has a `default` response (for the 404 of unknown paths and the 500 that must never
happen), which makes Schemathesis's own `status_code_conformance` accept any status.

The environment (set by fuzz_openapi.sh): FUZZ_URL, FUZZ_EMAIL, FUZZ_PASSWORD,
FUZZ_CLIENT_ID, FUZZ_CLIENT_SECRET, FUZZ_VICTIM_ID (an account the admin routes
may disable, sign out or change, never the admin itself).
"""
import os
import sys
import threading
import urllib.parse

import requests
import schemathesis
from requests.auth import _basic_auth_str

from software_passkey import SoftwarePasskey

BASE = os.environ["FUZZ_URL"]
EMAIL = os.environ["FUZZ_EMAIL"]
CLIENT = (os.environ["FUZZ_CLIENT_ID"], os.environ["FUZZ_CLIENT_SECRET"])
VICTIM_ID = os.environ["FUZZ_VICTIM_ID"]
COOKIE = "__Host-portcullis_session"

_http = requests.Session()
_http.trust_env = False


class _Session:
    """The admin's browser session, signed in again whenever a generated request ended it."""

    def __init__(self):
        self.lock = threading.RLock()
        self.password = os.environ["FUZZ_PASSWORD"]
        self.cookie = None
        self.csrf = None
        self.issued = {}  # every cookie this run signed in with -> its CSRF token
        self.candidates = []  # new passwords of changes sent with the right current password

    def get(self):
        with self.lock:
            if self.cookie is None:
                r = self._sign_in(self.password)
                if r.status_code == 401:
                    r = self._recover() or r
                if r.status_code == 200 and r.json().get("mfa_required"):
                    # A passkey made for a case is still there (its removal failed): it is the second step.
                    r = PASSKEYS.second_step(r.json().get("mfa_token")) or r
                if r.status_code != 201:
                    raise RuntimeError(f"sign-in for the fuzz run failed: {r.status_code} {r.text[:200]}")
                self.cookie = r.cookies.get(COOKIE) or r.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
                self.csrf = r.json()["csrf_token"]
                self.issued[self.cookie] = self.csrf
            return self.cookie, self.csrf

    def _sign_in(self, password):
        return _http.post(f"{BASE}/v1/sessions", json={"email": EMAIL, "password": password}, timeout=30)

    def _recover(self):
        """A password change can take effect although its answer never arrived (a request resent
        on a fresh connection after the first one was dropped is then refused): try the passwords
        of the changes sent since, newest first."""
        for candidate in reversed(self.candidates):
            r = self._sign_in(candidate)
            if r.status_code == 201:
                print(f"schemathesis_hooks: the password had changed without a successful answer; "
                      f"recovered", file=sys.stderr)
                self.password = candidate
                self.candidates.clear()
                return r
        return None

    def another_device(self):
        """A second session of the same account: an id the session routes may end."""
        r = _http.post(f"{BASE}/v1/sessions", json={"email": EMAIL, "password": self.password}, timeout=30)
        return r.json()["session"]["id"] if r.status_code == 201 else None

    def an_app(self):
        """A refresh family of the account (password grant): an id the app route may revoke."""
        r = _http.post(f"{BASE}/v1/token", data={"grant_type": "password", "username": EMAIL,
                                                 "password": self.password}, timeout=30)
        if r.status_code != 200:
            return None
        me = _http.get(f"{BASE}/v1/me", headers={"Authorization": "Bearer " + r.json()["access_token"]}, timeout=30)
        return me.json()["auth"]["session_id"] if me.status_code == 200 else None

    def check(self, cookie):
        """Forgets the session when the server no longer knows it."""
        with self.lock:
            if cookie != self.cookie:
                return
            r = _http.get(f"{BASE}/v1/session", headers={"Cookie": f"{COOKIE}={cookie}"}, timeout=30)
            if r.status_code != 200:
                self.cookie = self.csrf = None


SESSION = _Session()


class _Passkeys:
    """Passkeys of the fuzzing account, made with a software authenticator for the case about to be sent,
    and removed again after it (`pending`: whether there may be some)."""

    def __init__(self):
        self.pending = False
        self.keys = []  # the software passkeys made since the last removal

    @staticmethod
    def origin(rp_id):
        """The origin of a browser on the relying party's host: FUZZ_URL's scheme and port."""
        url = urllib.parse.urlsplit(BASE)
        return f"{url.scheme}://{rp_id}" + (f":{url.port}" if url.port else "")

    @staticmethod
    def headers(cookie, csrf):
        return {"Cookie": f"{COOKIE}={cookie}", "X-CSRF-Token": csrf}

    def creation(self, cookie, csrf):
        """A new software passkey and its registration answer to fresh options of the session, or None."""
        r = _http.post(f"{BASE}/v1/webauthn/register/options", headers=self.headers(cookie, csrf),
                       json={"password": SESSION.password}, timeout=30)
        if r.status_code != 200:
            return None, None
        options = r.json()
        key = SoftwarePasskey()
        self.pending = True
        self.keys.append(key)
        return key, key.register(options, self.origin(options["rp"]["id"]))

    def add(self, cookie, csrf):
        """A new passkey of the fuzzing account, or None."""
        key, credential = self.creation(cookie, csrf)
        if key is None:
            return None
        r = _http.post(f"{BASE}/v1/webauthn/register", headers=self.headers(cookie, csrf),
                       json={"credential": credential}, timeout=30)
        return key if r.status_code == 201 else None

    def assertion(self, key, mfa_token=None):
        """The key's answer to fresh sign-in options (a passkey alone, or the second step of `mfa_token`), or None."""
        r = _http.post(f"{BASE}/v1/webauthn/login/options", json={"mfa_token": mfa_token} if mfa_token else None,
                       timeout=30)
        if r.status_code != 200:
            return None
        options = r.json()
        return key.assert_(options, self.origin(options["rpId"]))

    def second_step(self, mfa_token):
        """Completes a password sign-in with one of the passkeys made here: the 201 answer, or None."""
        for key in self.keys:
            assertion = self.assertion(key, mfa_token)
            if assertion is None:
                continue
            r = _http.post(f"{BASE}/v1/webauthn/login", json={"credential": assertion, "mfa_token": mfa_token},
                           timeout=30)
            if r.status_code == 201:
                return r
        return None

    def remove_all(self):
        """Removes every passkey of the fuzzing account, with the password (the last one always needs it)."""
        if not self.pending:
            return
        cookie, csrf = SESSION.get()
        r = _http.get(f"{BASE}/v1/webauthn/credentials", headers={"Cookie": f"{COOKIE}={cookie}"}, timeout=30)
        if r.status_code != 200:
            return
        left = [p for p in r.json().get("credentials", [])
                if _http.delete(f"{BASE}/v1/webauthn/credentials/{p['id']}", headers=self.headers(cookie, csrf),
                                json={"password": SESSION.password}, timeout=30).status_code != 204]
        if left:
            print(f"schemathesis_hooks: could not remove {len(left)} passkeys of the fuzzing account", file=sys.stderr)
            return
        self.pending = False
        self.keys.clear()


PASSKEYS = _Passkeys()
PASSKEY_ID_ROUTES = ("/v1/webauthn/credentials/{id}", "/account/passkeys/{id}/rename", "/account/passkeys/{id}/remove")
PASSKEY_PASSWORD_ROUTES = {("POST", "/v1/webauthn/register/options"), ("DELETE", "/v1/webauthn/credentials/{id}"),
                           ("POST", "/account/passkeys/{id}/remove")}


def _schemes(operation):
    """The security scheme names an operation documents (any alternative)."""
    security = operation.definition.raw.get("security")
    if security is None:
        return set()
    return {name for requirement in security for name in requirement}


@schemathesis.auth(refresh_interval=None)
class PortcullisAuth:
    def get(self, case, context):
        schemes = _schemes(context.operation)
        if "clientBasic" in schemes:
            return ("basic", CLIENT)
        if schemes & {"sessionCookie", "bearerAuth"}:
            return ("session", SESSION.get())
        return None

    def set(self, case, data, context):
        kind, value = data
        case.headers = dict(case.headers or {})
        if kind == "basic":
            case.headers["Authorization"] = _basic_auth_str(*value)
            return
        cookie, csrf = value
        # The cookie goes in as a header: a cookie jar keeps `Secure` cookies off plain HTTP.
        case.headers["Cookie"] = f"{COOKIE}={cookie}"
        case.headers["X-CSRF-Token"] = csrf
        if case.cookies:
            case.cookies.pop(COOKIE, None)


def _half(value):
    """A deterministic coin: whether to replace a generated value with a real one."""
    return len(str(value)) % 2 == 0


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    """Half of the generated ids become real ones, so the routes that take ids answer success too:
    the victim account for the admin routes, a fresh second session of the fuzzing account for the
    session routes, a fresh refresh family for the app route."""
    operation = context.operation
    if operation is None or not path_parameters or not _half(path_parameters.get("id")):
        return path_parameters
    real = None
    if operation.path.startswith("/v1/admin/users/"):
        real = VICTIM_ID
    elif operation.path in ("/v1/sessions/{id}", "/account/sessions/{id}/revoke"):
        real = SESSION.another_device()
    elif operation.path == "/account/apps/{id}/revoke":
        real = SESSION.an_app()
    return {**path_parameters, "id": real} if real else path_parameters


PASSWORD_CHANGES = ("/v1/password", "/account/password")
_registrations = [0]


def _tokens():
    r = _http.post(f"{BASE}/v1/token", data={"grant_type": "password", "username": EMAIL,
                                             "password": SESSION.password}, timeout=30)
    return r.json() if r.status_code == 200 else {}


@schemathesis.hook
def map_body(context, body):
    """Half of the generated bodies that carry credentials or tokens get real ones, so that the
    answers to a successful sign-in, registration, grant, introspection and password change are
    checked too, not only the refusals."""
    operation = context.operation
    if operation is None or not isinstance(body, dict) or not _half(body):
        return body
    path = operation.path
    if path in PASSWORD_CHANGES and isinstance(body.get("new_password"), str):
        return {**body, "current_password": SESSION.password}
    if path == "/v1/mfa/totp" and operation.method.upper() == "DELETE":
        return {**body, "password": SESSION.password}
    if (operation.method.upper(), path) in PASSKEY_PASSWORD_ROUTES:
        return {**body, "password": SESSION.password}
    if path in ("/v1/sessions", "/login"):
        return {**body, "email": EMAIL, "password": SESSION.password}
    if path in ("/v1/accounts", "/register"):
        _registrations[0] += 1
        n = _registrations[0]
        return {**body, "email": f"fuzz-{n}@example.com", "password": f"Velvet-Harbor-{n}-Quill"}
    if path == "/v1/token" and body.get("grant_type") == "password":
        return {**body, "username": EMAIL, "password": SESSION.password}
    if path == "/v1/token" and body.get("grant_type") == "refresh_token":
        return {**body, "refresh_token": _tokens().get("refresh_token", "")}
    if path in ("/v1/token/introspect", "/v1/token/revoke"):
        kind = "access_token" if len(str(body.get("token"))) % 4 < 2 else "refresh_token"
        return {**body, "token": _tokens().get(kind, "")}
    return body


def _sent_cookie(case):
    sent = (case.headers or {}).get("Cookie", "")
    return sent.split("=", 1)[1].split(";")[0] if sent.startswith(COOKIE + "=") else None


@schemathesis.hook
def before_call(context, case, kwargs):
    """Cases get their credentials when generated, possibly long before they are sent (the coverage
    phase builds its cases up front): swap a session that has ended since for the current one. Then,
    for half of the passkey routes' cases, put in a real passkey (see the module's description)."""
    cookie = _sent_cookie(case)
    if cookie is not None and cookie in SESSION.issued:
        current, csrf = SESSION.get()
        if cookie != current:
            case.headers["Cookie"] = f"{COOKIE}={current}"
            if case.headers.get("X-CSRF-Token") == SESSION.issued[cookie]:
                case.headers["X-CSRF-Token"] = csrf
        _real_passkey(case, signed_in=True)
    elif case.method.upper() == "POST" and case.operation.path == "/v1/webauthn/login":
        _real_passkey(case, signed_in=False)


def _real_passkey(case, signed_in):
    path, method = case.operation.path, case.method.upper()
    if method != case.operation.method.upper():
        return
    if signed_in and path in PASSKEY_ID_ROUTES and _half((case.path_parameters or {}).get("id")):
        key = PASSKEYS.add(*SESSION.get())
        if key is not None:
            case.path_parameters = {**(case.path_parameters or {}), "id": key.id}
    elif signed_in and path == "/v1/webauthn/register" and isinstance(case.body, dict) and _half(case.body):
        key, credential = PASSKEYS.creation(*SESSION.get())
        if key is not None:
            case.body = {**case.body, "credential": credential}
    elif path == "/v1/webauthn/login" and isinstance(case.body, dict) and _half(case.body):
        key = PASSKEYS.add(*SESSION.get())
        assertion = PASSKEYS.assertion(key) if key is not None else None
        if assertion is not None:
            case.body = {**{k: v for k, v in case.body.items() if k != "mfa_token"}, "credential": assertion}


def _password_changed(case, response):
    if case.operation.path == "/v1/password":
        return response.status_code == 204
    return response.status_code == 303 and "password-changed" in response.headers.get("Location", "")


@schemathesis.hook
def after_call(context, case, response):
    """Follows password changes, and signs in again when a generated request ended the session."""
    if case.operation.path in PASSWORD_CHANGES and isinstance(case.body, dict) \
            and case.body.get("current_password") == SESSION.password \
            and isinstance(case.body.get("new_password"), str):
        with SESSION.lock:
            if _password_changed(case, response):
                SESSION.password = case.body["new_password"]
                SESSION.candidates.clear()
                SESSION.check(SESSION.cookie)
            else:
                SESSION.candidates.append(case.body["new_password"])
    cookie = _sent_cookie(case)
    if cookie is not None and (case.method.upper() != "GET" or response.status_code == 401):
        SESSION.check(cookie)
    PASSKEYS.remove_all()


@schemathesis.deserializer("text/html", "text/css", "text/javascript", "text/plain", "text/event-stream")
def deserialize_text(ctx, response):
    """Pages, the stylesheet, the passkey script and metrics are strings in the spec: validate them as such."""
    return response.content.decode("utf-8")


@schemathesis.check
def status_code_listed(ctx, response, case):
    """The answer's status is one the operation lists, not only one its `default` response covers.

    Requests with a method the path does not have (the coverage phase sends some) must get the 404
    problem the spec promises for them."""
    status = str(response.status_code)
    if case.method.upper() != case.operation.method.upper():
        if status != "404":
            raise AssertionError(f"{case.method} {case.operation.path} answered {status}: the spec promises 404 "
                                 f"for a method a path does not have")
        return None
    listed = [code for code in case.operation.definition.raw.get("responses", {}) if code != "default"]
    if status not in listed and f"{status[0]}XX" not in listed:
        raise AssertionError(
            f"Undocumented status {status} for {case.operation.label} (listed: {', '.join(sorted(listed))}; "
            f"`default` is only for unknown paths and unexpected errors)"
        )
    return None
