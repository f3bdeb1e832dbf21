"""A small blocking HTTP/1.1 client on the standard library: short calls and long streams.

:class:`HttpClient` talks to one origin (``http://host:port`` or ``https://host:port``):

- :meth:`HttpClient.request` sends a request and reads the whole answer;
- :meth:`HttpClient.stream` returns once the answer's head arrived; iterate
  :meth:`HttpResponse.chunks` for the body as it comes (chunked transfer coding included), as a
  Mesos SUBSCRIBE needs. :meth:`HttpResponse.close` from another thread ends a blocked read.

Connections are kept alive and reused, one request at a time each; a kept connection the peer
closed meanwhile is replaced once, transparently. TLS comes from an ``ssl.SSLContext`` (``ssl``
is imported only for https). An ``Authorization`` value (:func:`basic_auth`,
:func:`bearer_auth`) rides on every request. Every failure raises :class:`HttpError`
(:class:`HttpTimeout` when a timeout ran out). It is thread-safe; it does not follow redirects.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator, Mapping

from frameworkkit.validation import number

from .secret import Secret

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    import ssl

__all__ = [
    "HttpClient",
    "HttpError",
    "HttpResponse",
    "HttpTimeout",
    "basic_auth",
    "bearer_auth",
    "connect_host",
    "encode_request",
    "parse_head",
    "split_url",
]

MAX_LINE_BYTES = 65536
MAX_HEADERS = 100
READ_BYTES = 65536
MAX_IDLE_CONNECTIONS = 4
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_NO_BODY_STATUSES = frozenset({204, 304})
_CONTROL = frozenset("\r\n")  # what would end a header line early


class HttpError(Exception):
    """A request failed: the peer was unreachable, closed early, or did not speak HTTP/1.1."""


class HttpTimeout(HttpError):
    """A connect or read timeout ran out."""


def basic_auth(user: str, password: Secret) -> Secret:
    """The ``Authorization`` value for HTTP basic auth."""
    if not isinstance(user, str) or not user:
        raise ValueError(f"user: expected a non-empty str, got {user!r}")
    if not isinstance(password, Secret):
        raise TypeError("password: wrap the value in Secret(...) so it stays out of logs")
    pair = f"{user}:{password.reveal()}".encode()
    return Secret("Basic " + base64.b64encode(pair).decode("ascii"))


def bearer_auth(token: Secret) -> Secret:
    """The ``Authorization`` value for a bearer token."""
    if not isinstance(token, Secret):
        raise TypeError("token: wrap the value in Secret(...) so it stays out of logs")
    return Secret(f"Bearer {token.reveal()}")


class _Connection:
    """One socket, read through a buffer."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file = sock.makefile("rb")
        self.reused = False

    def set_timeout(self, seconds: float | None) -> None:
        self.sock.settimeout(seconds)

    def readline(self) -> bytes:
        line = self.file.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise HttpError(f"a line of the response is longer than {MAX_LINE_BYTES} bytes")
        return line

    def read_exactly(self, size: int, what: str) -> bytes:
        data = self.file.read(size)
        if len(data) < size:
            raise HttpError(f"the connection closed inside {what}")
        return data

    def close(self) -> None:
        """Close; safe from another thread while a read is blocked (the read then ends)."""
        with contextlib.suppress(OSError):  # not connected any more
            self.sock.shutdown(socket.SHUT_RDWR)
        self.file.close()
        self.sock.close()


class HttpResponse:
    """An answer whose head has arrived; the body comes from :meth:`chunks` or :meth:`read`.

    ``headers`` maps lower-case names to values (repeated headers joined by ``", "``). Once the
    body has been read to its end the connection serves the client's next request.
    """

    def __init__(
        self,
        status: int,
        reason: str,
        headers: dict[str, str],
        chunks: Iterator[bytes],
        connection: _Connection,
        release: Callable[[_Connection], None],
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._chunks = chunks
        self._connection: _Connection | None = connection
        self._release = release
        self._content: bytes | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.reason}>"

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes as they arrive; raises :class:`HttpError` if it breaks off."""
        if self._content is not None:
            yield self._content  # read already
            return
        try:
            yield from self._chunks
        except (HttpError, OSError, ValueError) as exc:
            closed_on_purpose = self._closed  # maybe by another thread
            self.close()
            if closed_on_purpose:
                return
            raise _http_error(exc, "reading the answer's body") from exc
        connection, self._connection = self._connection, None
        if connection is not None and not self._closed:
            self._release(connection)

    def read(self) -> bytes:
        """The whole body (read once, then kept)."""
        if self._content is None:
            self._content = b"".join(self.chunks())
        return self._content

    def set_timeout(self, seconds: float | None) -> None:
        """Bound each later read of the body (None: wait as long as it takes)."""
        if self._connection is not None:
            self._connection.set_timeout(seconds)

    def close(self) -> None:
        """Stop reading and drop the connection (any thread); later reads end the body."""
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class HttpClient:
    """HTTP/1.1 to one origin, e.g. ``http://127.0.0.1:5051``; see the module doc.

    ``timeout`` bounds connecting and each read (seconds; None: no limit); ``connect_timeout``
    overrides it for connecting. ``authorization`` is sent as the ``Authorization`` header of
    every request.
    """

    def __init__(
        self,
        origin: str,
        *,
        authorization: Secret | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = None,
    ) -> None:
        if not isinstance(origin, str):
            raise TypeError(f"origin: expected str, got {type(origin).__name__}")
        try:
            scheme, address, port, target = split_url(origin)
        except ValueError:
            target = ""
        if target != "/":
            raise ValueError(f"origin: expected http(s)://host:port, got {origin!r}")
        if authorization is not None and not isinstance(authorization, Secret):
            raise TypeError("authorization: wrap the value in Secret(...) so it stays out of logs")
        self.origin = f"{scheme}://{address}"
        self._host = connect_host(address)
        self._port = port
        self._host_header = address
        self._authorization = authorization
        self._timeout = None if timeout is None else number("timeout", timeout, above=True)
        self._connect_timeout = (
            self._timeout
            if connect_timeout is None
            else number("connect_timeout", connect_timeout, above=True)
        )
        self._ssl_context = ssl_context
        if scheme == "https" and ssl_context is None:
            import ssl

            self._ssl_context = ssl.create_default_context()
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"HttpClient({self.origin!r})"

    def request(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send a request and read the whole answer (``response.read()`` then returns it)."""
        response = self.stream(method, target, body, headers)
        response.read()
        return response

    def stream(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send a request and return as soon as the answer's head arrived; read the body from
        the response, then let it end or :meth:`~HttpResponse.close` it."""
        request = self._encode(method, target, body, headers or {})
        connection = self._take()
        try:
            try:
                status, reason, response_headers = self._exchange(connection, request)
            except HttpError as exc:
                if not connection.reused or isinstance(exc, HttpTimeout):
                    raise
                connection.close()  # the peer closed a kept connection: once more, anew
                connection = self._connect()
                status, reason, response_headers = self._exchange(connection, request)
            chunks, reusable = self._body(method, status, response_headers, connection)
        except BaseException:
            connection.close()
            raise
        release = self._give_back if reusable else _Connection.close
        return HttpResponse(status, reason, response_headers, chunks, connection, release)

    def close(self) -> None:
        """Close the idle connections; answers still being read close theirs when done. The
        client can still be used: it then opens new connections and keeps none."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _encode(self, method: str, target: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        if self._authorization is not None:
            headers = {"Authorization": self._authorization.reveal(), **headers}
        return encode_request(method, target, self._host_header, headers, body)

    def _take(self) -> _Connection:
        with self._lock:
            if self._idle:
                connection = self._idle.pop()
                connection.reused = True
                return connection
        return self._connect()

    def _connect(self) -> _Connection:
        try:
            sock = socket.create_connection((self._host, self._port), self._connect_timeout)
        except OSError as exc:
            raise _http_error(exc, f"connecting to {self.origin}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(sock, server_hostname=self._host)
        except OSError as exc:
            sock.close()
            raise _http_error(exc, f"starting TLS with {self.origin}") from exc
        return _Connection(sock)

    def _give_back(self, connection: _Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(connection)
                return
        connection.close()

    def _exchange(self, connection: _Connection, request: bytes) -> tuple[int, str, dict[str, str]]:
        """Send the request and read the answer's head (informational answers skipped)."""
        try:
            connection.set_timeout(self._timeout)
            connection.sock.sendall(request)
            while True:
                status, reason, headers = _read_head(connection)
                if not 100 <= status < 200:
                    return status, reason, headers
        except (OSError, ValueError) as exc:
            raise _http_error(exc, f"talking to {self.origin}") from exc

    def _body(
        self, method: str, status: int, headers: Mapping[str, str], connection: _Connection
    ) -> tuple[Iterator[bytes], bool]:
        """The body's chunks, and whether the connection can serve another request after."""
        reusable = "close" not in headers.get("connection", "").lower()
        if method == "HEAD" or status in _NO_BODY_STATUSES:
            return iter(()), reusable
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return _chunked(connection), reusable
        length = headers.get("content-length")
        if length is None:
            return _until_close(connection), False
        if not length.isascii() or not length.isdigit():
            raise HttpError(f"bad Content-Length from {self.origin}: {length!r}")
        return _sized(connection, int(length)), reusable


def split_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, "host:port", port, target)`` of ``http(s)://host:port[/path[?query]]``; the
    target is ``/`` when the URL has no path."""
    scheme, separator, rest = url.partition("://")
    address, _, path = rest.partition("/")
    host, colon, port = address.rpartition(":")
    if not (
        scheme in ("http", "https")
        and separator
        and host
        and "@" not in address
        and colon
        and port.isascii()
        and port.isdigit()
        and 0 < int(port) < 65536
    ):
        raise ValueError(f"url: expected http(s)://host:port[/path], got {url!r}")
    return scheme, address, int(port), "/" + path


def connect_host(address: str) -> str:
    """The host to connect to, of a ``host:port`` address (an IPv6 host loses its brackets)."""
    return address.rpartition(":")[0].strip("[]")


def encode_request(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes
) -> bytes:
    """A request's bytes: its line, ``Host``, ``headers``, ``Content-Length`` and ``body``."""
    if not method.isascii() or not method.isalpha() or not method.isupper():
        raise ValueError(f"method: expected an upper-case HTTP method, got {method!r}")
    if not target.startswith("/") or any(c in target for c in " \r\n"):
        raise ValueError(f"target: expected a path starting with '/', got {target!r}")
    if not isinstance(body, bytes):
        raise TypeError(f"body: expected bytes, got {type(body).__name__}")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        if not name or ":" in name or _CONTROL.intersection(name) or _CONTROL.intersection(value):
            raise ValueError(f"headers: {name!r} is not a valid header")
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1") + body


def parse_head(lines: list[bytes]) -> tuple[int, str, dict[str, str]]:
    """Status, reason and headers (lower-case names, repeats joined by ``", "``) of an answer's
    head: its status line and header lines, without the blank line that ends them. An HTTP/1.0
    answer without keep-alive gets ``connection: close``."""
    version, _, rest = lines[0].rstrip(b"\r\n").partition(b" ")
    code, _, reason = rest.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise HttpError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    if len(lines) > MAX_HEADERS + 1:
        raise HttpError(f"more than {MAX_HEADERS} headers in the answer")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(f"not a header line: {line[:80]!r}")
        key, text = name.lower(), value.strip()
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    if version == b"HTTP/1.0" and "keep-alive" not in headers.get("connection", ""):
        headers["connection"] = "close"
    return int(code), reason.decode("latin-1"), headers


def _read_head(connection: _Connection) -> tuple[int, str, dict[str, str]]:
    line = connection.readline()
    if not line:
        raise HttpError("the connection closed before an answer")
    lines = [line]
    while (line := connection.readline()) not in (b"\r\n", b"\n"):
        if not line:
            raise HttpError("the connection closed inside the answer's head")
        if len(lines) > MAX_HEADERS:
            raise HttpError(f"more than {MAX_HEADERS} headers in the answer")
        lines.append(line)
    return parse_head(lines)


def _chunked(connection: _Connection) -> Iterator[bytes]:
    while True:
        line = connection.readline()
        if not line:
            raise HttpError("the connection closed inside the chunked body")
        size_text = line.split(b";", 1)[0].strip()
        if not size_text or not _HEX_DIGITS.issuperset(size_text):
            raise HttpError(f"bad chunk size line: {size_text[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            while connection.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailer fields, unused
            return
        data = connection.read_exactly(size, "a chunk")
        if connection.readline() not in (b"\r\n", b"\n"):
            raise HttpError("a chunk did not end with CRLF")
        yield data


def _sized(connection: _Connection, length: int) -> Iterator[bytes]:
    while length > 0:
        data = connection.read_exactly(min(length, READ_BYTES), "the body")
        length -= len(data)
        yield data


def _until_close(connection: _Connection) -> Iterator[bytes]:
    while data := connection.file.read1(READ_BYTES):
        yield data


def _http_error(exc: BaseException, doing: str) -> HttpError:
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, TimeoutError):
        return HttpTimeout(f"timed out {doing}")
    return HttpError(f"{doing}: {type(exc).__name__}: {exc}")
