"""``RedisServer``: a real ``redis-server`` from PATH: free loopback port, no persistence, a temp dir.

``RedisServer`` can be killed and started again on the same port (the fallback tests do), and
is always stopped at teardown, so no server outlives the test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path

__all__ = ["RedisServer"]

READY_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1:port``; ``start``/``kill`` may repeat."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and return once it logs that it accepts connections."""
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not on PATH (.ci/run installs it)"
        # fmt: off
        command = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
            "--daemonize", "no", "--loglevel", "notice",
        ]
        # fmt: on
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.proc = proc
        ready = threading.Event()
        lines: list[str] = []

        def drain() -> None:  # also keeps the pipe from filling up while the server runs
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if "Ready to accept connections" in line:
                    ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(READY_TIMEOUT):
            self.stop()
            raise RuntimeError("redis-server did not start:\n" + "".join(lines[-20:]))

    def kill(self) -> None:
        """SIGKILL the server (no shutdown, like a crash) and reap it."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
