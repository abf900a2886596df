"""One app window per data folder: a second launch hands its files to the first and exits.

Two instances writing one database would fight over it, and users who double-click a file
expect it to open in the window they already have. The first instance listens on a local socket
named after its data folder; a later launch connects, sends its file list as JSON, and exits.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

TIMEOUT_MS = 1000


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return f"genoflow-{getpass.getuser()}-{digest}"


class SingleInstance(QObject):
    """Signals:
    activation_requested(list): another launch asked to show the window and add these files.
    """

    activation_requested = Signal(list)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None

    def forward(self, files: list[str]) -> bool:
        """Hand ``files`` to a running instance; False if there is none."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(TIMEOUT_MS):
            return False
        payload = json.dumps({"files": [str(Path(f).resolve()) for f in files]}).encode()
        socket.write(payload)
        socket.flush()
        socket.waitForBytesWritten(TIMEOUT_MS)
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(TIMEOUT_MS)
        log.info("handed %d file(s) to the running instance", len(files))
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A socket left by a crashed instance: nobody answered forward(), so remove it.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single-instance socket unavailable: %s", server.errorString())
                return False
        server.newConnection.connect(self._on_server_new_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _on_server_new_connection(self) -> None:
        assert self._server is not None
        socket = self._server.nextPendingConnection()
        if socket is None:
            return
        # The message is a few hundred bytes from a process on this machine, written at once:
        # reading it here, with a short timeout, is simpler and safer than a chain of slots.
        data = b""
        while True:
            if socket.bytesAvailable():
                data += bytes(socket.readAll().data())
            elif (
                socket.state() != QLocalSocket.LocalSocketState.ConnectedState
                or not socket.waitForReadyRead(TIMEOUT_MS)
            ):
                break
        socket.close()
        socket.deleteLater()
        try:
            files = json.loads(data or b"{}").get("files", [])
        except (ValueError, AttributeError):
            log.warning("ignored a malformed message on the single-instance socket")
            files = []
        self.activation_requested.emit([str(f) for f in files])
