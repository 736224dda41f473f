"""What reads as a credential: names by whole words, values by issuer prefixes and by randomness; never the
ordinary values of the example stacks and the upstream manifests."""

from __future__ import annotations

import base64
import random
import string

import pytest
import yaml

from modelfleet.catalog.credentials import credential, credential_name, credential_value
from tests.conftest import ROOT


def test_the_policy_pack_carries_an_identical_copy():
    """The pack is published on its own and cannot import the compiler."""
    assert (ROOT / "policies/modelfleet_pack/support/credentials.py").read_bytes() == (ROOT / "modelfleet/catalog/credentials.py").read_bytes()


@pytest.mark.parametrize("name", ["HF_TOKEN", "OPENAI_KEY", "GITHUB_PAT", "DOCKER_PASS", "AWS_SECRET_ACCESS_KEY", "--api-key", "--hf-token", "hfToken", "db.password"])
def test_credential_names(name):
    assert credential_name(name)


@pytest.mark.parametrize("name", ["MAX_TOKENS", "TOKENIZERS_PARALLELISM", "KEYCLOAK_URL", "SECRETARY", "HF_HOME", "--ssl-keyfile", "--max-model-len", "PATH", "modelfleet.io/kv-cache-tokens"])
def test_ordinary_names(name):
    assert not credential_name(name)


@pytest.mark.parametrize(("value", "what"), [
    ("hf_" + "aB3" * 12, "a Hugging Face token"),
    ("ghp_" + "x1Y2z3" * 6, "a GitHub token"),
    ("glpat-" + "abcDEF123_" * 3, "a GitLab token"),
    ("sk-proj-" + "Ab1" * 10, "an OpenAI or Anthropic key"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig", "a JSON web token"),
    ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
    ("Qm9vbGVhbkZhY3Rvcnk3NDIxOTg2NTMyMTA5ODc2NTQzMjE", "a random token"),
])
def test_token_shapes(value, what):
    assert credential_value(value) == what
    assert credential("NOTES", value) == f"its value looks like {what}"


def test_random_tokens_are_caught_and_digests_are_not():
    rng = random.Random(7)
    alphanumeric = string.ascii_letters + string.digits
    missed = [token for token in ("".join(rng.choice(alphanumeric) for _ in range(40)) for _ in range(500)) if not credential_value(token)]
    assert len(missed) <= 5
    missed = [token for token in (base64.b64encode(rng.randbytes(30)).decode() for _ in range(500)) if not credential_value(token)]
    assert len(missed) <= 25
    assert credential_value("sha256:" + "".join(rng.choice("0123456789abcdef") for _ in range(64))) is None
    assert credential_value("".join(rng.choice("0123456789abcdef") for _ in range(40))) is None  # a commit id


def test_no_value_of_the_examples_or_the_fixtures_reads_as_a_credential():
    values: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            values.update(node.splitlines())

    files = [*ROOT.glob("stacks/*.yaml"), *ROOT.glob("tests/golden/**/*.yaml"), *ROOT.glob("tests/policy_fixtures/**/*.yaml")]
    for path in files:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            walk(document)
    assert len(values) > 400
    assert [value for value in values if credential_value(value) and "hf_" not in value] == []
