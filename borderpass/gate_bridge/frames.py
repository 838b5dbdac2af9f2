"""The frames a lane receives for a command: rendered here, from the services' Command.

The services decide (:class:`~borderpass.services.gate.lane_events.Command`); the bridge
alone knows the wire: the ``command`` frame with its display text in the lane's languages
(R-G3), as PROTOCOL.md shows it, byte for byte the same on every resend (its time is the
command's own).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from borderpass.presenters.gate import command
from borderpass.services.gate import gate_texts
from borderpass.services.gate.lane_events import COMPACT_JSON, JSON_STRING, Command

__all__ = ["command", "command_text", "stored_command_text"]


def command_text(cmd: Command, languages: Sequence[str]) -> str:
    """The ``command`` frame as the lane receives it: the compact JSON of :func:`command`
    (presenters/gate.py, also the API's answer),
    written field by field (it answers every scan) with the display text's JSON cached."""
    extras = COMPACT_JSON(cmd.extras)[1:-1]
    return (f'{{"type":"command","event_id":{JSON_STRING(cmd.event_id)},'
            f'"action":{JSON_STRING(cmd.action)},"reason":{JSON_STRING(cmd.reason)},'
            f'"display":{_display(cmd.action, cmd.reason, tuple(languages))},'
            f'"at":{JSON_STRING(cmd.at)}{"," if extras else ""}{extras}}}')


@functools.lru_cache(maxsize=512)  # a few dozen (action, reason, languages) on a port
def _display(action: str, reason: str, languages: tuple[str, ...]) -> str:
    return COMPACT_JSON(gate_texts.display(action, reason, languages))


def stored_command_text(stored: str, languages: Sequence[str]) -> str:
    """The frame of a command as the outbox or Redis carried it."""
    return command_text(Command.loads(stored), languages)
