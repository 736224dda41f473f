"""What a credential looks like, by its name or by its value, so that none is written into a manifest.

A rendered manifest lands in Git, in Pulumi state and in every diff and pull-request comment, so a literal value
that is a credential must be refused before it gets there. Names are matched by whole words (`HF_TOKEN`,
`OPENAI_KEY`, `GITHUB_PAT`, `--api-key`; not `MAX_TOKENS` or `TOKENIZERS_PARALLELISM`). Values are matched by the
prefixes that issuers put on their tokens, and by shape: a long run of letters and digits with the spread of
characters of a random string (hexadecimal digests and commit ids are not: their entropy stays below the bar).

The policy pack (policies/modelfleet_pack/support/credentials.py) holds the same rules for manifests made by any
tool; the pack is published on its own and cannot import this module, so it carries a copy that
tests/test_credentials.py holds identical.
"""

from __future__ import annotations

import math
import re
from collections import Counter

CREDENTIAL_WORDS = frozenset({
    "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "PWD", "PAT", "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS", "PASSPHRASE",
})
"""Words of a variable, flag or annotation name that make its value a credential."""

TOKEN_SHAPES = (
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("an OpenAI or Anthropic key", re.compile(r"\bsk-(ant-|proj-)?[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
"""Prefixes and shapes issuers give their tokens."""

_RANDOM_RUN = re.compile(r"[A-Za-z0-9+/]{32,}")
MIN_ENTROPY = 4.2
"""Bits per character above which an unbroken run of 32+ letters, digits, + and / (base64) reads as random: hexadecimal (at most
4 bits), words and model ids (short segments between '-', '/', '.') stay below it or never form such a run."""

_WORD_BOUNDARY = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    """`OPENAI_KEY` -> [OPENAI, KEY]; `--api-key` -> [API, KEY]; `hfToken` -> [HF, TOKEN]."""
    return [word.upper() for word in _WORD_BOUNDARY.split(name) if word]


def credential_name(name: str) -> bool:
    """Whether a variable, flag or key of this name holds a credential."""
    words = name_words(name)
    return any(word in CREDENTIAL_WORDS for word in words)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(count / len(text) * math.log2(count / len(text)) for count in counts.values())


def credential_value(value: str) -> str | None:
    """What the value looks like when it looks like a credential ('a GitHub token', ...), else None."""
    for what, shape in TOKEN_SHAPES:
        if shape.search(value):
            return what
    if "://" in value or value.startswith("/"):
        return None  # URLs and paths are long and varied without being secret
    for run in _RANDOM_RUN.findall(value):
        if any(c.islower() for c in run) and any(c.isupper() for c in run) and any(c.isdigit() for c in run) and _entropy(run) >= MIN_ENTROPY:
            return "a random token"
    return None


def credential(name: str, value: str) -> str | None:
    """Why a named literal value must not be written into a manifest (never quoting it), or None."""
    looks = credential_value(value)
    if looks is not None:
        return f"its value looks like {looks}"
    if value and credential_name(name):
        return "its name says it is a credential"
    return None
