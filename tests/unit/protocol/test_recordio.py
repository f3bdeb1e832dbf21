from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.protocol.recordio import (
    DEFAULT_MAX_FRAME_BYTES,
    RecordIODecoder,
    RecordIOError,
    encode_record,
)


def feed_in_chunks(decoder: RecordIODecoder, stream: bytes, cuts: list[int]) -> list[bytes]:
    frames: list[bytes] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(stream)]:
        frames += decoder.feed(stream[start:cut])
        start = cut
    return frames


def test_encode_record_writes_decimal_length_newline_payload() -> None:
    assert encode_record(b'{"type":"HEARTBEAT"}') == b'20\n{"type":"HEARTBEAT"}'
    assert encode_record(b"") == b"0\n"


@given(
    payloads=st.lists(st.binary(max_size=300), max_size=20),
    data=st.data(),
)
def test_any_split_of_a_stream_yields_the_same_frames(
    payloads: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(encode_record(payload) for payload in payloads)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=30))
    decoder = RecordIODecoder()

    assert feed_in_chunks(decoder, stream, cuts) == payloads
    assert not decoder.has_partial_frame
    decoder.finish()


def test_a_frame_is_returned_only_once_complete() -> None:
    decoder = RecordIODecoder()
    assert decoder.feed(b"1") == []
    assert decoder.has_partial_frame  # part of a length prefix
    assert decoder.feed(b"1\nhello") == []
    assert decoder.has_partial_frame  # inside the body
    assert decoder.feed(b" world3\nabc") == [b"hello world", b"abc"]
    assert not decoder.has_partial_frame


def test_a_prefix_without_body_yet_counts_as_partial() -> None:
    decoder = RecordIODecoder()
    assert decoder.feed(b"5\n") == []
    assert decoder.has_partial_frame
    assert decoder.feed(b"12345") == [b"12345"]


def test_empty_frames_are_frames() -> None:
    assert RecordIODecoder().feed(b"0\n0\n1\nx") == [b"", b"", b"x"]


def test_bytearray_and_memoryview_chunks_are_accepted() -> None:
    decoder = RecordIODecoder()
    assert decoder.feed(bytearray(b"3\nab")) == []
    assert decoder.feed(memoryview(b"c2\nde")) == [b"abc", b"de"]


def test_a_large_frame_in_small_chunks() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    stream = encode_record(payload)
    decoder = RecordIODecoder()
    frames: list[bytes] = []
    for start in range(0, len(stream), 4096):
        frames += decoder.feed(stream[start : start + 4096])
    assert frames == [payload]


@pytest.mark.parametrize(
    "stream", [b"abc\n", b"12a\n", b"-5\nhello", b"+5\nhello", b" 5\nhello", b"1_0\n", b"\n"]
)
def test_a_prefix_that_is_not_a_decimal_length_is_refused(stream: bytes) -> None:
    with pytest.raises(RecordIOError, match="length prefix"):
        RecordIODecoder().feed(stream)


def test_garbage_without_newline_is_refused_before_the_newline_arrives() -> None:
    with pytest.raises(RecordIOError, match="not a decimal number"):
        RecordIODecoder().feed(b"<html>")


def test_a_prefix_longer_than_the_cap_allows_is_refused() -> None:
    decoder = RecordIODecoder(max_frame_bytes=100)
    with pytest.raises(RecordIOError, match="too long: more than 3 digits"):
        decoder.feed(b"0001")  # no newline needed to know


def test_an_oversized_frame_is_refused_from_its_prefix_alone() -> None:
    decoder = RecordIODecoder(max_frame_bytes=1000)
    with pytest.raises(RecordIOError) as caught:
        decoder.feed(b"2000\n")
    assert "2000 bytes" in str(caught.value)
    assert "cap of 1000 bytes" in str(caught.value)


def test_the_default_cap_is_16_mib() -> None:
    assert DEFAULT_MAX_FRAME_BYTES == 16 * 1024 * 1024
    decoder = RecordIODecoder()
    assert decoder.feed(b"%d\n" % DEFAULT_MAX_FRAME_BYTES) == []
    with pytest.raises(RecordIOError, match="exceeds the cap"):
        RecordIODecoder().feed(b"%d\n" % (DEFAULT_MAX_FRAME_BYTES + 1))


def test_a_failed_decoder_refuses_more_input() -> None:
    decoder = RecordIODecoder()
    with pytest.raises(RecordIOError):
        decoder.feed(b"x\n")
    with pytest.raises(RecordIOError, match="already failed"):
        decoder.feed(b"1\na")


def test_recordio_error_is_a_value_error() -> None:
    assert issubclass(RecordIOError, ValueError)


@given(payload=st.binary(min_size=1, max_size=200), data=st.data())
def test_a_stream_cut_inside_a_frame_is_reported(payload: bytes, data: st.DataObject) -> None:
    stream = encode_record(payload)
    cut = data.draw(st.integers(1, len(stream) - 1))
    decoder = RecordIODecoder()

    assert decoder.feed(stream[:cut]) == []
    assert decoder.has_partial_frame
    with pytest.raises(RecordIOError, match="stream ended inside"):
        decoder.finish()


def test_a_cut_frame_reports_how_much_arrived() -> None:
    decoder = RecordIODecoder()
    decoder.feed(b"10\nabcd")
    with pytest.raises(RecordIOError, match="got 4 of 10 bytes"):
        decoder.finish()


@pytest.mark.parametrize("cap", [0, -1])
def test_the_cap_must_be_positive(cap: int) -> None:
    with pytest.raises(ValueError, match="max_frame_bytes"):
        RecordIODecoder(max_frame_bytes=cap)


@pytest.mark.parametrize("cap", ["10", 1.5, True])
def test_the_cap_must_be_an_int(cap: object) -> None:
    with pytest.raises(TypeError, match="max_frame_bytes"):
        RecordIODecoder(max_frame_bytes=cap)  # type: ignore[arg-type]
