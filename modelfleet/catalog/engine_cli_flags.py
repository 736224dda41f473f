"""The complete command-line flag table of each vLLM and TGI release read, as data (engine_cli_flags.json).

engine_flags knows the history, and the fix, of the flags the compiler writes or users commonly pass; this table
knows every flag of every release read, so that a flag in extraArgs that the pinned release does not have at all
(a typo, a flag of another release) is caught too. A release outside the range read has no facts here, and the
table then says nothing rather than refuse a flag it cannot know.

Provenance (facts only, no upstream code or text):
- vLLM: the source distribution of every vLLM release on PyPI from 0.4.1 to 0.28.0 (0.15.x, which has none,
  from its wheel), read with Python's ast: the flags that `python -m vllm.entrypoints.openai.api_server` and
  `vllm serve` register in vllm/engine/arg_utils.py, vllm/entrypoints/openai/cli_args.py and the serve command,
  including short aliases, flags generated from the fields of the config dataclasses (`--field-name`), and the
  `--no-` form of boolean ones.
- TGI: the git tags v1.4.0 .. v3.3.7 of github.com/huggingface/text-generation-inference: the fields of the
  launcher's clap `Args` struct in launcher/src/main.rs (`long` -> `--field-name`, `short`, explicit names and
  aliases), plus clap's --help/-h and --version/-V.
A flag's spans list the releases that have it: [first, removed], `removed` being the first release read
without it (null: still in the newest release read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from modelfleet.catalog.engine_flags import Span, release


@dataclass(frozen=True)
class FlagTable:
    """Every flag of one engine's releases `releases` (oldest first), each with the spans of releases having it."""

    releases: tuple[str, ...]
    spans: dict[str, tuple[Span, ...]]

    def covers(self, version: str) -> bool:
        """Whether the table has facts for `version`: it lies within the releases read."""
        return release(self.releases[0]) <= release(version) <= release(self.releases[-1])

    def has(self, flag: str, version: str) -> bool:
        return any(span.covers(version) for span in self.spans.get(flag, ()))

    def flags_of(self, version: str) -> list[str]:
        return sorted(flag for flag in self.spans if self.has(flag, version))


@cache
def engine_cli_flags() -> dict[str, FlagTable]:
    """The tables by engine ('vllm', 'tgi')."""
    data = json.loads(files("modelfleet.catalog").joinpath("engine_cli_flags.json").read_text(encoding="utf-8"))
    return {
        engine: FlagTable(
            tuple(table["releases"]),
            {flag: tuple(Span(first, removed) for first, removed in spans) for flag, spans in table["flags"].items()},
        )
        for engine, table in data.items()
    }
