from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.compat import decode_data, encode_data


@given(st.binary(max_size=512))
def test_decode_undoes_encode(data: bytes) -> None:
    text = encode_data(data)
    assert isinstance(text, str) and "\n" not in text
    assert decode_data(text) == data
    assert decode_data(text.encode("ascii")) == data


@given(st.text(max_size=200))
def test_text_is_encoded_as_utf8(text: str) -> None:
    assert decode_data(encode_data(text)) == text.encode("utf-8")


@given(st.binary(min_size=1, max_size=64))
def test_encoding_is_standard_base64(data: bytes) -> None:
    assert base64.b64decode(encode_data(data), validate=True) == data


@pytest.mark.parametrize("bad", ["not base64!", "abc", "YWJj\x00"])
def test_decode_refuses_what_is_not_base64(bad: str) -> None:
    with pytest.raises(ValueError, match="data"):
        decode_data(bad)


@pytest.mark.parametrize("bad", [None, 42, ["a"]])
def test_wrong_types_name_the_argument(bad: object) -> None:
    with pytest.raises(TypeError, match="data"):
        encode_data(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="data"):
        decode_data(bad)  # type: ignore[arg-type]
