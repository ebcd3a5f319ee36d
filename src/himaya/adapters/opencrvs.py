"""OpenCRVS's FHIR R4 documents of birth and death registration, read as life events.

An OpenCRVS event is a `Bundle` of type `document`: a `Composition` (birth or death declaration)
whose sections point at `Patient` resources (child, mother, father, deceased, spouse), and a
`Task` with the registration's tracking id and status. A webhook delivery wraps the bundle as
`{"event": {"hub": {"topic": ...}, "context": [Bundle, ...]}}`; both forms are read, and every
bundle of a delivery is an event (of the kind its topic names, BIRTH_... or DEATH_...). The event id is
the tracking id (the same registration sent twice is one event). Civil numbers are the
`NATIONAL_ID` identifiers. A document that cannot be read is still an event: kept as failed
with the reason, under the SHA-256 of its bytes, so that sending it again changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from typing import Any

import pycountry

from himaya.core.text import an
from himaya.events.model import EventKind, LifeEvent

SOURCE = "opencrvs"
KINDS = {
    "birth-declaration": EventKind.BIRTH,
    "birth-registration": EventKind.BIRTH,
    "birth-notification": EventKind.BIRTH,
    "death-declaration": EventKind.DEATH,
    "death-registration": EventKind.DEATH,
}
TASK_KINDS = {"BIRTH": EventKind.BIRTH, "DEATH": EventKind.DEATH}
ROLES = {  # Composition section -> the event's fact
    EventKind.BIRTH: {"child-details": "person_id", "mother-details": "mother_id", "father-details": "father_id"},
    EventKind.DEATH: {"deceased-details": "person_id", "spouse-details": "spouse_id"},
}
SEXES = {"male": "M", "female": "F"}
EXCERPT = 2_000  # characters of an unreadable document kept for the registrar


class UnreadableError(ValueError):
    pass


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether a webhook delivery's signature header is the HMAC of its raw body under the client's
    SHA secret: `sha1=<hex>` as OpenCRVS sends it (`X-Hub-Signature`), or `sha256=<hex>`.

    >>> body = b'{"event": {}}'
    >>> signature_ok("s3cret", body, "sha1=" + hmac.new(b"s3cret", body, "sha1").hexdigest())
    True
    >>> signature_ok("s3cret", body + b" ", "sha1=" + hmac.new(b"s3cret", body, "sha1").hexdigest())
    False
    >>> signature_ok("s3cret", body, None), signature_ok("s3cret", body, "md5=00"), signature_ok("s3cret", body, "42")
    (False, False, False)
    """
    algorithm, _, given = (header or "").strip().partition("=")
    if algorithm not in ("sha1", "sha256") or not given:
        return False
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, given.lower())


def read_document(raw: bytes | str, *, source: str = SOURCE) -> list[LifeEvent]:
    """The life events of one OpenCRVS document: a bundle is one event; a webhook delivery is one event
    per bundle of its `context` (every registration it holds, not only the first), each of the kind
    its hub topic names (a death bundle on the BIRTH_REGISTERED topic is a failed event)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        document = json.loads(text)
        if not isinstance(document, dict):
            raise UnreadableError("the document is not a JSON object")
        if "event" not in document:
            return [read_bundle(document, source=source)]
        event = document["event"] if isinstance(document["event"], dict) else {}
        context, topic = event.get("context"), (event.get("hub") or {}).get("topic")
        if not isinstance(context, list) or not context:
            raise UnreadableError("the webhook delivery's event.context holds no Bundle")
    except (UnreadableError, ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
        return [_unreadable(text, error, source)]
    return [_from_topic(bundle, topic, source) for bundle in context]


def _from_topic(bundle: Any, topic: Any, source: str) -> LifeEvent:
    try:
        event = read_bundle(bundle, source=source)
        if topic is not None and not str(topic).upper().startswith(f"{event.kind.upper()}_"):
            raise UnreadableError(f"the hub topic {str(topic)[:40]!r} is not for {an(event.kind)}, the bundle's kind")
        return event
    except (UnreadableError, ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
        return _unreadable(json.dumps(bundle, sort_keys=True), error, source, topic=topic)


def _unreadable(text: str, error: Exception, source: str, *, topic: Any = None) -> LifeEvent:
    """A document that cannot be read is kept as failed under the digest of its text (and topic)."""
    digest = hashlib.sha256(f"{topic or ''}\n{text}".encode() if topic else text.encode()).hexdigest()[:32]
    reason = f"not an OpenCRVS birth or death document: {error}"
    return LifeEvent(source, f"sha256:{digest}", "unknown", None, {}, problem=reason[:500])


def read_bundle(document: Any, *, source: str = SOURCE) -> LifeEvent:
    if not isinstance(document, dict):
        raise UnreadableError("the document is not a JSON object")
    bundle = document
    if bundle.get("resourceType") != "Bundle":
        raise UnreadableError(f"resourceType is {bundle.get('resourceType')!r}, not 'Bundle'")
    resources = {f"{r['resourceType']}/{r['id']}": r for r in _resources(bundle)}
    composition = _one(resources, "Composition")
    task = next((r for r in resources.values() if r["resourceType"] == "Task"), {})
    code = _code(composition.get("type"))
    kind = KINDS.get(code or "") or TASK_KINDS.get(_code(task.get("code")) or "")
    if kind is None:
        raise UnreadableError(f"the Composition's type {code!r} is neither a birth nor a death")
    people = _sections(composition, resources, ROLES[kind])
    facts: dict[str, Any] = {}
    for fact, patient in people.items():
        facts[fact] = _national_id(patient)
    subject = people.get("person_id", {})
    facts |= _names(subject) | _nationality(subject)
    if kind == EventKind.BIRTH:
        facts["sex"] = SEXES.get(subject.get("gender", ""), subject.get("gender"))
        when = subject.get("birthDate")
    else:
        when = (subject.get("deceasedDateTime") or "")[:10] or None
        if subject.get("birthDate"):
            facts["birth_date"] = subject["birthDate"]
    status = _code(task.get("businessStatus"))
    if status:
        facts["status"] = status
    return LifeEvent(source, _event_id(task, composition), kind.value, _date(when), _clean(facts))


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        raise UnreadableError("the Bundle has no entries")
    resources = [e.get("resource") for e in entries if isinstance(e, dict)]
    return [r for r in resources if isinstance(r, dict) and "resourceType" in r and "id" in r]


def _one(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [r for r in resources.values() if r["resourceType"] == kind]
    if not found:
        raise UnreadableError(f"the Bundle has no {kind}")
    return found[0]


def _code(concept: Any) -> str | None:
    """The first code of a CodeableConcept (OpenCRVS writes `coding` as a list, or as one object)."""
    if not isinstance(concept, dict):
        return None
    coding = concept.get("coding")
    first = coding[0] if isinstance(coding, list) and coding else coding
    return first.get("code") if isinstance(first, dict) else None


def _sections(composition: dict[str, Any], resources: dict[str, Any], roles: dict[str, str]) -> dict[str, Any]:
    found = {}
    for section in composition.get("section", []):
        role = roles.get(_code(section.get("code")) or "")
        entries = section.get("entry") or []
        if role and entries:
            patient = resources.get(entries[0].get("reference", ""))
            if patient is not None and patient.get("resourceType") == "Patient":
                found[role] = patient
    if "person_id" not in found:
        wanted = " or ".join(r for r, f in roles.items() if f == "person_id")
        raise UnreadableError(f"no Patient in the {wanted} section")
    return found


def _national_id(patient: dict[str, Any]) -> str | None:
    for identifier in patient.get("identifier") or []:
        if _code(identifier.get("type")) == "NATIONAL_ID" and identifier.get("value"):
            return str(identifier["value"])
    return None


def _names(patient: dict[str, Any]) -> dict[str, str]:
    names = {}
    for name in patient.get("name") or []:
        script = "ar" if name.get("use") == "ar" else "en"
        given = [g for g in name.get("given") or [] if g and g.strip()]
        if given:
            names[f"given_name_{script}"] = given[0].strip()
        if (name.get("family") or "").strip():
            names[f"family_name_{script}"] = name["family"].strip()
    return names


def _nationality(patient: dict[str, Any]) -> dict[str, str]:
    """ISO 3166 alpha-3 (as OpenCRVS writes it) to the people table's alpha-2; a code no country has
    (OpenCRVS's demonstration country 'FAR') says nothing, and the parents' nationality is used."""
    for extension in patient.get("extension") or []:
        if not str(extension.get("url", "")).endswith("patient-nationality"):
            continue
        for part in extension.get("extension") or []:
            code = _code(part.get("valueCodeableConcept")) if part.get("url") == "code" else None
            country = pycountry.countries.get(alpha_3=code) if code and len(code) == 3 else None
            if country is not None:
                return {"nationality": country.alpha_2}
            if code and len(code) == 2:
                return {"nationality": code}
    return {}


def _event_id(task: dict[str, Any], composition: dict[str, Any]) -> str:
    for identifier in task.get("identifier") or []:
        if str(identifier.get("system", "")).endswith("tracking-id") and identifier.get("value"):
            return str(identifier["value"])
    value = (composition.get("identifier") or {}).get("value") or composition.get("id")
    if not value:
        raise UnreadableError("no tracking id in the Task and no identifier on the Composition")
    return str(value)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise UnreadableError(f"{text!r} is not a date") from None


def _clean(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if v is not None and v != ""}


def read_json(raw: bytes) -> list[LifeEvent]:
    """A file or body: one document, or a JSON list of documents."""
    try:
        document = json.loads(raw)
    except ValueError:
        return read_document(raw)
    if isinstance(document, list):
        return [e for d in document for e in read_document(json.dumps(d))]
    return read_document(raw)
