"""Events: what an action did, told after its transaction committed.

An action emits events on its unit of work (`uow.emit(PayrollApproved(...))`); the unit of work
hands them to the handlers that `bootstrap` wires only once the transaction has committed, so a
handler never sees a change that was rolled back. Events are named in the past tense and are
frozen dataclasses; a capability that must react to another's change (a death recorded, so
payments stop) does it through a handler, never by importing the other capability.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Base class of every event."""


Handler = Callable[[Event], None]
Handlers = Mapping[type[Event], Sequence[Handler]]


def dispatch(events: Sequence[Event], handlers: Handlers) -> None:
    """Call each event's handlers (those of its class and of its base classes), in order."""
    for event in events:
        for kind in type(event).__mro__:
            for handler in handlers.get(kind, ()):
                handler(event)
