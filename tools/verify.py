"""Check a deployed stack from the outside, as a client would (what `make verify STACK=<s>` runs).

    python -m tools.verify --stack prod
    python -m tools.verify --stack dev --connect-to 127.0.0.1:8443 --ca llmstack-ca.crt   (through a port-forward)
    python -m tools.verify --stack prod --outputs outputs.json                           (outputs saved earlier)

It reads the gateway's URL and each tenant's key from the stack's outputs (`pulumi stack output
--json --show-secrets`), and what each tenant is granted and limited to from the stack file, then:
- the certificate: valid for the host, from a CA the machine (or --ca) trusts;
- each tenant's /v1/models: exactly its granted models;
- each model: a streamed chat completion returns tokens (time to first token, tokens per second);
- a wrong key gets 401, a model a tenant is not granted gets 403;
- a burst past a tenant's requestsPerMinute gets 429 (the tenant with the lowest limit, at most
  --burst-limit requests; --burst-limit 0 skips it);
- each model that rests at zero (replicas.min 0): first, one streamed request succeeds, waiting as
  long as the gateway holds it, and the wait is reported, with whether the model woke from zero
  (KEDA's interceptor says so in X-KEDA-HTTP-Cold-Start) or was already up.
It prints a table and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import ssl
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = "Reply with one short sentence."
BURST_CONCURRENCY = 32


@dataclass(frozen=True)
class Tenant:
    name: str
    key: str
    models: frozenset[str]
    """Served model names it may call."""
    requests_per_minute: Optional[int] = None


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    tenants: list[Tenant]
    models: list[str]
    """Every served model name."""
    connect_to: Optional[tuple[str, int]] = None
    ca_file: Optional[str] = None
    resting: dict[str, int] = field(default_factory=dict)
    """Served name of each model that rests at zero -> seconds a request for it may take (hold, then answer)."""


@dataclass
class Result:
    check: str
    subject: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def add(self, check: str, subject: str, ok: bool, detail: str = "") -> None:
        self.results.append(Result(check, subject, ok, detail))

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    def table(self) -> str:
        widths = [max(len(r.check) for r in self.results), max(len(r.subject) for r in self.results)]
        lines = [f"{'check':<{widths[0]}}  {'subject':<{widths[1]}}  result  detail"]
        for r in self.results:
            lines.append(f"{r.check:<{widths[0]}}  {r.subject:<{widths[1]}}  {'pass' if r.ok else 'FAIL':<6}  {r.detail}")
        failed = sum(not r.ok for r in self.results)
        lines.append(f"{len(self.results) - failed} passed, {failed} failed")
        return "\n".join(lines)


def target_from(outputs: dict, config, connect_to: Optional[tuple[str, int]], ca_file: Optional[str],
                plan=None) -> Target:
    """The deployment as a client sees it: URL and keys from the stack's outputs, grants and limits from
    its config, and from its plan (`plan`) how long a request for a model at rest may wait."""
    url = urlsplit(outputs["url"])
    served = dict(outputs.get("servedModels") or {m.name: m.served_name for m in config.models})
    keys = outputs["apiKeys"]
    tenants = []
    for tenant in config.gateway.tenants:
        granted = set(served.values()) if "*" in tenant.models else {served[name] for name in tenant.models}
        tenants.append(Tenant(tenant.name, keys[tenant.name], frozenset(granted), tenant.requests_per_minute))
    resting = {}
    if plan is not None:
        from components.core.gateway.resting import route_timeout_seconds

        resting = {served[name]: route_timeout_seconds(config.gateway, model.cold_start)
                   for name, model in plan.models.items() if model.cold_start is not None and name in served}
    return Target(url.hostname or "", url.port or 443, tenants, sorted(set(served.values())), connect_to, ca_file, resting)


class _Connection(http.client.HTTPSConnection):
    """HTTPS to `host` (SNI, certificate check, Host header) at another address: a port-forward, a load balancer IP."""

    def __init__(self, target: Target, context: ssl.SSLContext, timeout: float):
        super().__init__(target.host, target.port, context=context, timeout=timeout)
        self._address = target.connect_to or (target.host, target.port)

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


COLD_START_HEADER = "X-KEDA-HTTP-Cold-Start"
"""Set by KEDA's interceptor on a response it passed on: "true" when it held the request for a wake."""


class Client:
    def __init__(self, target: Target, timeout: float = 120):
        self.target = target
        self.context = ssl.create_default_context(cafile=target.ca_file)
        self.timeout = timeout
        self.cold_start: Optional[str] = None
        """The last stream's X-KEDA-HTTP-Cold-Start header, if any."""

    def request(self, method: str, path: str, key: str, body: Optional[dict] = None) -> tuple[int, bytes]:
        connection = _Connection(self.target, self.context, self.timeout)
        try:
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stream(self, key: str, model: str, timeout: Optional[float] = None) -> tuple[int, int, Optional[float], float, bool]:
        """A streamed chat completion: status, content chunks, time to the first, total time, [DONE] seen."""
        connection = _Connection(self.target, self.context, timeout or self.timeout)
        body = {"model": model, "stream": True, "max_tokens": 32, "messages": [{"role": "user", "content": PROMPT}]}
        start = time.monotonic()
        first, chunks, done = None, 0, False
        try:
            connection.request("POST", "/v1/chat/completions", body=json.dumps(body),
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            response = connection.getresponse()
            self.cold_start = response.getheader(COLD_START_HEADER)
            if response.status != 200:
                response.read()
                return response.status, 0, None, time.monotonic() - start, False
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                delta = (json.loads(data).get("choices") or [{}])[0].get("delta") or {}
                if delta.get("content"):
                    chunks += 1
                    first = first if first is not None else time.monotonic() - start
            return 200, chunks, first, time.monotonic() - start, done
        finally:
            connection.close()


def check_certificate(client: Client, report: Report) -> bool:
    target = client.target
    try:
        with socket.create_connection(target.connect_to or (target.host, target.port), timeout=client.timeout) as sock:
            with client.context.wrap_socket(sock, server_hostname=target.host) as tls:
                cert = tls.getpeercert() or {}
        report.add("certificate", target.host, True, f"valid until {cert.get('notAfter', '?')}")
        return True
    except (ssl.SSLError, ssl.CertificateError) as err:
        report.add("certificate", target.host, False, f"{getattr(err, 'verify_message', None) or err}")
    except OSError as err:
        report.add("certificate", target.host, False, f"cannot connect: {err}")
    return False


def check_models_lists(client: Client, report: Report) -> None:
    for tenant in client.target.tenants:
        status, body = client.request("GET", "/v1/models", tenant.key)
        if status != 200:
            report.add("/v1/models", tenant.name, False, f"HTTP {status}")
            continue
        listed = {entry.get("id") for entry in json.loads(body).get("data", [])}
        extra, missing = sorted(listed - tenant.models), sorted(tenant.models - listed)
        detail = "; ".join(part for part in (f"not granted but listed: {', '.join(extra)}" if extra else "",
                                             f"granted but missing: {', '.join(missing)}" if missing else "") if part)
        report.add("/v1/models", tenant.name, not extra and not missing, detail or f"{len(listed)} granted model(s)")


def check_streams(client: Client, report: Report) -> None:
    for model in client.target.models:
        tenant = next((t for t in client.target.tenants if model in t.models), None)
        if tenant is None:
            report.add("stream", model, False, "no tenant is granted it")
            continue
        status, chunks, first, total, done = client.stream(tenant.key, model)
        if status != 200 or chunks == 0:
            report.add("stream", model, False, f"HTTP {status}, {chunks} token chunk(s)" + ("" if done else ", no [DONE]"))
            continue
        rate = chunks / max(total - (first or 0), 1e-6)
        report.add("stream", model, done, f"first token {first:.2f}s, {rate:.1f} tokens/s" + ("" if done else ", no [DONE]"))


def check_wakes(client: Client, report: Report) -> None:
    """One streamed request to each model that rests at zero, allowed the whole hold and answer."""
    for model, allowed_seconds in sorted(client.target.resting.items()):
        tenant = next((t for t in client.target.tenants if model in t.models), None)
        if tenant is None:
            report.add("scale from zero", model, False, "no tenant is granted it")
            continue
        status, chunks, first, total, done = client.stream(tenant.key, model, timeout=allowed_seconds)
        if status != 200 or chunks == 0:
            report.add("scale from zero", model, False, f"HTTP {status} after {total:.0f}s, {chunks} token chunk(s)")
            continue
        woke = {"true": "woke from zero", "false": "was already up: run again after its idle window to see a wake"}.get(
            (client.cold_start or "").lower(), f"no {COLD_START_HEADER} header: not through KEDA's interceptor?")
        report.add("scale from zero", model, done, f"first token after {first:.1f}s; {woke}")


def check_refusals(client: Client, report: Report) -> None:
    status, _ = client.request("GET", "/v1/models", "sk-not-a-key-of-this-gateway")
    report.add("wrong key", "/v1/models", status == 401, f"HTTP {status} (want 401)")
    everything = set(client.target.models)
    for tenant in client.target.tenants:
        ungranted = sorted(everything - tenant.models)
        if not ungranted:
            continue
        body = {"model": ungranted[0], "max_tokens": 1, "messages": [{"role": "user", "content": PROMPT}]}
        status, _ = client.request("POST", "/v1/chat/completions", tenant.key, body)
        report.add("ungranted model", f"{tenant.name} -> {ungranted[0]}", status == 403, f"HTTP {status} (want 403)")


def check_burst(client: Client, report: Report, burst_limit: int) -> None:
    limited = sorted((t for t in client.target.tenants if t.requests_per_minute and t.models),
                     key=lambda t: t.requests_per_minute or 0)
    if not limited or burst_limit == 0:
        return
    tenant = limited[0]
    assert tenant.requests_per_minute is not None
    if tenant.requests_per_minute + 1 > burst_limit:
        report.add("burst", tenant.name, True, f"skipped: its limit ({tenant.requests_per_minute}/min) is above --burst-limit")
        return
    body = {"model": sorted(tenant.models)[0], "max_tokens": 1, "messages": [{"role": "user", "content": PROMPT}]}
    count = tenant.requests_per_minute + 1
    # Concurrent, so the burst lands well within the limit's minute however slow each answer is.
    with ThreadPoolExecutor(max_workers=min(BURST_CONCURRENCY, count)) as pool:
        statuses = list(pool.map(lambda _: client.request("POST", "/v1/chat/completions", tenant.key, body)[0], range(count)))
    refused = statuses.count(429)
    report.add("burst", tenant.name, refused > 0,
               f"{refused} of {count} requests answered 429 ({tenant.requests_per_minute}/min)" if refused
               else f"no 429 in {count} requests ({tenant.requests_per_minute}/min)")


def verify(target: Target, burst_limit: int = 200, timeout: float = 120) -> Report:
    report = Report()
    client = Client(target, timeout)
    if check_certificate(client, report):
        check_models_lists(client, report)
        check_wakes(client, report)
        check_streams(client, report)
        check_refusals(client, report)
        check_burst(client, report, burst_limit)
    return report


def stack_outputs(stack: str) -> dict:
    proc = subprocess.run(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"verify: `pulumi stack output --stack {stack}` failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    from components.core.errors import ConfigError
    from tools.plan import load_stack

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--stack-file", type=Path, help="default: Pulumi.<stack>.yaml")
    parser.add_argument("--outputs", type=Path, help="the stack's outputs as `pulumi stack output --json --show-secrets` prints them")
    parser.add_argument("--connect-to", metavar="ADDRESS:PORT", help="reach the gateway here (a port-forward), keeping its host name")
    parser.add_argument("--ca", help="a CA bundle to trust (the dev stack's: see the output howToTrustTheCa)")
    parser.add_argument("--burst-limit", type=int, default=200, help="most requests the 429 check may send (0: skip it)")
    args = parser.parse_args(argv)
    try:
        stack = load_stack(args.stack, args.stack_file)
    except ConfigError as err:
        print(f"stack {args.stack}: {err}", file=sys.stderr)
        return 2
    outputs = json.loads(args.outputs.read_text()) if args.outputs else stack_outputs(args.stack)
    connect_to = None
    if args.connect_to:
        address, _, port = args.connect_to.rpartition(":")
        connect_to = (address, int(port))
    report = verify(target_from(outputs, stack.config, connect_to, args.ca, stack.plan), args.burst_limit)
    print(report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
