"""``[health]``: how a monitor learns that ghostwatch works (docs/setup.md, Monitoring).

Everything here is optional and off by default:

- ``ping_url``: a Healthchecks-style URL; a GET after each good cycle, ``<url>/fail``
  after a failing one. The URL is a secret (its path is the check's token): it is kept
  as ``SecretStr`` and only ever shown through ``redact_url``.
- ``metrics``: ``"HOST:PORT"`` of a Prometheus endpoint, loopback only unless
  ``metrics_allow_remote = true``.
- ``metrics_textfile``: a ``.prom`` file for node_exporter's textfile collector.

Rule: a plain-``http`` ping URL is allowed for a loopback host only (the token would
travel in the clear), as ``security = "none"`` is for mail servers.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationInfo, field_validator

from ghostwatch.adapters.net import is_loopback
from ghostwatch.config.types import ConfigPath, FrozenModel, PositiveDuration, problem

__all__ = ["HealthConfig", "parse_listen", "redact_url"]

_MAX_PING_TIMEOUT = timedelta(seconds=30)


def redact_url(url: str) -> str:
    """Return ``url`` fit for a log line: scheme, host and port, then at most the first
    four characters of its path (the check's token) followed by ``…``; no user info, no
    query. ``https://hc-ping.com/0f4c…`` for ``https://hc-ping.com/0f4c5f2e-...``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        netloc += f":{port}"
    path = parts.path.lstrip("/")
    shown = f"/{path[:4]}…" if path else "/"
    return f"{parts.scheme}://{netloc}{shown}"


def parse_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9187"`` / ``"[::1]:9187"`` / ``"localhost:9187"`` -> ``(host, port)``;
    raise ValueError with the reason otherwise."""
    host, sep, port_text = value.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"{value!r} is not HOST:PORT (like '127.0.0.1:9187')")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{value!r}: the port must be a number from 1 to 65535")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(
                f"{value!r}: give an IP address (like 127.0.0.1) or localhost"
            ) from None
    return host, int(port_text)


class HealthConfig(FrozenModel):
    """``[health]``; every key optional (docs/setup.md, Monitoring)."""

    ping_url: SecretStr | None = None
    ping_timeout: PositiveDuration = timedelta(seconds=5)
    metrics_allow_remote: bool = False  # before ``metrics``: its validator reads it
    metrics: str | None = None
    metrics_textfile: ConfigPath | None = None

    @field_validator("ping_url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise problem("expected an http(s) URL (like https://hc-ping.com/<uuid>)")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise problem("use https: plain http is only allowed for a loopback host")
        if parts.query or parts.fragment:
            raise problem("give the URL without ?query or #fragment (/fail is added to it)")
        return SecretStr(value.get_secret_value().strip().rstrip("/"))

    @field_validator("ping_timeout")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        if value > _MAX_PING_TIMEOUT:
            raise problem("at most 30s: a ping must never hold up the daemon")
        return value

    @field_validator("metrics_textfile")
    @classmethod
    def _prom_suffix(cls, value: object) -> object:
        if value is not None and not str(value).endswith(".prom"):
            raise problem("node_exporter reads only files ending in .prom")
        return value

    @field_validator("metrics")
    @classmethod
    def _listen(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            host, _port = parse_listen(value)
        except ValueError as exc:
            raise problem(str(exc)) from None
        if not is_loopback(host) and info.data.get("metrics_allow_remote") is not True:
            raise problem(
                f"{host} is not a loopback address and the endpoint has no authentication:"
                " set metrics_allow_remote = true to serve it there anyway"
            )
        return value

    def listen(self) -> tuple[str, int] | None:
        """``(host, port)`` of the Prometheus endpoint, or None when it is off."""
        return None if self.metrics is None else parse_listen(self.metrics)
