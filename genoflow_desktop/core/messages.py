"""Transient news for the user (\"Upload finished\", \"Server unreachable\") from any layer.

Core code posts messages; the Qt layer subscribes and shows them as a message bar or toast; the
CLI subscribes and prints them. Messages are not errors of the app: bugs go to the crash handler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Message:
    level: Level
    text: str
    details: str = ""


Listener = Callable[[Message], None]


class MessageBus:
    """Fan-out of :class:`Message` to listeners. Thread-safe; listeners are called on the poster's thread."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners.remove(listener)

        return unsubscribe

    def post(self, message: Message) -> None:
        log.log(
            {Level.INFO: logging.INFO, Level.WARNING: logging.WARNING, Level.ERROR: logging.ERROR}[
                message.level
            ],
            "%s%s",
            message.text,
            f" ({message.details})" if message.details else "",
        )
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(message)

    def info(self, text: str, details: str = "") -> None:
        self.post(Message(Level.INFO, text, details))

    def warning(self, text: str, details: str = "") -> None:
        self.post(Message(Level.WARNING, text, details))

    def error(self, text: str, details: str = "") -> None:
        self.post(Message(Level.ERROR, text, details))
