"""Starts and stops a throwaway `portcullis serve` for the API checks in this folder.

The server runs in a fresh temporary directory (its SQLite file, key file and mail folder live
there), on a free loopback port, and is stopped (and the directory removed) by `stop()`, which the
checks call from `finally` blocks and signal handlers, so a failing or interrupted check leaves
nothing behind.

Its public URL is the issuer's, `http://127.0.0.1:PORT`, unless `public_host` names another host:
then `--public-url http://PUBLIC_HOST:PORT` (the server still listens on 127.0.0.1). Passkeys need
that: the relying-party id is the public URL's host, and browsers refuse an IP address there, so a
server whose passkeys are exercised is started with `public_host="localhost"`.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: str, extra_args=(), mail=True, name="portcullis-api", public_host=None):
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise SystemExit(f"not an executable: {binary}")
        self.dir = tempfile.mkdtemp(prefix=name + ".")
        self.mail_dir = os.path.join(self.dir, "mail") if mail else None
        if self.mail_dir:
            os.mkdir(self.mail_dir)
        self.port = None
        self.base = None
        self.public_host = public_host
        self.public_url = None  # the origin browsers use: `base`, or http://PUBLIC_HOST:PORT
        self.extra_args = list(extra_args)
        self.process = None
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = None

    # -- lifetime ---------------------------------------------------------------------------
    def start(self, timeout=60.0):
        # A port picked free can be taken by someone else before the server binds it: retry.
        for _attempt in range(5):
            self.port = free_port()
            self.base = f"http://127.0.0.1:{self.port}"
            self.public_url = f"http://{self.public_host}:{self.port}" if self.public_host else self.base
            args = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            if self.public_host:
                args += ["--public-url", self.public_url]
            if self.mail_dir:
                args += ["--mail", "file:" + self.mail_dir]
            args += self.extra_args
            self._log = open(self.log_path, "ab")
            self.process = subprocess.Popen(
                args, cwd=self.dir, stdout=self._log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                        if r.status == 200:
                            return self
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.1)
            else:
                self.stop(keep_dir=True)
                raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s\n{self.log_tail()}")
            self._log.close()
            if b"ddress already in use" not in open(self.log_path, "rb").read():
                raise RuntimeError(f"the server exited with status {self.process.returncode}\n{self.log_tail()}")
        raise RuntimeError("could not find a free port")

    def stop(self, keep_dir=False):
        p, self.process = self.process, None
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        if not keep_dir and os.environ.get("API_TESTS_KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines=20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    # -- the admin command line, on the same store -----------------------------------------
    def cli(self, *args, stdin=None) -> dict:
        # The command line reads settings from the environment: hash as cheaply as the server does.
        env = {**os.environ, "PORTCULLIS_SCRYPT_LOG_N": "10", "PORTCULLIS_HASH_PRIORITY": "normal"}
        r = subprocess.run(
            [self.binary, *args], cwd=self.dir, input=stdin, capture_output=True, text=True, timeout=60, env=env,
        )
        if r.returncode != 0:
            raise RuntimeError(f"portcullis {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
        return json.loads(r.stdout)


def stop_on_signals(server: Server):
    """Turns SIGTERM/SIGINT/SIGHUP into SystemExit so `finally` blocks stop the server."""
    def handler(signum, _frame):
        server.stop()
        sys.exit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, handler)
