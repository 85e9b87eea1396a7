#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests (aiosmtpd), that keeps what it receives.

Each accepted message is written to DIR as N.eml (the message as received, dots unstuffed) and
N.json (the envelope: mail_from, rcpt_tos, whether the session was encrypted, who authenticated).
Prints "listening on PORT" once it accepts connections, then runs until killed.

    smtp_sink.py --dir DIR [--port P] [--starttls CERT KEY] [--tls CERT KEY]
                 [--auth USER:PASSWORD] [--refuse-first N]
"""
import argparse
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, refuse_first):
        self.directory = directory
        self.refuse_left = refuse_first
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_left > 0:
            self.refuse_left -= 1
            return "451 4.3.0 Try again later"
        self.count += 1
        base = os.path.join(self.directory, f"{self.count:04d}")
        with open(base + ".eml.part", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as out:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "encrypted": session.ssl is not None,
                "authenticated_as": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            }, out)
        os.rename(base + ".eml.part", base + ".eml")  # readers never see half a message
        return "250 2.0.0 OK"


def authenticator(expected):
    user, password = expected.split(":", 1)

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    return check


def context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    # A test runner may ignore or block SIGTERM, and both are inherited: stopping must stop us.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth")
    parser.add_argument("--refuse-first", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    port = args.port
    if port == 0:
        import socket
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
    options = {"hostname": "127.0.0.1", "port": port, "ready_timeout": 10}
    if args.starttls:
        options["tls_context"] = context(*args.starttls)
        options["require_starttls"] = True
    if args.tls:
        options["ssl_context"] = context(*args.tls)
    if args.auth:
        options["authenticator"] = authenticator(args.auth)
        options["auth_required"] = True
        options["auth_require_tls"] = bool(args.starttls or args.tls)
    controller = Controller(Sink(args.dir, args.refuse_first), server_hostname="sink.test", **options)
    controller.start()
    print(f"listening on {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
