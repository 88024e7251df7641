"""Throw-away storage sites for the transfer service's tests: XRootD 5.5 servers on loopback with
HTTP third-party copy and adler32, run as an unprivileged user (XRootD refuses root), with a
private CA and server certificate (XrdHttp loads its TPC handler only when TLS is configured,
even for plain http). Also a small TCP forwarder standing in for a WAN path when toxiproxy is
not built. Every process started here is stopped by its owner's ``stop``."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

XRD_USER = "nobody"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def make_ca(folder: Path) -> Path:
    """A CA and a server certificate for localhost/127.0.0.1; returns the CA folder (hashed)."""
    folder.mkdir(parents=True, exist_ok=True)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=folder)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=srcnet-test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")
    (folder / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                    "extendedKeyUsage=serverAuth,clientAuth\n")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
        "-out", "server.csr")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.cnf", "-out", "server.pem")
    certdir = folder / "certificates"
    certdir.mkdir(exist_ok=True)
    shutil.copy(folder / "ca.pem", certdir / "ca.pem")
    h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", "ca.pem"], check=True, capture_output=True,
                       text=True, cwd=folder).stdout.strip()
    shutil.copy(folder / "ca.pem", certdir / f"{h}.0")
    return certdir


@dataclass
class XrdSite:
    name: str
    base: Path
    pki: Path
    http_port: int = field(default_factory=free_port)
    root_port: int = field(default_factory=free_port)
    proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "log" / "xrootd.log"

    def url(self, path: str, scheme: str = "davs", host: str = "127.0.0.1", port: Optional[int] = None) -> str:
        return f"{scheme}://{host}:{port or self.http_port}/{path.lstrip('/')}"

    def start(self) -> None:
        uid = pwd.getpwnam(XRD_USER)
        for d in ("data", "log", "run", "tls"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        tls = self.base / "tls"
        for f in ("server.pem", "server.key"):
            shutil.copy(self.pki / f, tls / f)
        shutil.copytree(self.pki / "certificates", tls / "certificates", dirs_exist_ok=True)
        cfg = self.base / "xrootd.cfg"
        cfg.write_text(f"""\
all.export /
all.adminpath {self.base}/run
all.pidpath {self.base}/run
xrd.port {self.root_port}
oss.localroot {self.data}
xrootd.chksum adler32
ofs.tpc autorm xfr 40 pgm /usr/bin/xrdcp --server
xrd.tls {tls}/server.pem {tls}/server.key
xrd.tlsca certdir {tls}/certificates
xrd.protocol XrdHttp:{self.http_port} libXrdHttp.so
http.exthandler xrdtpc libXrdHttpTPC.so
http.trace all
""")
        for root, dirs, files in os.walk(self.base):
            for n in dirs + files:
                os.chown(os.path.join(root, n), uid.pw_uid, uid.pw_gid)
        os.chown(self.base, uid.pw_uid, uid.pw_gid)
        os.chmod(tls / "server.key", 0o600)
        env = dict(os.environ, X509_CERT_DIR=str(tls / "certificates"))
        self.proc = subprocess.Popen(
            ["xrootd", "-R", XRD_USER, "-c", str(cfg), "-l", str(self.log), "-n", self.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            wait_port(self.http_port)
            wait_port(self.root_port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"xrootd {self.name} did not start; log:\n{self.read_log()[-3000:]}")

    def read_log(self) -> str:
        # xrootd -n NAME writes into LOGDIR/NAME/xrootd.log
        out = []
        for p in self.log.parent.rglob("xrootd.log*"):
            out.append(p.read_text(errors="replace"))
        return "\n".join(out)

    def put(self, path: str, content: bytes) -> Path:
        target = self.data / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        uid = pwd.getpwnam(XRD_USER)
        d = target
        while d != self.data:
            os.chown(d, uid.pw_uid, uid.pw_gid)
            d = d.parent
        return target

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


class Forwarder:
    """A TCP forwarder on loopback with a fixed delay on the first byte of each connection's
    direction (a crude stand-in for a WAN path when toxiproxy is not available)."""

    def __init__(self, target_port: int, delay: float = 0.0) -> None:
        self.target_port = target_port
        self.delay = delay
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        first = True
        try:
            while not self._stop.is_set():
                chunk = a.recv(65536)
                if not chunk:
                    break
                if first and self.delay:
                    time.sleep(self.delay)
                first = False
                b.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.connections += 1
            try:
                u = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                c.close()
                continue
            for x, y in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()
