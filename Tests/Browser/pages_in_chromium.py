#!/usr/bin/env python3
"""The pages in a real browser: headless Chromium, driven with Selenium through chromedriver.

Usage: pages_in_chromium.py PORTCULLIS_BINARY SCREENSHOT_DIR

Starts the built `portcullis` executable on http://localhost:PORT (a throwaway in-memory store)
and an attacker's web server on another port, then checks what only a browser can show: the
session cookie is HttpOnly, Secure, SameSite=Lax and out of reach of script; two browser
profiles are two devices that can sign each other out; sign out everywhere; forms posted from
another site are refused; `next` never leads off the server. The server mails through a real SMTP
server on loopback (aiosmtpd, in this process), and the browser follows the links in that mail:
confirming the address, resetting a forgotten password; the account page changes the password.
Two-step verification is set up from the account page and used at sign-in with codes computed
by pyotp, an authenticator implementation other than the server's. Passkeys are added, used to
sign in without an email, and removed, with Chromium's virtual authenticator (the browser's own
WebAuthn code, the server's script and its checks), and a second profile cannot use them.
Last, the HTML report of `portcullis compare` is opened from its file: one page, no script, that
fits a phone's width. Screenshots of the pages at phone and desktop widths go to SCREENSHOT_DIR. Prints one line per
check; exits non-zero at the first failure.

Chromium and chromedriver come from Debian (/usr/bin/chromium, /usr/bin/chromedriver), Selenium
aiosmtpd and pyotp from PyPI; Scripts/test installs them when missing.
"""
import email
import email.policy
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.error
import urllib.request

import pyotp
from aiosmtpd.controller import Controller
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "correct horse battery staple"
CHANGED_PASSWORD = "violet tugboat under quiet marble"
RESET_PASSWORD = "seven lanterns drifting past midnight"
EMAIL = "ada@example.com"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}


class CheckFailed(Exception):
    pass


def check(condition, what):
    """Records one check: prints it, or stops the test with what was expected."""
    if not condition:
        raise CheckFailed(what)
    print(f"ok - {what}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Portcullis:
    """`portcullis serve` on 127.0.0.1, known to browsers as http://localhost:PORT."""

    def __init__(self, binary, directory, smtp_port):
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.log_path = os.path.join(directory, "server.log")
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--port", str(self.port), "--issuer", self.origin, "--database", "memory:", "--scrypt-log-n", "12",
             "--mail", f"smtp://127.0.0.1:{smtp_port}", "--mail-from", "Portcullis <auth@localhost>"],
            cwd=directory, stdout=log, stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "listening on" in open(self.log_path).read():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise CheckFailed("the server did not start:\n" + open(self.log_path).read())

    def url(self, path):
        return self.origin + path

    def password_grant(self, email):
        """Signs an "app" in with the password grant, as a CLI or mobile app would."""
        body = urllib.parse.urlencode({"grant_type": "password", "username": email, "password": PASSWORD}).encode()
        with urllib.request.urlopen(self.url("/v1/token"), data=body, timeout=30) as response:
            return response.status

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Inbox:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is given."""

    def __init__(self):
        self.messages = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                inbox.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 2.0.0 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port

    def link(self, path, after, timeout=30):
        """The first link to `path` in a message that arrived after the first `after` messages,
        waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages[after:]:
                text = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"https?://\S+" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+", text)
                if found:
                    return found.group(0)
            time.sleep(0.2)
        raise CheckFailed(f"no mail with a {path} link arrived within {timeout} s")

    def stop(self):
        self.controller.stop()


class AttackerSite:
    """Another web origin whose pages post forms to Portcullis by themselves, as a malicious
    site would. Listening on 127.0.0.1, it is another site when the browser calls it by that
    address (Portcullis is on localhost), and the same site on another port when it is called
    localhost (the session cookie is sent along then: only the server's checks stand between)."""

    def __init__(self, target_origin):
        page = (
            "<!doctype html><title>Win a prize</title>"
            f'<form id="attack" method="post" action="{target_origin}/account/sessions/revoke-all">'
            '<input type="hidden" name="csrf_token" value="guessed"></form>'
            "<script>document.getElementById('attack').submit()</script>"
        ).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class Browser:
    """One Chromium profile: its own cookie jar, so one device."""

    def __init__(self, name, directory):
        self.name = name
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--window-size=1280,900",
            f"--user-data-dir={os.path.join(directory, 'profile-' + name)}",
        ]:
            options.add_argument(argument)
        options.add_experimental_option("prefs", {
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
            "profile.password_manager_leak_detection": False,
        })
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(60)

    def open(self, url):
        """Loads `url`. A navigation that fails (a redirect to a host that does not resolve)
        leaves the browser on the failed address, for the checks that follow to judge."""
        try:
            self.driver.get(url)
        except WebDriverException as error:
            print(f"# {self.name} could not load {url}: {error.msg}", flush=True)

    @property
    def path(self):
        """The current address without origin: path and query."""
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + ("?" + parts.query if parts.query else "")

    @property
    def origin(self):
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return f"{parts.scheme}://{parts.netloc}"

    def arrives_at(self, path_prefix, timeout=30):
        """Whether the browser comes to show a page whose path (and query) starts with
        `path_prefix` within `timeout` seconds."""
        try:
            WebDriverWait(self.driver, timeout).until(lambda driver: self.path.startswith(path_prefix))
        except Exception:
            print(f"# {self.name} is on {self.driver.current_url}, not {path_prefix}", flush=True)
            return False
        return True

    def shows(self, fragment, timeout=30):
        """Whether the page comes to contain `fragment` within `timeout` seconds: for answers to
        a form that stay at the form's address, where no change of path says the page is in."""
        def contains(driver):
            try:
                return fragment in driver.find_element(By.TAG_NAME, "body").text
            except WebDriverException:  # the old page went away while being read
                return False
        try:
            WebDriverWait(self.driver, timeout).until(contains)
        except Exception:
            print(f"# {self.name} does not show {fragment!r} on {self.driver.current_url}", flush=True)
            return False
        return True

    def fill(self, field_id, text):
        element = self.driver.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(text)

    def submit(self, selector):
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def devices(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "li.device")

    def sign_in(self, remember=False, password=PASSWORD):
        self.fill("email", EMAIL)
        self.fill("password", password)
        if remember:
            self.driver.find_element(By.ID, "remember").click()
        self.submit("form[action='/login'] button[type=submit]")

    def screenshot(self, directory, name, metrics):
        """The whole page as a phone or a desktop lays it out, saved as NAME.png: the viewport
        is emulated at that size, then stretched to the page's height."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        self.driver.refresh()
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": max(metrics["height"], height)})
        path = os.path.join(directory, name + ".png")
        self.driver.save_screenshot(path)
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        print(f"screenshot {path}", flush=True)

    def quit(self):
        self.driver.quit()


def run(binary, screenshots, directory):
    inbox = Inbox()
    server = Portcullis(binary, directory, inbox.port)
    attacker = AttackerSite(server.origin)
    first = second = None
    try:
        first = Browser("first", directory)
        second = Browser("second", directory)

        # Sign up through the form.
        first.open(server.url("/register"))
        check(first.driver.title == "Create your account · Portcullis", "the registration page is served")
        first.screenshot(screenshots, "register-phone", PHONE)
        first.screenshot(screenshots, "register-desktop", DESKTOP)
        first.fill("email", EMAIL)
        first.fill("password", PASSWORD)
        first.submit("form[action='/register'] button[type=submit]")
        check(first.arrives_at("/account?notice=welcome") and "Your account is ready" in first.text(),
              "registering signs the new account in and shows the account page")

        # The cookie is stored as the contract says, and script cannot read it.
        cookies = {cookie["name"]: cookie for cookie in first.driver.get_cookies()}
        session = cookies.get("__Host-portcullis_session")
        check(session is not None, "Chromium keeps the __Host- session cookie from http://localhost")
        visible = first.driver.execute_script("return document.cookie")
        check("portcullis_session" not in visible, "document.cookie does not show the session cookie")
        check(session["httpOnly"] and session["secure"] and session.get("sameSite") == "Lax" and session["path"] == "/",
              "the session cookie is HttpOnly, Secure, SameSite=Lax, Path=/")
        check("domain" not in session or session["domain"] == "localhost", "the session cookie is host-only")

        # The address is confirmed with the link mailed at registration.
        check(first.driver.find_element(By.ID, "email-state").text == "Not confirmed", "the account page shows the address unconfirmed")
        verify_link = inbox.link("/verify-email", after=0)
        check(verify_link.startswith(server.origin + "/verify-email?token="), "registering mails a link to /verify-email on the server")
        first.open(verify_link)
        check(first.driver.title == "Confirm your email address · Portcullis", "the link opens a page asking to confirm")
        first.screenshot(screenshots, "verify-email-phone", PHONE)
        first.screenshot(screenshots, "verify-email-desktop", DESKTOP)
        first.submit("form[action='/verify-email'] button[type=submit]")
        check(first.arrives_at("/account?notice=email-verified") and first.driver.find_element(By.ID, "email-state").text == "Confirmed",
              "pressing Confirm confirms the address")
        first.open(verify_link)
        first.submit("form[action='/verify-email'] button[type=submit]")
        check(first.shows("This link cannot be used"), "the link works once")
        first.open(server.url("/account"))

        # Sign out, then sign in through the login form.
        first.submit("form[action='/logout'] button")
        check(first.arrives_at("/login?notice=signed-out") and "You have signed out." in first.text(),
              "signing out lands on the sign-in page")
        check(first.driver.get_cookie("__Host-portcullis_session") is None, "signing out removes the cookie")
        first.sign_in()
        check(first.arrives_at("/account") and len(first.devices()) == 1, "the login form signs in: one device listed")

        # A second browser is sent to sign in, and back to the account page.
        second.open(server.url("/account"))
        check(second.arrives_at("/login?next=/account"), "a signed-out visitor of /account is sent to /login?next=/account")
        second.screenshot(screenshots, "login-phone", PHONE)
        second.screenshot(screenshots, "login-desktop", DESKTOP)
        second.sign_in(remember=True)
        check(second.arrives_at("/account") and second.path == "/account", "after signing in the visitor is back where they came from")
        remembered = second.driver.get_cookie("__Host-portcullis_session")
        check(remembered is not None and remembered.get("expiry", 0) - time.time() > 29 * 86400,
              "ticking 'keep me signed in' keeps the cookie for 30 days")
        check(server.password_grant(EMAIL) == 200, "an app signs in with the password grant")
        second.open(server.url("/account"))
        devices = second.devices()
        check(len(devices) == 2, "the second browser sees two devices")
        check(len(second.driver.find_elements(By.CSS_SELECTOR, "li.app")) == 1, "and one app signed in with tokens")
        second.screenshot(screenshots, "account-phone", PHONE)
        second.screenshot(screenshots, "account-desktop", DESKTOP)

        # The second browser signs the first one out.
        other = second.driver.find_element(By.CSS_SELECTOR, "li.device[data-current='false']")
        other.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        check(second.arrives_at("/account?notice=device-signed-out") and len(second.devices()) == 1,
              "the second browser signs the first out: one device left")
        first.open(server.url("/account"))
        check(first.arrives_at("/login?next=/account"), "the first browser's /account now sends it to /login")

        # Forms posted by other sites are refused; the session survives.
        first.sign_in()
        check(first.arrives_at("/account"), "the first browser signs in again")
        for attack_origin, kind in [(f"http://127.0.0.1:{attacker.port}", "cross-site"), (f"http://localhost:{attacker.port}", "same-site")]:
            first.open(attack_origin + "/")
            check(first.arrives_at("/account/sessions/revoke-all") and first.origin == server.origin
                  and "Cross-site requests cannot change state" in first.text(),
                  f"a {kind} page's auto-submitted form to /account/sessions/revoke-all is refused by Fetch Metadata")
            first.open(server.url("/account"))
            check(first.path == "/account" and len(first.devices()) == 2, f"after the {kind} attack the session still works")

        # Sign out everywhere.
        first.submit("form[action='/account/sessions/revoke-all'] button")
        check(first.arrives_at("/login?notice=signed-out-everywhere") and "signed out everywhere" in first.text(),
              "signing out everywhere lands on the sign-in page")
        second.open(server.url("/account"))
        check(second.arrives_at("/login?next=/account"), "signing out everywhere signed the other browser out too")

        # `next` never leads away from the server.
        second.open(server.url("/login?next=" + urllib.parse.quote("https://evil.example", safe="")))
        second.sign_in()
        check(second.arrives_at("/account") and second.origin == server.origin and second.path == "/account",
              "signing in with next=https://evil.example lands on the local account page")
        for evil in ["https://evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example"]:
            second.open(server.url("/login?next=" + urllib.parse.quote(evil, safe="")))
            check(second.origin == server.origin and second.path == "/account",
                  f"a signed-in visit to /login?next={evil!r} stays on the server")

        # Changing the password on the account page signs every other device out.
        first.open(server.url("/login"))
        first.sign_in()
        check(first.arrives_at("/account"), "the first browser signs in once more")
        second.open(server.url("/account"))
        second.fill("current_password", PASSWORD)
        second.fill("new_password", CHANGED_PASSWORD)
        second.submit("form[action='/account/password'] button[type=submit]")
        check(second.arrives_at("/account?notice=password-changed") and len(second.devices()) == 1,
              "changing the password keeps this device signed in, alone")
        first.open(server.url("/account"))
        check(first.arrives_at("/login?next=/account"), "changing the password signed the other browser out")

        # A forgotten password is reset through the mailed link.
        mails_before = len(inbox.messages)
        first.open(server.url("/login"))
        first.driver.find_element(By.LINK_TEXT, "Forgot your password?").click()
        check(first.arrives_at("/forgot-password"), "the sign-in page links to /forgot-password")
        first.screenshot(screenshots, "forgot-password-phone", PHONE)
        first.screenshot(screenshots, "forgot-password-desktop", DESKTOP)
        first.fill("email", EMAIL)
        first.submit("form[action='/forgot-password'] button[type=submit]")
        check(first.shows("Check your inbox"), "asking for a reset link answers: check your inbox")
        reset_link = inbox.link("/reset-password", after=mails_before)
        check(reset_link.startswith(server.origin + "/reset-password?token="), "a link to /reset-password on the server is mailed")
        first.open(reset_link)
        check(first.driver.title == "Choose a new password · Portcullis", "the link opens a page to choose a new password")
        first.screenshot(screenshots, "reset-password-phone", PHONE)
        first.screenshot(screenshots, "reset-password-desktop", DESKTOP)
        first.fill("password", RESET_PASSWORD)
        first.submit("form[action='/reset-password'] button[type=submit]")
        check(first.arrives_at("/login?notice=password-reset"), "setting the new password lands on the sign-in page")
        second.open(server.url("/account"))
        check(second.arrives_at("/login?next=/account"), "the reset signed every browser out")
        second.sign_in(password=CHANGED_PASSWORD)
        check(second.shows("Could not sign in") and second.path.startswith("/login"), "the old password no longer signs in")
        first.sign_in(password=RESET_PASSWORD)
        check(first.arrives_at("/account") and first.path == "/account", "the new password signs in")
        first.open(reset_link)
        first.fill("password", PASSWORD)
        first.submit("form[action='/reset-password'] button[type=submit]")
        check(first.shows("This link cannot be used"), "the reset link works once")
    finally:
        for browser in (first, second):
            if browser:
                browser.quit()
        attacker.stop()
        server.stop()
        inbox.stop()


def two_step(binary, screenshots, directory):
    """Two-step verification in the pages, with pyotp as the person's authenticator app: set up
    from the QR page's key, the code step after the password (a code works once), a recovery code
    once, turning it off with the password; then wrong codes over the API until the throttle stops them."""
    inbox = Inbox()
    server = Portcullis(binary, directory, inbox.port)
    browser = None
    try:
        browser = Browser("two-step", directory)
        browser.open(server.url("/register"))
        browser.fill("email", EMAIL)
        browser.fill("password", PASSWORD)
        browser.submit("form[action='/register'] button[type=submit]")
        check(browser.arrives_at("/account"), "a new account lands on the account page")
        check(browser.driver.find_element(By.ID, "two-step-state").text == "Off", "the account page says two-step verification is off")
        browser.submit("form[action='/account/two-step'] button[type=submit]")
        check(browser.shows("Scan this code"), "setting up shows the key to scan")
        check(browser.driver.find_elements(By.CSS_SELECTOR, "#totp-qr svg[role=img]"), "the key is drawn as a QR code")
        check(not browser.driver.find_elements(By.TAG_NAME, "script"), "the set-up page has no script")
        browser.screenshot(screenshots, "two-step-setup-phone", PHONE)
        browser.screenshot(screenshots, "two-step-setup-desktop", DESKTOP)
        authenticator = pyotp.TOTP(browser.driver.find_element(By.ID, "totp-secret").text)
        used = authenticator.now()
        browser.fill("code", used)
        browser.submit("form[action='/account/two-step/confirm'] button[type=submit]")
        check(browser.shows("Your recovery codes"), "the first code from pyotp turns it on")
        codes = [item.text for item in browser.driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
        check(len(codes) == 10 and len(set(codes)) == 10, "ten recovery codes are shown")
        browser.screenshot(screenshots, "two-step-recovery-codes-phone", PHONE)

        def sign_in_to_code_step():
            browser.submit("form[action='/logout'] button[type=submit]")
            check(browser.arrives_at("/login"), "signing out lands on the sign-in page")
            browser.sign_in()
            check(browser.shows("Enter the 6-digit code"), "after the password, the sign-in asks for the code")

        sign_in_to_code_step()
        check(not browser.driver.get_cookie("__Host-portcullis_session"), "the password alone sets no session cookie")
        browser.screenshot(screenshots, "two-step-code-phone", PHONE)
        browser.fill("code", used)
        browser.submit("form[action='/login/code'] button[type=submit]")
        check(browser.shows("not right, or was already used"), "a code already used is refused")
        # The next step's code is accepted now (one step of clock drift), and was never used.
        browser.fill("code", authenticator.at(time.time() + 30))
        browser.submit("form[action='/login/code'] button[type=submit]")
        check(browser.arrives_at("/account") and browser.path == "/account", "a fresh code from pyotp signs in")
        check("9 recovery codes" not in browser.text() and "10 recovery codes left" in browser.text(), "no recovery code was spent")

        sign_in_to_code_step()
        browser.fill("code", codes[0].upper())
        browser.submit("form[action='/login/code'] button[type=submit]")
        check(browser.arrives_at("/account") and "9 recovery codes left" in browser.text(), "a recovery code signs in")
        sign_in_to_code_step()
        browser.fill("code", codes[0])
        browser.submit("form[action='/login/code'] button[type=submit]")
        check(browser.shows("not right, or was already used"), "a recovery code works once")
        browser.fill("code", codes[1])
        browser.submit("form[action='/login/code'] button[type=submit]")
        check(browser.arrives_at("/account"), "another recovery code still works")

        browser.fill("password", "not the password at all")
        browser.submit("form[action='/account/two-step/off'] button[type=submit]")
        check(browser.shows("still on: the password was not right"), "turning it off needs the password")
        browser.fill("password", PASSWORD)
        browser.submit("form[action='/account/two-step/off'] button[type=submit]")
        check(browser.shows("Two-step verification is off"), "the password turns it off")
        browser.submit("form[action='/logout'] button[type=submit]")
        check(browser.arrives_at("/login"), "signing out again")
        browser.sign_in()
        check(browser.arrives_at("/account") and browser.path == "/account", "the password alone signs in again")

        # Wrong codes count like wrong passwords: ten, then even a right code waits.
        challenge = api_second_factor_account(server, "grace@example.com")
        statuses = [api_post(server, "/v1/sessions/mfa", {"mfa_token": challenge["mfa_token"], "code": "000000"})[0] for _ in range(10)]
        check(statuses == [401] * 10, f"wrong codes are refused ({statuses})")
        right = challenge["authenticator"].at(time.time() + 30)
        status, _ = api_post(server, "/v1/sessions/mfa", {"mfa_token": challenge["mfa_token"], "code": right})
        check(status == 429, f"after ten wrong codes even a right one is throttled ({status})")
    finally:
        if browser:
            browser.quit()
        server.stop()
        inbox.stop()


def add_authenticator(browser):
    """Gives the profile a platform authenticator (Chromium's virtual one, through WebDriver)
    that holds discoverable credentials and verifies its user, as a fingerprint reader does."""
    options = VirtualAuthenticatorOptions()
    options.protocol = Protocol.CTAP2
    options.transport = Transport.INTERNAL
    options.has_resident_key = True
    options.has_user_verification = True
    options.is_user_verified = True
    options.is_user_consenting = True
    browser.driver.add_virtual_authenticator(options)


def me(browser):
    """`/v1/me` as the page's own session sees it (fetched from the page)."""
    return browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/v1/me', {credentials: 'same-origin'}).then(r => r.ok ? r.json() : {status: r.status}).then(done, e => done({error: String(e)}));")


def passkeys(binary, screenshots, directory):
    """Passkeys in the pages with Chromium's virtual authenticator: add one from the account page,
    sign out, sign in with it without typing an email (amr hwk user mfa), see that a password
    sign-in now asks for it, find that a second profile cannot use it, then remove it."""
    inbox = Inbox()
    server = Portcullis(binary, directory, inbox.port)
    first = second = None
    try:
        first = Browser("passkey-first", directory)
        add_authenticator(first)
        first.open(server.url("/register"))
        first.fill("email", EMAIL)
        first.fill("password", PASSWORD)
        first.submit("form[action='/register'] button[type=submit]")
        check(first.arrives_at("/account"), "a new account lands on the account page")
        check(first.driver.find_elements(By.ID, "passkeys-empty"), "the account page lists no passkey yet")
        scripts = [element.get_attribute("src") for element in first.driver.find_elements(By.TAG_NAME, "script")]
        check(len(scripts) == 1 and "/assets/passkeys.js?v=" in scripts[0], f"the account page loads only the server's passkey script ({scripts})")
        first.fill("passkey-name", "Test laptop")
        first.submit("button[data-passkey=register]")
        check(first.arrives_at("/account?notice=passkey-added"), "adding a passkey through the browser's authenticator succeeds")
        check("Test laptop" in first.driver.find_element(By.ID, "passkeys").text, "the passkey is listed under its name")
        credentials = first.driver.get_credentials()
        check(len(credentials) == 1 and credentials[0].is_resident_credential, "the authenticator holds one discoverable credential")
        first.screenshot(screenshots, "passkeys-account-phone", PHONE)
        first.screenshot(screenshots, "passkeys-account-desktop", DESKTOP)

        first.submit("form[action='/logout'] button[type=submit]")
        check(first.arrives_at("/login"), "signing out lands on the sign-in page")
        first.screenshot(screenshots, "login-passkey-phone", PHONE)
        first.submit("button[data-passkey=sign-in]")
        check(first.arrives_at("/account") and first.path == "/account", "the passkey signs in without an email")
        auth = me(first).get("auth", {})
        check(auth.get("amr") == ["hwk", "user", "mfa"], f"the session records a passkey sign-in ({auth})")
        check("Last used" in first.text() and "Never" not in first.driver.find_element(By.ID, "passkeys").text,
              "the list shows when the passkey was last used")

        # The password alone no longer signs in: the passkey is the second step.
        first.submit("form[action='/logout'] button[type=submit]")
        check(first.arrives_at("/login"), "signing out again")
        first.sign_in()
        check(first.shows("Confirm it is you with one of your passkeys"), "after the password, the sign-in asks for the passkey")
        first.submit("button[data-passkey=second-step]")
        check(first.arrives_at("/account") and first.path == "/account", "the passkey completes the password sign-in")
        check(me(first).get("auth", {}).get("amr") == ["pwd", "hwk", "user", "mfa"], "the session records password and passkey")

        # Another profile: its authenticator holds nothing for this site, so it cannot sign in.
        second = Browser("passkey-second", directory)
        add_authenticator(second)
        second.open(server.url("/login"))
        second.submit("button[data-passkey=sign-in]")
        check(second.shows("The passkey was not used"), "the second profile has no passkey to offer")
        check(second.path.startswith("/login") and not second.driver.get_cookie("__Host-portcullis_session"),
              "the second profile is not signed in")

        # Removing the last passkey (the last second factor: the password is asked for even now):
        # the list is empty and the password alone signs in again.
        first.driver.find_element(By.CSS_SELECTOR, "#passkeys form[action$='/remove'] input[type=password]").send_keys(PASSWORD)
        first.submit("#passkeys form[action$='/remove'] button[type=submit]")
        check(first.arrives_at("/account?notice=passkey-removed"), "the passkey is removed")
        check(first.driver.find_elements(By.ID, "passkeys-empty"), "the list is empty again")
        first.submit("form[action='/logout'] button[type=submit]")
        check(first.arrives_at("/login"), "signing out once more")
        first.submit("button[data-passkey=sign-in]")
        check(first.shows("The passkey was not accepted") or first.shows("not used"), "the removed passkey no longer signs in")
        first.sign_in()
        check(first.arrives_at("/account") and first.path == "/account", "the password alone signs in again")
    finally:
        for browser in (first, second):
            if browser:
                browser.quit()
        server.stop()
        inbox.stop()


def api_post(server, path, body, headers=None):
    """POSTs JSON; returns the status, the parsed answer and the response headers."""
    request = urllib.request.Request(server.url(path), data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, (json.loads(response.read() or b"null"), response.headers)
    except urllib.error.HTTPError as error:
        return error.code, (json.loads(error.read() or b"null"), error.headers)


def api_second_factor_account(server, email):
    """An account with two-step verification on, set up over the API with pyotp; returns the
    challenge of a fresh password step and the authenticator."""
    check(api_post(server, "/v1/accounts", {"email": email, "password": PASSWORD})[0] == 201, "an API account is created")
    status, (session, headers) = api_post(server, "/v1/sessions", {"email": email, "password": PASSWORD})
    cookie = headers["set-cookie"].split(";")[0]
    auth = {"cookie": cookie, "x-csrf-token": session["csrf_token"], "origin": server.origin}
    _, (enrolment, _) = api_post(server, "/v1/mfa/totp", {}, auth)
    authenticator = pyotp.TOTP(enrolment["secret"])
    check(api_post(server, "/v1/mfa/totp/confirm", {"code": authenticator.now()}, auth)[0] == 200, "pyotp's code confirms over the API")
    status, (challenge, _) = api_post(server, "/v1/sessions", {"email": email, "password": PASSWORD})
    check(status == 200 and challenge.get("mfa_required") is True, "the password step answers mfa_required")
    return {"mfa_token": challenge["mfa_token"], "authenticator": authenticator}


def compare_report(binary, screenshots, directory):
    """`portcullis compare --html` (one second per experiment), opened in Chromium at phone and
    desktop widths."""
    report = os.path.join(directory, "compare.html")
    result = subprocess.run([binary, "compare", "--duration", "1s", "--html", report], cwd=directory,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(result.stderr[-2000:], flush=True)
    check(result.returncode == 0, "portcullis compare --html succeeds")
    browser = Browser("report", directory)
    try:
        browser.open("file://" + report)
        check(browser.driver.title == "Sessions vs JWT, measured", "the report opens as a page of its own")
        charts = browser.driver.find_elements(By.CSS_SELECTOR, "figure svg rect.bar")
        check(len(charts) >= 10, f"the report draws its bars ({len(charts)})")
        check(not browser.driver.find_elements(By.TAG_NAME, "script"), "the report has no script")
        browser.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        browser.driver.refresh()
        overflow = browser.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        check(overflow <= 0, f"at a phone's width only the table scrolls sideways, not the page ({overflow} px)")
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.screenshot(screenshots, "compare-report-phone", PHONE)
        browser.screenshot(screenshots, "compare-report-desktop", DESKTOP)
    finally:
        browser.quit()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, screenshots = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(screenshots, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="portcullis-browser-")
    try:
        run(binary, screenshots, directory)
        two_step(binary, screenshots, directory)
        passkeys(binary, screenshots, directory)
        compare_report(binary, screenshots, directory)
    except CheckFailed as failure:
        log = os.path.join(directory, "server.log")
        tail = "".join(open(log).readlines()[-20:]) if os.path.exists(log) else ""
        sys.exit(f"not ok - {failure}\n--- server log (last lines) ---\n{tail}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"screenshots in {screenshots}")


if __name__ == "__main__":
    main()
