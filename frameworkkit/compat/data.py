"""Base64 helpers for the ``data`` fields of Mesos messages, as pymesos users call them."""

from __future__ import annotations

import base64
import binascii

__all__ = ["decode_base64", "decode_data", "encode_data"]


def encode_data(data: bytes | bytearray | memoryview | str) -> str:
    """Base64 text for a ``data`` field (``TaskInfo.data``, framework messages).

    Text is encoded as UTF-8 first, so ``encode_data("hello")`` works as in pymesos examples.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data: expected bytes or str, got {type(data).__name__}")
    return base64.b64encode(data).decode("ascii")


def decode_data(data: str | bytes) -> bytes:
    """The bytes behind a base64 ``data`` field as Mesos sends it (e.g. ``status["data"]``)."""
    return decode_base64("data", data)


def decode_base64(field: str, value: object) -> bytes:
    """Strictly decode base64 text (str or ASCII bytes); errors name `field`."""
    if not isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{field}: expected base64 text, got {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{field}: not valid base64 text: {exc}") from exc
