"""Connection settings shared by the master and agent clients: auth, TLS, timeouts, retries."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from frameworkkit.protocol.recordio import DEFAULT_MAX_FRAME_BYTES
from frameworkkit.validation import number, whole_number

from .backoff import BackoffPolicy
from .http1 import basic_auth
from .secret import Secret

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

__all__ = ["TransportOptions"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class TransportOptions:
    """How to reach Mesos: credentials, TLS, timeouts, redirect and retry bounds.

    HTTP basic auth is sent when `principal` and `secret` are both set. `tls=True` makes
    addresses given without a scheme (``host:port``, ZooKeeper entries) use https. TLS
    verification stays on unless `verify=False`; `ca_bundle` adds a CA file, `client_cert`
    and `client_key` present a client certificate. `subscribe_attempts=None` retries a
    subscription forever; calls give up after `call_attempts`. A call must be answered within
    `request_timeout` seconds; a kept connection whose oldest call waits that long is closed
    (its calls fail, and are retried on a new one).
    """

    principal: str | None = None
    secret: Secret | None = None
    tls: bool = False
    verify: bool = True
    ca_bundle: PathLike | None = None
    client_cert: PathLike | None = None
    client_key: PathLike | None = None
    connect_timeout: float = 10.0
    request_timeout: float = 30.0
    max_redirects: int = 5
    subscribe_attempts: int | None = None
    call_attempts: int = 3
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)

    def __post_init__(self) -> None:
        if self.principal is not None and (
            not isinstance(self.principal, str) or not self.principal
        ):
            raise ValueError(f"principal: expected a non-empty str, got {self.principal!r}")
        if self.secret is not None:
            if not isinstance(self.secret, Secret):
                raise TypeError("secret: wrap the value in Secret(...) so it stays out of logs")
            if self.principal is None:
                raise ValueError("secret: given without a principal")
        for name in ("ca_bundle", "client_cert", "client_key"):
            path = getattr(self, name)
            if path is not None and not os.path.isfile(path):
                raise ValueError(f"{name}: no such file: {os.fspath(path)!r}")
        if self.client_key is not None and self.client_cert is None:
            raise ValueError("client_key: given without a client_cert")
        number("connect_timeout", self.connect_timeout, above=True)
        number("request_timeout", self.request_timeout, above=True)
        whole_number("max_redirects", self.max_redirects, minimum=0)
        if self.subscribe_attempts is not None:
            whole_number("subscribe_attempts", self.subscribe_attempts, minimum=1)
        whole_number("call_attempts", self.call_attempts, minimum=1)
        whole_number("max_frame_bytes", self.max_frame_bytes, minimum=1)
        if not isinstance(self.backoff, BackoffPolicy):
            raise TypeError(f"backoff: expected BackoffPolicy, got {type(self.backoff).__name__}")

    @property
    def scheme(self) -> str:
        """The scheme for addresses that come without one."""
        return "https" if self.tls else "http"

    def authorization(self) -> Secret | None:
        """The ``Authorization`` header value of HTTP basic auth, if principal and secret are
        set."""
        if self.principal is None or self.secret is None:
            return None
        return basic_auth(self.principal, self.secret)

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context built from `verify`, `ca_bundle`, `client_cert`, `client_key`."""
        import ssl

        context = ssl.create_default_context(
            cafile=os.fspath(self.ca_bundle) if self.ca_bundle is not None else None
        )
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.client_cert is not None:
            context.load_cert_chain(
                os.fspath(self.client_cert),
                os.fspath(self.client_key) if self.client_key is not None else None,
            )
        return context
