"""Start and stop the project's own Neo4j 5.26 test server (``tests/neo4j-server``).

``start_server(home)`` launches the Java main built by ``mvn -q package`` (building it first
when the jar is missing and Maven exists), waits for its ready line and returns a
:class:`RunningServer` with ``.uri`` and ``.stop()``. When Java is missing or the server
cannot be built or started it raises :class:`Neo4jServerUnavailable` with the reason; the
pytest fixtures turn that into a skip (or a failure under ``PARTNERGRAPH_REQUIRE_NEO4J=1``).

Run a development server in the foreground::

    python -m tests.neo4j_server [--home DIR] [--port 7687]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

SERVER_DIR = Path(__file__).resolve().parent / "neo4j-server"
TARGET = SERVER_DIR / "target"
JAR = TARGET / "partnergraph-neo4j-server.jar"
LIB = TARGET / "lib"
PLUGINS = TARGET / "plugins"
MAIN = "partnergraph.TestServer"
READY = "PARTNERGRAPH-NEO4J READY "
START_TIMEOUT = float(os.environ.get("PARTNERGRAPH_NEO4J_START_TIMEOUT", "120"))
BUILD_TIMEOUT = 1800.0
HEAP = os.environ.get("PARTNERGRAPH_NEO4J_HEAP", "1g")
#: page cache of the test server (MB); benchmarks use the compose file's 1 GB
PAGECACHE_MB = int(os.environ.get("PARTNERGRAPH_NEO4J_PAGECACHE_MB", "256"))


class Neo4jServerUnavailable(RuntimeError):
    """Java is missing, the server is not built, or it did not start; the message says which."""


@dataclass
class RunningServer:
    uri: str
    home: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return int(self.uri.rsplit(":", 1)[1])

    def stop(self, timeout: float = 30.0) -> None:
        """Close stdin (clean shutdown), then SIGTERM, then SIGKILL the process group."""
        proc = self.process
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=timeout)
            except (subprocess.TimeoutExpired, OSError):
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait(timeout=10)
        else:
            # the JVM is gone, but make sure nothing it started lingers
            _signal_group(proc, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def is_built() -> bool:
    return JAR.is_file() and LIB.is_dir() and any(LIB.glob("neo4j-bolt-*.jar"))


def build(log: Path | None = None) -> None:
    """Run ``mvn -q package`` in tests/neo4j-server (downloads dependencies on first run)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jServerUnavailable(
            f"the test server is not built ({JAR.relative_to(SERVER_DIR.parent.parent)} is missing) "
            "and Maven (mvn) is not installed; run `mvn -q package` in tests/neo4j-server"
        )
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        done = subprocess.run([mvn, "-q", "-B", "package"], cwd=SERVER_DIR, stdout=out,
                              stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise Neo4jServerUnavailable("`mvn -q package` in tests/neo4j-server timed out") from None
    finally:
        if log and out is not subprocess.DEVNULL:
            out.close()  # type: ignore[union-attr]
    if done.returncode != 0 or not is_built():
        where = f"; see {log}" if log else ""
        raise Neo4jServerUnavailable(f"`mvn -q package` in tests/neo4j-server failed{where}")


def java_command(home: Path, port: int = 0, *, heap: str = HEAP, auth: bool = False,
                 pagecache_mb: int = PAGECACHE_MB) -> list[str]:
    java = shutil.which("java")
    if java is None:
        java_home = os.environ.get("JAVA_HOME")
        candidate = Path(java_home, "bin", "java") if java_home else None
        if candidate is None or not candidate.is_file():
            raise Neo4jServerUnavailable("java is not installed (Neo4j 5.26 needs Java 17 or 21)")
        java = str(candidate)
    cmd = [
        java, f"-Xmx{heap}", "-Xms256m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
        "-Dfile.encoding=UTF-8",
        # Neo4j on Java 17 wants these open for its off-heap structures
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "-cp", f"{JAR}{os.pathsep}{LIB}{os.sep}*",
        MAIN, str(home), str(port), "--plugins", str(PLUGINS), "--pagecache-mb", str(pagecache_mb),
    ]
    if auth:
        cmd.append("--auth")
    return cmd


def start_server(home: Path, port: int = 0, *, timeout: float = START_TIMEOUT,
                 auth_password: str | None = None, heap: str = HEAP,
                 pagecache_mb: int = PAGECACHE_MB) -> RunningServer:
    """Start the test server with its database under ``home``; wait for the ready line.

    ``auth_password`` turns authentication on, with user ``neo4j`` and that password.
    """
    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise Neo4jServerUnavailable("java is not installed (Neo4j 5.26 needs Java 17 or 21)")
    if not is_built():
        build(home / "mvn-package.log")
    cmd = java_command(home / "db", port, auth=auth_password is not None, heap=heap, pagecache_mb=pagecache_mb)
    log_path = home / "server.log"
    log = log_path.open("wb")
    env = dict(os.environ)
    if auth_password is not None:
        env["NEO4J_INITIAL_PASSWORD"] = auth_password
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    ready: list[str] = []
    seen = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            log.write(line)
            log.flush()
            text = line.decode("utf-8", "replace").strip()
            if not ready and text.startswith(READY):
                ready.append(text[len(READY):].strip())
                seen.set()
        seen.set()  # process ended

    threading.Thread(target=pump, name="neo4j-server-log", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not seen.wait(0.2):
        if time.monotonic() > deadline:
            break
    server = RunningServer(uri=ready[0] if ready else "", home=home, log_path=log_path,
                           process=proc, _log=log)
    if not ready:
        code = proc.poll()
        server.stop(timeout=10)
        tail = _tail(log_path)
        why = f"exited with code {code}" if code is not None else f"not ready after {timeout:.0f} s"
        raise Neo4jServerUnavailable(f"the Neo4j test server {why}; log: {log_path}{tail}")
    return server


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return ("\n  " + "\n  ".join(text)) if text else ""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.neo4j_server",
                                     description="Run the Neo4j 5.26 test server in the foreground.")
    parser.add_argument("--home", type=Path, default=Path(".neo4j-dev"),
                        help="directory for the database and the log (default ./.neo4j-dev)")
    parser.add_argument("--port", type=int, default=7687, help="Bolt port (0 = any free port)")
    parser.add_argument("--build", action="store_true", help="run `mvn -q package` first")
    args = parser.parse_args(argv)
    try:
        if args.build:
            build()
        server = start_server(args.home, args.port)
    except Neo4jServerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Neo4j 5.26 test server at {server.uri} (auth off); log: {server.log_path}", flush=True)
    print(f"  PARTNERGRAPH_GRAPH_URI={server.uri}   (Ctrl-C to stop)", flush=True)
    try:
        while server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
