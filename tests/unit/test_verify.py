"""`make verify` against local stand-ins of the gateway: one that behaves like a good deployment, and
one per way a deployment can be broken. It must pass the good one and fail each broken one, on the
check that names the fault. The stand-ins serve TLS with a test CA (tests/data/verify/)."""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ROOT
from tools import verify

CERTS = ROOT / "tests" / "data" / "verify"
MODELS = ["Qwen/Qwen3-8B", "Qwen/Qwen2.5-Coder-32B-Instruct"]
TENANTS = [
    verify.Tenant("chat-app", "key-chat", frozenset({"Qwen/Qwen3-8B"}), requests_per_minute=5),
    verify.Tenant("research", "key-research", frozenset(MODELS)),
]


@dataclass(frozen=True)
class Behaviour:
    """How the stand-in gateway behaves; each field off is one way a deployment goes wrong."""

    lists_only_granted: bool = True
    streams_tokens: bool = True
    refuses_wrong_key: bool = True
    refuses_ungranted: bool = True
    rate_limits: bool = True
    certificate: str = "llm.test"
    wakes: bool = True
    """The model at rest (RESTING) is held while it wakes and then answers, rather than refused."""


GOOD = Behaviour()
BROKEN = {
    "lists every model to every tenant": (replace(GOOD, lists_only_granted=False), "/v1/models"),
    "streams no tokens": (replace(GOOD, streams_tokens=False), ("stream", "scale from zero")),
    "accepts a wrong key": (replace(GOOD, refuses_wrong_key=False), "wrong key"),
    "serves an ungranted model": (replace(GOOD, refuses_ungranted=False), "ungranted model"),
    "never rate-limits": (replace(GOOD, rate_limits=False), "burst"),
    "presents a certificate for another host": (replace(GOOD, certificate="other.test"), "certificate"),
    "refuses a model at rest": (replace(GOOD, wakes=False), ("scale from zero", "stream")),
}
RESTING = MODELS[1]
WAKE_SECONDS = 0.5


def handler(behaviour: Behaviour):
    tenants = {t.key: t for t in TENANTS}
    counts: dict[str, int] = {}
    woken = [False]
    lock = threading.Lock()

    class Gateway(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _tenant(self):
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            tenant = tenants.get(key)
            if tenant is None and behaviour.refuses_wrong_key:
                self._send(401, {"error": "unauthorized"})
                return None
            return tenant or TENANTS[1]

        def do_GET(self):  # noqa: N802
            tenant = self._tenant()
            if tenant is None:
                return
            listed = sorted(tenant.models) if behaviour.lists_only_granted else MODELS
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in listed]})

        def do_POST(self):  # noqa: N802
            tenant = self._tenant()
            if tenant is None:
                return
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if request["model"] not in tenant.models and behaviour.refuses_ungranted:
                self._send(403, {"error": "forbidden"})
                return
            with lock:
                counts[tenant.name] = seen = counts.get(tenant.name, 0) + 1
            if behaviour.rate_limits and tenant.requests_per_minute and seen > tenant.requests_per_minute:
                self._send(429, {"error": "too many requests"})
                return
            cold = None
            if request["model"] == RESTING:
                with lock:
                    cold, woken[0] = not woken[0], True
                if cold and not behaviour.wakes:
                    woken[0] = False
                    self._send(503, {"error": {"message": "no replica"}})
                    return
                if cold:
                    time.sleep(WAKE_SECONDS)
            if not request.get("stream"):
                self._send(200, {"choices": [{"message": {"content": "hi"}}]})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            if cold is not None:
                self.send_header(verify.COLD_START_HEADER, "true" if cold else "false")
            self.end_headers()
            for word in (["Hello", " there", "."] if behaviour.streams_tokens else []):
                self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': word}}]})}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    return Gateway


@pytest.fixture
def gateway(request):
    """A TLS stand-in on 127.0.0.1, reached as llm.test (as `--connect-to` reaches a port-forward)."""
    behaviour: Behaviour = request.param
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(behaviour))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERTS / f"{behaviour.certificate}.crt", CERTS / f"{behaviour.certificate}.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield verify.Target("llm.test", 443, TENANTS, MODELS, connect_to=("127.0.0.1", server.server_address[1]),
                        ca_file=str(CERTS / "ca.crt"), resting={RESTING: 30})
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("gateway", [GOOD], indirect=True)
def test_a_good_deployment_passes_every_check(gateway):
    report = verify.verify(gateway, timeout=10)
    assert report.ok, report.table()
    checks = {(r.check, r.subject) for r in report.results}
    assert {("certificate", "llm.test"), ("/v1/models", "chat-app"), ("/v1/models", "research"), ("stream", MODELS[0]),
            ("stream", MODELS[1]), ("wrong key", "/v1/models"), ("ungranted model", f"chat-app -> {MODELS[1]}"),
            ("burst", "chat-app"), ("scale from zero", RESTING)} == checks
    wake = next(r for r in report.results if r.check == "scale from zero")
    assert wake.detail.endswith("woke from zero") and float(wake.detail.split("after ")[1].split("s")[0]) >= WAKE_SECONDS
    burst = next(r for r in report.results if r.check == "burst")
    assert burst.detail == "2 of 6 requests answered 429 (5/min)", "the streamed completion before it counted too"
    assert "first token" in next(r for r in report.results if r.check == "stream").detail


@pytest.mark.parametrize("gateway, failing", [pytest.param(b, check, id=name) for name, (b, check) in BROKEN.items()],
                         indirect=["gateway"])
def test_each_broken_deployment_fails_on_its_check(gateway, failing):
    report = verify.verify(gateway, timeout=10)
    assert not report.ok
    expected = set(failing) if isinstance(failing, tuple) else {failing}
    assert {r.check for r in report.results if not r.ok} == expected, report.table()


def test_the_target_comes_from_the_stack_outputs_and_config():
    from tools.plan import load_config, load_stack

    config = load_config("prod")
    outputs = {"url": "https://llm.example.com/v1", "apiKeys": {t.name: f"key-{t.name}" for t in config.gateway.tenants},
               "servedModels": {m.name: m.served_name for m in config.models}}
    target = verify.target_from(outputs, config, None, None)
    assert (target.host, target.port) == ("llm.example.com", 443)
    assert target.resting == {}, "without the plan, no model is known to rest"
    stack = load_stack("prod")
    # prod's qwen3-8b-fp8 rests at zero: a request may be held its whole cold start (1200 s), then answered in 900 s.
    assert verify.target_from(outputs, config, None, None, stack.plan).resting == {"Qwen/Qwen3-8B-FP8": 2100}
    by_name = {t.name: t for t in target.tenants}
    assert set(by_name) == {t.name for t in config.gateway.tenants}
    for tenant in config.gateway.tenants:
        expected = set(target.models) if "*" in tenant.models else {outputs["servedModels"][m] for m in tenant.models}
        assert by_name[tenant.name].models == expected
        assert by_name[tenant.name].requests_per_minute == tenant.requests_per_minute


def test_the_command_reads_saved_outputs_and_exits_1_on_a_failure(tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"url": "https://127.0.0.1:1/v1", "apiKeys": {"dev": "k"}, "servedModels": {"qwen-0-5b": "Qwen/Qwen2.5-0.5B-Instruct"}}))
    assert verify.main(["--stack", "dev", "--outputs", str(outputs)]) == 1
    out = capsys.readouterr().out
    assert "certificate" in out and "FAIL" in out and "cannot connect" in out
