"""A scripted HTTP server on loopback for tests that need bytes no real server sends."""

from __future__ import annotations

import socket
import threading


class LoopbackServer:
    """A scripted HTTP server on loopback: ``handle`` serves each connection in its own
    thread."""

    def __init__(self) -> None:
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle_and_close, args=(conn,), daemon=True).start()

    def _handle_and_close(self, conn: socket.socket) -> None:
        with conn:
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    @staticmethod
    def read_request(conn: socket.socket) -> bytes:
        """A request head (and whatever came with it); b"" if the client sent nothing."""
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(65536)
            if not piece:
                return data
            data += piece
        return data

    def close(self) -> None:
        self.listener.close()
