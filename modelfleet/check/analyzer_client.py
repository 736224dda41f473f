"""Drive a Python policy pack over Pulumi's Analyzer gRPC protocol, as the Pulumi engine does.

The engine starts `python -u -m pulumi.policy <engine address> <pack dir>` with PULUMI_PROJECT,
PULUMI_STACK and PULUMI_DRY_RUN set, reads the port the pack prints on its first stdout line, then calls
Handshake (which the Python SDK does not implement: UNIMPLEMENTED is accepted, as the engine does),
ConfigureStack, GetAnalyzerInfo, Configure, Analyze for each resource and AnalyzeStack. There is no
engine here, so the engine address is a placeholder nobody dials.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

ENGINE_ADDRESS = "127.0.0.1:0"
START_TIMEOUT = 60.0  # seconds for the pack to import its rules and print its port
CALL_TIMEOUT_VARIABLE = "MODELFLEET_POLICY_TIMEOUT"
CALL_TIMEOUT = 120.0  # seconds one call may take (a whole stack in AnalyzeStack); $MODELFLEET_POLICY_TIMEOUT overrides
MAX_MESSAGE = 400 * 1024 * 1024  # the engine's and the SDK's gRPC message limit
LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@contextlib.contextmanager
def _interrupts_held():
    """Hold Ctrl-C (SIGINT) back in the main thread until the block ends; it is delivered then."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _unblock_interrupts() -> None:
    """In the started pack: take SIGINT again (the mask of the starting thread is inherited)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class PolicyPackError(Exception):
    """The pack could not be started or driven; the message says why (with the pack's own output)."""


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    level: str  # the pack's default enforcement level
    severity: str  # "" when the policy has none
    remediation: str
    config_schema: dict[str, Any]  # property name -> JSON schema
    required: tuple[str, ...]
    stack: bool  # a stack policy (AnalyzeStack) rather than a resource policy (Analyze)


@dataclass(frozen=True)
class Resource:
    type: str  # Pulumi type token, e.g. kubernetes:apps/v1:Deployment
    urn: str
    name: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str  # the violation message, without the policy description the SDK puts in front
    urn: str  # the resource; "" for a finding about the whole stack


def _level_name(value: int) -> str:
    return analyzer_pb2.EnforcementLevel.Name(value).lower()


def whole_numbers(value: Any) -> Any:
    """Protobuf numbers are doubles: give integral ones back as ints (a schema's `minimum: 1`, not 1.0)."""
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message


def over_the_wire(data: Mapping[str, Any]) -> dict[str, Any]:
    """Properties as the pack's SDK reads them from a request: a Struct made into a dict again (numbers as floats,
    the keys in the Struct's order)."""
    return json_format.MessageToDict(struct(data))


def diagnostic(policies: Mapping[str, PolicyInfo], policy: str, level: str, message: str, urn: str) -> Diagnostic:
    """A diagnostic as the SDK sends it (the policy description, a newline, the violation), without the description."""
    description = policies[policy].description if policy in policies else ""
    if description and message.startswith(description):
        message = message[len(description) :].lstrip("\n") or message
    return Diagnostic(policy, level, message, urn)


class PolicyPackProcess:
    """One running pack for one stack. Use as a context manager: the process always stops on exit."""

    def __init__(self, pack_dir: Path, project: str, stack: str):
        self.pack_dir = pack_dir
        text = os.environ.get(CALL_TIMEOUT_VARIABLE, "")
        self.call_timeout = float(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text) and float(text) > 0 else CALL_TIMEOUT
        self.project = project
        self.stack = stack
        self.policies: dict[str, PolicyInfo] = {}
        self._process: subprocess.Popen | None = None
        self._stderr = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    def __enter__(self) -> "PolicyPackProcess":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The pack's process id while it runs."""
        return self._process.pid if self._process is not None else None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        # faulthandler: a SIGABRT makes a hung pack print where it is (see _hung)
        environment = dict(os.environ, PULUMI_PROJECT=self.project, PULUMI_STACK=self.stack, PULUMI_DRY_RUN="true", PYTHONFAULTHANDLER="1")
        self._stderr = tempfile.TemporaryFile()
        with _interrupts_held():  # a Ctrl-C between the start and the assignment would leave the pack running
            self._process = subprocess.Popen(
                [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=environment,
                preexec_fn=_unblock_interrupts,
            )
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)])
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        directory = str(self.pack_dir)
        self._call("Handshake", analyzer_pb2.AnalyzerHandshakeRequest(engine_address=ENGINE_ADDRESS, root_directory=directory, program_directory=directory), optional=True)
        self._call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(stack=self.stack, project=self.project, organization="organization", dry_run=True), optional=True)
        info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        self.policies = {policy.name: self._policy_info(policy) for policy in info.policies}

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _pack_output(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return f"\n{text}" if text else ""

    def _read_port(self) -> int:
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=START_TIMEOUT)
        if not ready:
            raise PolicyPackError(f"policy pack {self.pack_dir} printed no port within {START_TIMEOUT:.0f} s{self._pack_output()}")
        line = self._process.stdout.readline().decode("utf-8", "replace").strip()
        if line.isdigit():
            return int(line)
        if line:
            raise PolicyPackError(f"policy pack {self.pack_dir} printed {line!r} instead of its port{self._pack_output()}")
        try:  # its stdout closed: the pack is exiting
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        raise PolicyPackError(f"policy pack {self.pack_dir} failed to start (exit code {self._process.returncode}){self._pack_output()}")

    def _call(self, method: str, request: Any, *, optional: bool = False, subject: str = "") -> Any:
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as error:
            if optional and error.code() == grpc.StatusCode.UNIMPLEMENTED:
                return None
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise PolicyPackError(self._hung(method, subject)) from None
            if self._exited():
                raise PolicyPackError(f"policy pack {self.pack_dir} exited (code {self._process.returncode}) during {method}{' of ' + subject if subject else ''}{self._pack_output()}") from None
            raise PolicyPackError(f"policy pack {self.pack_dir}: {method} failed: {error.details()}{self._pack_output()}") from None

    def _exited(self) -> bool:
        """Whether the pack process has ended (a call failing because it died: give it a moment to be reaped)."""
        if self._process is None:
            return False
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _hung(self, method: str, subject: str) -> str:
        """What a call that got no answer in time was doing: the pack is made to dump its stacks (faulthandler on
        SIGABRT), and the innermost frame of the pack's own code names the policy that hangs."""
        where = ""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGABRT)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
            pack = re.escape(str(self.pack_dir.resolve()))
            frames = re.findall(rf'File "{pack}/([^"]+)", line (\d+) in (\w+)', self._pack_output())
            if frames:  # faulthandler prints the innermost frame first
                file, line, function = frames[0]
                where = f"; it was running {function} at {file}:{line}"
        what = f"{method} of {subject}" if subject else method
        return f"policy pack {self.pack_dir}: {what} got no answer within {self.call_timeout:g} s{where}; fix the policy, or raise {CALL_TIMEOUT_VARIABLE} for a very large stack"

    # -- protocol ----------------------------------------------------------------------------------------
    @staticmethod
    def _policy_info(policy: Any) -> PolicyInfo:
        schema = whole_numbers(json_format.MessageToDict(policy.configSchema.properties)) if policy.HasField("configSchema") else {}
        severity = analyzer_pb2.PolicySeverity.Name(policy.severity)
        return PolicyInfo(
            name=policy.name,
            description=policy.description,
            level=_level_name(policy.enforcementLevel),
            severity="" if severity.endswith("UNSPECIFIED") else severity.rpartition("_")[2].lower(),
            remediation=policy.remediation_steps,
            config_schema=schema,
            required=tuple(policy.configSchema.required),
            stack=policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK,
        )

    def configure(self, config: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        """Send every policy's (enforcement level, properties), already reconciled and validated."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, properties) in config.items():
            request.policyConfig[name].CopyFrom(analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.EnforcementLevel.Value(level.upper()), properties=struct(properties)))
        self._call("Configure", request)

    def _diagnostics(self, response: Any, urn: str) -> list[Diagnostic]:
        return [diagnostic(self.policies, item.policyName, _level_name(item.enforcementLevel), item.message, item.urn or urn) for item in response.diagnostics]

    def analyze(self, resource: Resource) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeRequest(type=resource.type, urn=resource.urn, name=resource.name, properties=struct(resource.properties))
        return self._diagnostics(self._call("Analyze", request, subject=f"{resource.type} {resource.name}"), resource.urn)

    def analyze_stack(self, resources: list[Resource]) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[analyzer_pb2.AnalyzerResource(type=r.type, urn=r.urn, name=r.name, properties=struct(r.properties)) for r in resources]
        )
        return self._diagnostics(self._call("AnalyzeStack", request, subject=f"stack {self.stack}"), "")
