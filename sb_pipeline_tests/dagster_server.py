"""A real `dagster dev` (webserver and daemon) for the server tests, and a small GraphQL client.

The server runs on 127.0.0.1 with its own DAGSTER_HOME and data folder, in its own process group so
that SIGINT reaches the webserver, the daemon and the code server together, and with SIGINT's default
disposition restored (`_interruptible`), as a terminal's Ctrl-C finds it. Every wait is bounded
and a failure says what it was waiting for and shows the end of the server's log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sb_pipeline_tests.conftest import REPO, SAMPLES

REPOSITORY = {"repositoryLocationName": "sb_pipeline", "repositoryName": "__repository__"}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(root: Path) -> dict[str, str]:
    """Everything the pipeline reads or writes lives under `root`; the model cache is shared."""
    samples = root / "samples"
    shutil.copytree(SAMPLES, samples)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "data" / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1", PYTHONUNBUFFERED="1",
        PYTHONFAULTHANDLER="1",  # a process that hangs on stop dumps its threads' stacks on SIGABRT (see stop)
        SB_DATA_DIR=str(root / "data"), SB_MODEL_DIR=str(REPO / "data" / "models"),
        SB_REFLECTION_DB=str(samples / "reflection.duckdb"), SB_TRANSCRIPTS_DIR=str(samples / "transcripts"),
        SB_INBOX_DIR=str(samples / "inbox"), SB_KNOWLEDGE_GRAPH_DB=str(samples / "knowledge_graph.duckdb"),
        SB_CRACKERJACK_DB=str(samples / "crackerjack_integration.db"), SB_AS_OF="2026-11-20T00:00:00Z",
    )
    return env


@dataclass
class DagsterDev:
    process: subprocess.Popen
    url: str
    log: Path
    env: dict[str, str]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        request = urllib.request.Request(f"{self.url}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def wait_for(self, what: str, probe, timeout: float, interval: float = 2.0):
        """Call `probe` until it returns something truthy; fail after `timeout` s naming `what`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dagster dev exited ({self.process.returncode}) while waiting for {what}\n{self.log_tail()}")
            last = probe()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}; last seen: {last!r}\n{self.log_tail()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGINT to the whole group, as Ctrl-C would; SIGKILL only if it does not stop in time."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGABRT)  # faulthandler: every stuck process's stacks into the log
                time.sleep(3)
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
                raise AssertionError(f"dagster dev did not stop within {timeout} s of SIGINT\n{self.log_tail(200)}")
        return self.process.returncode


def _interruptible() -> None:
    """In the child before exec: SIGINT back to its default, as in a terminal. A test run started in the background
    of a non-interactive shell (`make test &`, nohup) ignores SIGINT, every child inherits that, and a `dg dev` that
    ignores it stops only when its daemon happens to exit first (seen in two fresh-clone runs)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_dagster_dev(root: Path, ready_timeout: float = 240) -> DagsterDev:
    env = server_environment(root)
    port = free_port()
    log = root / "dagster_dev.log"
    handle = log.open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dg"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_interruptible,
    )
    handle.close()
    server = DagsterDev(process=process, url=f"http://127.0.0.1:{port}", log=log, env=env)

    def loaded():
        try:
            data = server.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name "
                                  "locationOrLoadError { __typename } } } } }", timeout=10)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None
        entries = data["workspaceOrError"]["locationEntries"]
        return [e for e in entries if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"]

    try:
        server.wait_for("the webserver to load the sb_pipeline code location", loaded, timeout=ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server
