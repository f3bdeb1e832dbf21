"""A loopback TCP proxy a test can cut and restore, to make a peer unreachable on demand.

Put a :class:`CuttableProxy` between a process and the address it talks to. While cut, every
open connection through it is reset and each new one is accepted and reset at once (counted in
``refused``); once restored, connections pass again. What clients sent through each forwarded
connection is kept in ``sent``, for checks straight off the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
_CONTROL_TIMEOUT = 10.0


@dataclass
class ForwardedConnection:
    """The bytes one connection carried: ``sent`` by the client, ``received`` from the target."""

    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)


class CuttableProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port`` from a thread of its own.

    With ``tls`` (a server context) it terminates TLS in front of a plain target.
    Use it as a context manager, or call :meth:`start` and :meth:`close`. ``refused`` counts the
    connections reset while cut; ``connections`` lists the forwarded ones in the order they were
    accepted (read their bytes once the traffic of interest is over).
    """

    def __init__(
        self, target_host: str, target_port: int, *, tls: ssl.SSLContext | None = None
    ) -> None:
        if not target_host.startswith("127."):
            raise ValueError(f"target_host: loopback only, got {target_host!r}")
        if not 0 < target_port < 65536:
            raise ValueError(f"target_port: {target_port} is not a TCP port")
        self.target = (target_host, target_port)
        self._tls = tls
        self.port = 0
        self.refused = 0
        self.connections: list[ForwardedConnection] = []
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cuttable-proxy")
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> CuttableProxy:
        """Start forwarding on a free loopback port."""
        self._thread.start()
        self._control(self._listen())
        return self

    def cut(self) -> None:
        """Reset every open connection, and each new one until :meth:`restore`."""
        self._control(self._set_cut(True))

    def restore(self) -> None:
        """Forward new connections again."""
        self._control(self._set_cut(False))

    def close(self) -> None:
        """Reset every connection and stop the proxy's thread; idempotent."""
        if not self._thread.is_alive():
            return
        self._control(self._shut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_CONTROL_TIMEOUT)
        self._loop.close()

    def __enter__(self) -> CuttableProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _control(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_CONTROL_TIMEOUT)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", 0, ssl=self._tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_cut(self, cut: bool) -> None:
        self._cut = cut
        if cut:
            self._reset_all()

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._reset_all()

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _forward(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        if self._cut:
            self._refuse(client_out)
            return
        try:
            target_in, target_out = await asyncio.open_connection(*self.target)
        except OSError:
            client_out.transport.abort()
            return
        if self._cut:  # cut while connecting
            target_out.transport.abort()
            self._refuse(client_out)
            return
        connection = ForwardedConnection()
        self.connections.append(connection)
        self._writers.update((client_out, target_out))
        await asyncio.gather(
            _pump(client_in, target_out, connection.sent),
            _pump(target_in, client_out, connection.received),
        )
        self._writers.difference_update((client_out, target_out))

    def _refuse(self, client_out: asyncio.StreamWriter) -> None:
        self.refused += 1
        client_out.transport.abort()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, copy: bytearray) -> None:
    """Copy bytes (also into ``copy``) until either side ends, then close the sink."""
    with contextlib.suppress(OSError):
        while data := await source.read(65536):
            copy += data
            sink.write(data)
            await sink.drain()
    sink.close()
