"""A new family registered from the front office: its head, with the family's number, place and the
head's facts; `registry.actions.register` as the API's `POST /people` (a head of a new family belongs
to the branch of the place given (the pack's place column: Oman's wilayat, Iraq's district; its
governorate follows): another branch's place is refused, a person's number registered already is
answered as the API does)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.core.access import Permission
from himaya.core.clock import today
from himaya.core.errors import ConflictError, HimayaError, InvalidInputError
from himaya.policy.pack import PolicyPack
from himaya.registry import actions
from himaya.registry.model import FamilyTakenError
from himaya.web.pages import PageError, Visitor, explain, officer, posted, redirect, render
from himaya.web.routes.registration import field_errors, registered, require_permission

router = APIRouter(prefix="/office/families", include_in_schema=False)
NAMES = tuple(f"{part}_{script}" for part in ("given_name", "father_name", "grandfather_name", "family_name")
              for script in ("ar", "en"))  # fmt: skip
FIELDS = ("person_id", "family_id", "sex", "birth_date", "nationality", "marital_status", "wilayat", "mobile", *NAMES)


def _fields(pack: PolicyPack) -> tuple[str, ...]:
    """The form's fields: the place is the pack's place column (a wilayat, Iraq's district)."""
    return tuple(pack.place_column if f == "wilayat" else f for f in FIELDS)


def _page(request: Request, seen: Visitor, **context: Any) -> Response:
    pack = request.app.state.pack
    values = context.pop("values", None) or {"nationality": pack.country, "resident": "1"}
    names = pack.code_names.get(pack.place_column, {})
    language = seen.locale.language
    places = sorted(pack.places, key=lambda p: names[p].in_(language) if p in names else p)
    return render(
        request, seen, "new_family.html", values=values, errors=context.pop("errors", {}), places=places,
        statuses=list(pack.code_names.get("marital_status", {})), names=NAMES, place=pack.place_column,
        today=today(pack.timezone).isoformat(), **context,
    )  # fmt: skip


@router.get("/new")
def new_family_form(request: Request, seen: Annotated[Visitor, Depends(officer)]) -> Response:
    require_permission(seen, Permission.PERSON_CREATE)
    return _page(request, seen)


@router.post("/new")
def new_family(
    request: Request, seen: Annotated[Visitor, Depends(officer)], form: Annotated[Mapping[str, str], Depends(posted)]
) -> Response:
    """Register the head of a new family (the family's number as on its family card)."""
    require_permission(seen, Permission.PERSON_CREATE)
    pack = request.app.state.pack
    fields = _fields(pack)
    values = {k: form.get(k, "").strip()[:100] for k in fields} | {"resident": form.get("resident", "")}
    record: dict[str, Any] = {k: values[k] or None for k in fields}
    record |= {"relationship": "head", "resident": bool(values["resident"])}
    try:
        written = actions.register(
            bootstrap.unit_of_work(request.app.state.engine),
            bootstrap.registry_contract(pack),
            record,
            valid_from=None,
            principal=seen.user,
        )
    except InvalidInputError as error:
        errors = field_errors(seen, error, pack)
        for column in set(errors) - {"", *fields}:  # a value the form does not hold (the governorate)
            errors[""] = f"{errors.get('', '')} {errors.pop(column)}".strip()
        return _page(request, seen, values=values, errors=errors, status=422)
    except FamilyTakenError:
        errors = {"family_id": seen._("This family number is in use: choose another.")}
        return _page(request, seen, values=values, errors=errors, status=409)
    except ConflictError:
        errors = {"person_id": registered(seen, pack)}
        return _page(request, seen, values=values, errors=errors, status=409)
    except HimayaError as error:
        status, message = explain(seen, error)
        if status == 403:  # a place outside the user's branches: said on the form, next to the place
            return _page(request, seen, values=values, errors={pack.place_column: message}, status=403)
        raise PageError(status, message) from None
    return redirect(f"/office/people/{written.civil_number}")
