"""The topology's input: ``n`` sentences, the same for the same seed wherever they are made."""

from __future__ import annotations

import random

VOCABULARY = (
    "river stone lantern harbor meadow copper violet thunder orchard pebble falcon willow "
    "ember glacier saddle thistle compass marble hollow juniper quarry beacon tundra maple "
    "cobalt ferry sparrow canyon velvet anchor bramble cinder dune grove lagoon mantle "
    "nectar oyster prairie quill rafter summit timber umber vessel wharf yarrow zephyr"
)
WORDS = tuple(VOCABULARY.split())


def sentence(seed: int, index: int) -> str:
    """Sentence ``index`` of the stream seeded ``seed``: three to nine lower-case words."""
    rng = random.Random(seed * 1_000_003 + index)
    return " ".join(rng.choices(WORDS, k=rng.randint(3, 9)))


def sentences(n: int, seed: int) -> list[str]:
    return [sentence(seed, index) for index in range(n)]
