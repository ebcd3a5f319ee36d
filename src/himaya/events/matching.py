"""Events that name their person without a civil number (a civil registry's death record giving only
a name and a birth date): the person is found on the registry, or a registrar is asked.

The registry's own name search (`registry/name_search.py`: Arabic and Latin spellings folded to one,
the article and the connectors off, a Latin name meeting an Arabic-only one by its consonant
skeleton) gives the people born that day whose names begin with the event's; a match is strong
when every word of the event's name is a whole word of the person's names (not only its beginning)
and the sex, where both say it, is the same. The event is taken for its person only when exactly
one person matches strongly; none, or several, and it waits for a registrar (needs_review) with the
reason and the candidates. An event is never applied to a namesake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl

from himaya.core.access import Principal, Scope
from himaya.core.errors import InvalidInputError
from himaya.events.model import LifeEvent
from himaya.events.ports import EventsUnitOfWork
from himaya.events.rules import NEEDS_PERSON
from himaya.registry.actions import search_terms
from himaya.registry.model import Search
from himaya.registry.name_search import name_tokens

# The system's own reading of the registry, in every branch: an event is about whoever it names.
MATCHER = Principal("events:matcher", frozenset(), frozenset(), (Scope("all"),), kind="client")
CANDIDATES = 20  # people born that day with a name beginning as the event's, looked at
NAME_COLUMNS = tuple(f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "family_name"))


def unnamed(event: LifeEvent) -> bool:
    """An event about a person (a death, a marriage, a divorce) that gives no civil number."""
    return event.problem is None and event.kind in NEEDS_PERSON and not event.facts.get("person_id")


def matchable(event: LifeEvent) -> bool:
    """An event about a person without a civil number that gives a name and a birth date to match on."""
    return unnamed(event) and bool(_name(event.facts)) and bool(event.facts.get("birth_date"))


def resolve(uow: EventsUnitOfWork, events: Sequence[LifeEvent]) -> tuple[list[LifeEvent], list[tuple[LifeEvent, str]]]:
    """The events with their person's civil number where one person matches strongly, and those that
    wait for a registrar with the reason (nobody, or several, match)."""
    kept: list[LifeEvent] = []
    review: list[tuple[LifeEvent, str]] = []
    with uow.reading():
        for event in events:
            if not matchable(event):
                kept.append(event)  # a civil number, or nothing to match on (refused as malformed)
                continue
            found, why = match(uow, event.facts)
            if found is None:
                review.append((event, why))
            else:
                kept.append(replace(event, facts={**event.facts, "person_id": found}))
    return kept, review


MIN_WORDS = 2  # of the event's name, to take it for a person without a registrar: a given name and another


def _name(facts: dict[str, Any]) -> str:
    return " ".join(str(facts[c]) for c in NAME_COLUMNS if facts.get(c))


def match(uow: EventsUnitOfWork, facts: dict[str, Any]) -> tuple[str | None, str]:
    """(the civil number of the one person who matches strongly, "") or (None, why not)."""
    name, born, sex = _name(facts), date.fromisoformat(str(facts["birth_date"])), facts.get("sex")
    said = f"{name!r} born {born}" + (f" ({sex})" if sex else "")
    try:
        terms = search_terms(Search(name=name), "")
    except InvalidInputError as error:
        return None, f"no civil number, and the name cannot be matched: {error}"
    rows = uow.registry.search(MATCHER, Search(name=name, birth_date=born), limit=CANDIDATES, offset=0, terms=terms)
    strong = strongly(rows, terms.names, sex)
    if len(strong) == 1 and len(terms.names) < MIN_WORDS:  # one name and a birthday are no identity
        return None, (
            f"no civil number, and {said} names {len(terms.names)} word(s) only (at least {MIN_WORDS} to be"
            f" taken for {strong[0]}); a registrar decides"
        )
    if len(strong) == 1:
        return strong[0], ""
    if strong:
        return None, (
            f"no civil number, and {len(strong)} people match {said}: {', '.join(strong[:5])};"
            " a registrar decides who it is (never a namesake)"
        )
    if rows:
        near = ", ".join(str(r["civil_number"]) for r in rows[:5])
        return None, f"no civil number, and nobody matches {said} strongly (near: {near}); a registrar decides"
    return None, f"no civil number, and nobody in the registry matches {said}; a registrar finds the person"


def strongly(rows: Sequence[dict[str, Any]], words: Sequence[Sequence[Any]], sex: str | None) -> list[str]:
    """The civil numbers of the rows whose names hold every word whole, of the same sex where both say."""
    if not rows:
        return []
    frame = pl.DataFrame(
        [{c: r.get(c) for c in ("civil_number", *NAME_COLUMNS)} for r in rows],
        schema={c: pl.String for c in ("civil_number", *NAME_COLUMNS)},
    )
    tokens: dict[str, set[str]] = {}
    for number, token in name_tokens(frame, "civil_number").iter_rows():
        tokens.setdefault(number, set()).add(token)
    found = []
    for row in rows:
        mine = tokens.get(row["civil_number"], set())
        same_sex = sex is None or row.get("sex") is None or row["sex"] == sex
        if same_sex and all(any(term.value in mine for term in word) for word in words):
            found.append(str(row["civil_number"]))
    return sorted(set(found))
