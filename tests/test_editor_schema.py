"""The stack-file schema as editors use it: yaml-language-server (from npm, installed by `make setup` into tests/node/)
is started with --stdio and spoken to over LSP, on a stack file pointing at the generated schema by modeline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from modelfleet.spec.json_schema import SCHEMA_ID, schema_text
from tests.conftest import ROOT

SERVER = ROOT / "tests" / "node" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
TIMEOUT = 10

STACK = """\
# yaml-language-server: $schema=./schema.json
config:
  modelfleet:environment:
    namespace: ml-dev
  modelfleet:modles: []
  kubernetes:context: dev
  modelfleet:models:
    - name: granite
      runtime: vllm-runtime
      gpu: {pol: v100}
      scaling:
        minReplicas: two
    - name: qwen
      
"""
COMPLETION_AT = (13, 6)  # the empty line inside the second model


def _server_available() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed: the editor-schema test needs it to run yaml-language-server"
    if not SERVER.is_file():
        return "tests/node is not installed: run `make setup` (needs npm)"
    return None


pytestmark = pytest.mark.skipif(_server_available() is not None, reason=str(_server_available()))


class LanguageServer:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, root: Path):
        self.process = subprocess.Popen(["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root)
        self.next_id = 0

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self) -> dict:
        length = 0
        while (line := self.process.stdout.readline().strip()) != b"":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        assert length, "the language server closed its output"
        return json.loads(self.process.stdout.read(length))

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.until(lambda message: message.get("id") == self.next_id and "method" not in message)["result"]

    def until(self, wanted) -> dict:
        """Read messages until `wanted(message)`, answering the server's own requests on the way."""
        while not wanted(message := self.receive()):
            if "id" in message and "method" in message:  # workspace/configuration, client/registerCapability, ...
                items = message.get("params", {}).get("items", [])
                self.send({"id": message["id"], "result": [{"validate": True, "completion": True}] * len(items) if items else None})
        return message

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    """The server with the stack file open: its diagnostics, and a completion request."""
    folder = tmp_path_factory.mktemp("stacks")
    (folder / "schema.json").write_text(schema_text(), encoding="utf-8")
    uri = (folder / "Pulumi.dev.yaml").as_uri()
    server = LanguageServer(folder)
    try:
        server.request("initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {"workspace": {"configuration": True}}})
        server.send({"method": "initialized", "params": {}})
        server.send({"method": "workspace/didChangeConfiguration", "params": {"settings": {"yaml": {"validate": True, "completion": True}}}})
        server.send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": STACK}}})
        published = server.until(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri and m["params"]["diagnostics"])
        line, character = COMPLETION_AT
        completion = server.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
    finally:
        server.close()
    diagnostics = sorted((d["range"]["start"]["line"] + 1, d["message"]) for d in published["params"]["diagnostics"])
    items = completion["items"] if isinstance(completion, dict) else completion
    return diagnostics, sorted(item["label"] for item in items)


def test_the_schema_has_an_id():
    assert json.loads(schema_text())["$id"] == SCHEMA_ID == "urn:modelfleet:stack-file"


def test_misspelled_key_wrong_type_and_unknown_config_key_are_reported_readably_on_their_lines(editor):
    diagnostics, _ = editor
    assert diagnostics == [
        (5, "Property modelfleet:modles is not allowed."),
        (10, "Property pol is not allowed."),
        (12, 'Incorrect type. Expected "integer".'),
    ]


def test_completion_inside_a_model_lists_its_keys(editor):
    _, labels = editor
    assert {"runtime", "gpu", "scaling", "engine", "backend", "storage", "env"} <= set(labels)
    assert "name" not in labels  # already set on this model
    assert "namespace" not in labels  # a key of the environment, not of a model
