"""RecordIO framing of Mesos event streams: each record is ``<decimal length>\\n<payload>``.

Feed a :class:`RecordIODecoder` the chunks read from a subscription response and it returns the
complete frames; :func:`encode_record` frames one payload (for tests and fake peers).
"""

from __future__ import annotations

DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024


class RecordIOError(ValueError):
    """The stream is not valid RecordIO (bad length prefix, frame over the cap, cut frame)."""


def encode_record(payload: bytes) -> bytes:
    """Frame one payload as a RecordIO record."""
    return b"%d\n%s" % (len(payload), payload)


class RecordIODecoder:
    """Incremental RecordIO decoder with a cap on frame size.

    Use one per stream. ``feed`` returns the frames completed by each chunk; a frame larger than
    ``max_frame_bytes`` is refused as soon as its length prefix is read, before its bytes are
    buffered. After an error the decoder refuses further input: open a new stream.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        if isinstance(max_frame_bytes, bool) or not isinstance(max_frame_bytes, int):
            raise TypeError(f"max_frame_bytes must be an int, got {max_frame_bytes!r}")
        if max_frame_bytes < 1:
            raise ValueError(f"max_frame_bytes must be at least 1, got {max_frame_bytes}")
        self.max_frame_bytes = max_frame_bytes
        self._max_prefix_digits = len(str(max_frame_bytes))
        self._buffer = bytearray()
        self._frame_length: int | None = None  # set while the body of a frame is awaited
        self._error: RecordIOError | None = None

    @property
    def has_partial_frame(self) -> bool:
        """Whether bytes of an incomplete frame (prefix or body) are waiting for more input."""
        return self._frame_length is not None or bool(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add a chunk of the stream and return every frame it completes, in order."""
        if self._error is not None:
            raise RecordIOError(f"stream already failed: {self._error}")
        if not isinstance(data, bytes):
            data = bytes(data)
        frames: list[bytes] = []
        start = 0
        if self._buffer:
            if self._frame_length is None:  # a cut length prefix: a few bytes to rejoin
                data = bytes(self._buffer) + data
            else:  # the rest of a frame's body comes first
                missing = self._frame_length - len(self._buffer)
                if len(data) < missing:
                    self._buffer += data
                    return frames
                self._buffer += memoryview(data)[:missing]
                frames.append(bytes(self._buffer))
                self._frame_length = None
                start = missing
            self._buffer.clear()
        size = len(data)
        length = self._frame_length
        prefix_window = self._max_prefix_digits + 1
        cap = self.max_frame_bytes
        try:
            while True:
                if length is None:
                    newline = data.find(b"\n", start, start + prefix_window)
                    if newline < 0:
                        self._check_prefix(data[start : start + prefix_window], complete=False)
                        break
                    prefix = data[start:newline]
                    length = int(prefix) if prefix.isdigit() else -1
                    if not 0 <= length <= cap:
                        self._check_prefix(prefix, complete=True)
                    start = newline + 1
                end = start + length
                if end > size:
                    break
                frames.append(data[start:end])
                length = None
                start = end
        except RecordIOError as error:
            self._error = error
            raise
        finally:
            self._frame_length = length
        if start < size:
            self._buffer += memoryview(data)[start:]
        return frames

    def finish(self) -> None:
        """Declare the end of the stream; raises :class:`RecordIOError` if it cut a frame."""
        if self._frame_length is not None:
            raise RecordIOError(
                f"stream ended inside a frame: got {len(self._buffer)} of "
                f"{self._frame_length} bytes"
            )
        if self._buffer:
            raise RecordIOError(
                f"stream ended inside a length prefix: {bytes(self._buffer[:20])!r}"
            )

    def _check_prefix(self, prefix: bytes, *, complete: bool) -> None:
        """Raise the error a bad length prefix (or the part read so far) deserves."""
        if not prefix and complete:
            raise RecordIOError("length prefix is empty")
        if prefix and not prefix.isdigit():
            raise RecordIOError(f"length prefix is not a decimal number: {prefix[:20]!r}")
        if len(prefix) > self._max_prefix_digits:
            raise RecordIOError(
                f"length prefix too long: more than {self._max_prefix_digits} digits "
                f"(frame cap {self.max_frame_bytes} bytes)"
            )
        if complete:
            raise RecordIOError(
                f"frame of {int(prefix)} bytes exceeds the cap of {self.max_frame_bytes} bytes"
            )
