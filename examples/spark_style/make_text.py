"""Write a text of at most N megabytes to count: made-up words with a Zipf-like frequency.

    python examples/spark_style/make_text.py --megabytes 4 book.txt

The same ``--seed`` always gives the same text.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Iterator, Sequence

SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "sh", "qu", "ng"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """``size`` distinct words of one to four syllables, short ones first."""
    words: dict[str, None] = {}
    while len(words) < size:
        syllables = min(1 + int(rng.expovariate(0.9)), 4)
        words["".join(rng.choices(SYLLABLES, k=syllables))] = None
    return sorted(words, key=len)


def lines(seed: int, vocabulary_size: int = 5000) -> Iterator[str]:
    """Endless lines of sentences; word ``k`` of the vocabulary is drawn with weight 1/k."""
    rng = random.Random(seed)
    words = vocabulary(rng, vocabulary_size)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    while True:
        chosen = rng.choices(words, cum_weights=weights, k=rng.randint(6, 16))
        sentence = " ".join(chosen).capitalize() + rng.choice([".", ".", ".", "?", "!"])
        yield sentence if rng.random() > 0.1 else f"{sentence} -- {rng.randint(1, 999)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", help="the file to write")
    parser.add_argument(
        "--megabytes", type=float, default=4.0, help="at most this size (default 4)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the text's seed (default 1)")
    args = parser.parse_args(argv)
    if args.megabytes <= 0:
        parser.error(f"--megabytes: more than 0, got {args.megabytes}")
    target, written = int(args.megabytes * (1 << 20)), 0
    with open(args.output, "wb") as out:
        for line in lines(args.seed):
            data = (line + "\n").encode()
            if written + len(data) > target:
                break
            out.write(data)
            written += len(data)
    print(f"wrote {written:,} bytes to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
