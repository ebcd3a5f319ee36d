"""The life event behind an enrollment, as the person page says it (issue 15): for an enrollment a
life event started or ended, the event's kind, its inbox id, its source and the source's id, and
its date, in the reader's language (what `himaya explain --registry` prints)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from himaya.events.model import EventKind
from himaya.web.pages import Visitor


def kinds(seen: Visitor) -> dict[str, str]:
    """Each kind of life event by its name in the reader's language."""
    _ = seen._
    named = {
        EventKind.BIRTH: _("birth"),
        EventKind.DEATH: _("death"),
        EventKind.MARRIAGE: _("marriage"),
        EventKind.DIVORCE: _("divorce"),
        EventKind.TURNED_60: _("turning 60"),
        EventKind.TURNED_18: _("turning 18"),
        EventKind.DISABILITY_CARD_EXPIRED: _("disability card expired"),
        EventKind.CORRECTION: _("correction"),
        EventKind.CANCELLATION: _("cancellation"),
        EventKind.ADOPTION: _("adoption"),
        EventKind.FETAL_DEATH: _("fetal death"),
    }
    return {kind.value: name for kind, name in named.items()}


def by_enrollment(causes: Sequence[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The causes (`db/stores/event_causes.enrollment_causes`) of each enrollment, by its id."""
    found: dict[int, list[dict[str, Any]]] = {}
    for cause in causes:
        found.setdefault(int(cause["enrollment"]), []).append(cause)
    return found
