"""The shape every action shares: settings read once, errors by category, the unit of work."""

from __future__ import annotations

from pathlib import Path

import pytest

from himaya.core.errors import (
    Category,
    ConflictError,
    ForbiddenError,
    HimayaError,
    InputTableError,
    NotFoundError,
    StaleRecordError,
    UsageError,
)
from himaya.core.settings import Settings


def test_settings_come_from_the_given_environment_only() -> None:
    settings = Settings.from_environ(
        {
            "HIMAYA_DATABASE_URL": "sqlite:///x.db",
            "HIMAYA_TRUSTED_PROXIES": " 127.0.0.1 , 10.0.0.1 ",
            "HIMAYA_BANK_FILES": "/srv/bank",
        }
    )
    assert settings.database_url == "sqlite:///x.db"
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.1")
    assert settings.bank_files == Path("/srv/bank")
    empty = Settings.from_environ({})
    assert empty.database_url is None and empty.pack == "oman"
    assert empty.trusted_proxies == ()


def test_a_short_signing_key_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(UsageError, match="at least 32 characters"):
        Settings.from_environ({"HIMAYA_SIGNING_KEY": "short"})


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (UsageError("x"), Category.INVALID_INPUT),
        (InputTableError("f.csv", []), Category.INVALID_INPUT),
        (NotFoundError("x"), Category.NOT_FOUND),
        (ConflictError("x"), Category.CONFLICT),
        (StaleRecordError("x"), Category.CONFLICT),
        (ForbiddenError("x"), Category.FORBIDDEN),
    ],
)
def test_every_error_has_a_category(error: HimayaError, category: Category) -> None:
    assert error.category is category


def test_every_category_has_an_http_status_and_an_exit_status() -> None:
    from himaya.api.errors import STATUS  # noqa: PLC0415
    from himaya.cli.app import EXIT_STATUS  # noqa: PLC0415

    assert set(STATUS) == set(Category) == set(EXIT_STATUS)
    assert len(set(EXIT_STATUS.values())) == len(Category)  # a script can tell them apart
    assert StaleRecordError("x").error_code == "stale_record"
