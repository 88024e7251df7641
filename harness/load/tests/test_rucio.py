"""Rucio through rucio-clients 41.5.1's Client against a server answering Rucio's REST paths and
formats (standard_servers.Rucio): what the client sends (method, path, JSON body, token header),
one row per request named by the operation, errors as failed rows (never a crash), the token
renewed after a 401, and secrets in no row, log line or file."""

from __future__ import annotations

import getpass
import logging
import os
import time

import pytest
from rucio.client.baseclient import BaseClient

from recording import OK, STATUS, brief, plan_for, worker
from standard_servers import Reply, Rucio, Seen, serve

USER, PASSWORD = "loader", "pw-9f3a1c"
SECRETS = {"rucio_username": USER, "rucio_password": PASSWORD}
SITES = [{"name": "S0", "url": "http://127.0.0.1:1/s0", "rse": "RSE_A"}, {"name": "S1", "url": "http://127.0.0.1:1/s1", "rse": "RSE_B"}]


def rucio_plan(base: str, **extra: object) -> dict:
    port = base.rsplit(":", 1)[1]
    return plan_for(
        "rucio",
        {"add-did": 1, "add-replicas": 1, "list-replicas": 1, "add-rule": 1, "list-rules": 1},
        allow=[f"127.0.0.1:{port}"],
        endpoints={"rucio": base, "sites": SITES},
        reads=[{"name": "seeded-1", "pool": 0, "replicas": []}],
        **extra,
    )


def token_file(account: str) -> str:
    return f"{BaseClient.TOKEN_PATH_PREFIX}{getpass.getuser()}/{BaseClient.TOKEN_PREFIX}for_account_{account}"


def test_the_client_authenticates_before_the_load_without_a_row_a_log_line_or_a_file(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    existed = os.path.exists(token_file("loadtester"))
    server = Rucio(USER, PASSWORD, tokens=["tok-A"])
    with serve(server) as (base, seen):
        w = worker(rucio_plan(base), SECRETS)
        w.run("add-did", 0)
        rows = w.rows()
    assert [(s.method, s.path) for s in seen] == [("GET", "/auth/userpass"), ("POST", "/dids/testscope/run42-steady__rucio-w0-0-ds")]
    auth = seen[0].headers
    assert (auth["x-rucio-account"], auth["x-rucio-username"], auth["x-rucio-password"]) == ("loadtester", USER, PASSWORD)
    assert seen[1].headers["x-rucio-auth-token"] == "tok-A"
    # The authentication is set-up, not load: the only row is the operation's.
    assert brief(rows) == [("rucio", "add-did", 201, True)]
    assert len(w.events) == 2
    assert PASSWORD not in caplog.text and "tok-A" not in caplog.text
    assert existed or not os.path.exists(token_file("loadtester"))


def test_each_operation_sends_what_rucio_expects() -> None:
    server = Rucio(USER, PASSWORD, tokens=["tok-A"])
    server.replicas[("testscope", "seeded-1")] = {"RSE_A": "AVAILABLE", "RSE_B": "AVAILABLE"}
    with serve(server) as (base, seen):
        w = worker(rucio_plan(base), SECRETS)
        del seen[:]
        for op, n in [("add-did", 0), ("add-replicas", 1), ("list-replicas", 2), ("add-rule", 3), ("add-rule", 4), ("list-rules", 5)]:
            w.run(op, n)
        w.run("add-did", 0, worker=1)
        rows = w.rows()
    pool0, pool1 = w.services.plan["pool"]
    assert [(s.method, s.path) for s in seen] == [
        ("POST", "/dids/testscope/run42-steady__rucio-w0-0-ds"),
        ("POST", "/replicas"),
        ("POST", "/replicas/list"),
        ("POST", "/rules/"),  # on the dataset add-did made
        ("POST", "/dids/testscope/run42-steady__rucio-w0-4-ds"),  # none waiting: one is made first
        ("POST", "/rules/"),
        ("GET", "/dids/testscope/seeded-1/rules"),
        ("POST", "/dids/testscope/run42-steady__rucio-w1-0-ds"),  # another worker, another name
    ]
    assert seen[0].json() == {"type": "DATASET"}
    assert seen[1].json() == {
        "rse": "RSE_B",
        "files": [{"scope": "testscope", "name": "run42-steady__rucio-w0-1-reg", "bytes": pool1["bytes"], "adler32": pool1["adler32"], "md5": pool1["md5"]}],
        "ignore_availability": True,
    }
    assert seen[2].json()["dids"] == [{"scope": "testscope", "name": "seeded-1"}]
    for rule, name in ((seen[3].json(), "run42-steady__rucio-w0-0-ds"), (seen[5].json(), "run42-steady__rucio-w0-4-ds")):
        assert rule["dids"] == [{"scope": "testscope", "name": name}]
        assert (rule["copies"], rule["rse_expression"], rule["account"]) == (1, "RSE_A|RSE_B", "loadtester")
    assert all(s.headers["x-rucio-auth-token"] == "tok-A" and s.headers["x-rucio-account"] == "loadtester" for s in seen)
    assert brief(rows) == [
        ("rucio", "add-did", 201, True),
        ("rucio", "add-replicas", 201, True),
        ("rucio", "list-replicas", 200, True),
        ("rucio", "add-rule", 201, True),
        ("rucio", "add-did", 201, True),
        ("rucio", "add-rule", 201, True),
        ("rucio", "list-rules", 200, True),
        ("rucio", "add-did", 201, True),
    ]
    # Request bytes are counted (the JSON bodies) with the answers.
    assert rows[1][8] >= len(seen[1].body)


def test_errors_are_failed_rows_not_crashes() -> None:
    server = Rucio(USER, PASSWORD, tokens=["tok-A"])
    with serve(server) as (base, _):
        w = worker(rucio_plan(base), SECRETS)
        w.run("add-did", 0)
        w.run("add-did", 0)  # the same name again: 409 DataIdentifierAlreadyExists
        server.fail["/rules/"] = (500, 1)
        w.run("add-rule", 1)
        server.fail["/dids/"] = (200, 1)  # a 200 where Rucio answers 201: the client raises
        w.run("add-did", 2)
        # 503: the client retries twice, backing off 0.25 s then 0.5 s (and 1 s after the third).
        server.fail["/replicas/list"] = (503, 3)
        t0 = time.time()
        w.run("list-replicas", 3)
        elapsed = time.time() - t0
        rows = w.rows()
    assert brief(rows) == [
        ("rucio", "add-did", 201, True),
        ("rucio", "add-did", 409, False),
        ("rucio", "add-rule", 500, False),  # on the dataset the first add-did made
        ("rucio", "add-did", 200, False),
        ("rucio", "list-replicas", 503, False),
        ("rucio", "list-replicas", 503, False),
        ("rucio", "list-replicas", 503, False),
    ]
    assert 1.5 < elapsed < 4.0


def test_a_refused_token_is_renewed_once() -> None:
    server = Rucio(USER, PASSWORD, tokens=["tok-A", "tok-B"])
    with serve(server) as (base, seen):
        w = worker(rucio_plan(base), SECRETS)
        server.valid.discard("tok-A")  # expired
        w.run("add-did", 0)
        rows = w.rows()
    assert [(s.method, s.path, s.headers.get("x-rucio-auth-token")) for s in seen[1:]] == [
        ("POST", "/dids/testscope/run42-steady__rucio-w0-0-ds", "tok-A"),
        ("GET", "/auth/userpass", "tok-A"),  # the client sends its old token along
        ("POST", "/dids/testscope/run42-steady__rucio-w0-0-ds", "tok-B"),
    ]
    assert brief(rows) == [("rucio", "add-did", 401, False), ("rucio", "auth", 200, True), ("rucio", "add-did", 201, True)]


def test_a_configured_token_is_sent_never_fetched() -> None:
    server = Rucio(tokens=[])
    server.valid.add("tok-Z")
    with serve(server) as (base, seen):
        w = worker(rucio_plan(base, rucio={"account": "loadtester", "auth": "token", "scope": "testscope"}), {"rucio_token": "tok-Z"})
        w.run("add-did", 0)
        server.valid.discard("tok-Z")
        w.run("add-did", 1)
        rows = w.rows()
    assert [(s.method, s.path, s.headers["x-rucio-auth-token"]) for s in seen] == [
        ("POST", "/dids/testscope/run42-steady__rucio-w0-0-ds", "tok-Z"),
        ("POST", "/dids/testscope/run42-steady__rucio-w0-1-ds", "tok-Z"),
    ]
    assert brief(rows) == [("rucio", "add-did", 201, True), ("rucio", "add-did", 401, False)]


def test_refused_credentials_stop_the_worker_without_saying_them(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = Rucio(USER, "another-password", tokens=["tok-A"])
    with serve(server) as (base, seen):
        with pytest.raises(RuntimeError) as e:
            worker(rucio_plan(base), SECRETS)
    assert base in str(e.value)
    assert PASSWORD not in str(e.value) and USER not in str(e.value)
    assert PASSWORD not in caplog.text and USER not in caplog.text
    assert [s.path for s in seen] == ["/auth/userpass"]


def test_a_rucio_server_off_the_allowlist_is_never_contacted() -> None:
    with serve(Rucio(USER, PASSWORD, tokens=["tok-A"])) as (base, seen):
        plan = rucio_plan(base)
        plan["allowHosts"] = ["127.0.0.1:1"]
        with pytest.raises(RuntimeError):
            worker(plan, SECRETS)
    assert seen == []


def test_no_rucio_endpoint_is_a_failed_request() -> None:
    w = worker(plan_for("rucio", {"add-did": 1}, allow=["127.0.0.1"]), SECRETS)
    w.run("add-did", 0)
    assert [(r[STATUS], r[OK]) for r in w.rows()] == [(0, False)]


def test_a_redirect_to_another_host_is_followed_without_the_token() -> None:
    # 307: the same method and body again, at the Location (RFC 9110); another host:port, so the
    # credentials stay behind (as requests does for Authorization).
    with serve(lambda req, base: (201, {}, b"Created")) as (other, other_seen):
        server = Rucio(USER, PASSWORD, tokens=["tok-A"])

        def route(req: Seen, base: str) -> Reply:
            if req.path.startswith("/dids/"):
                return 307, {"Location": f"{other}{req.path}"}, b""
            return server(req, base)

        with serve(route) as (base, seen):
            plan = rucio_plan(base)
            plan["allowHosts"].append(other.replace("http://", ""))
            w = worker(plan, SECRETS)
            w.run("add-did", 0)
            rows = w.rows()
    assert brief(rows) == [("rucio", "add-did", 307, True), ("rucio", "add-did", 201, True)]
    (moved,) = other_seen
    assert (moved.method, moved.path, moved.json()) == ("POST", "/dids/testscope/run42-steady__rucio-w0-0-ds", {"type": "DATASET"})
    assert "x-rucio-auth-token" not in moved.headers
    assert seen[-1].headers["x-rucio-auth-token"] == "tok-A"
