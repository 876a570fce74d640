"""Users: recorded on first contact, refreshed on every update, locale choice kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.errors import UnknownUser
from storage.users import UsersRepo
from tests.storage.samples import NOW


async def test_first_contact_records_the_user_with_the_default_locale(db: Database) -> None:
    user = await UsersRepo(db).touch(
        user_id=7, chat_id=70, first_name="李", username=None, default_locale="zh", now=NOW
    )
    assert (user.user_id, user.chat_id, user.first_name, user.username) == (7, 70, "李", None)
    assert user.locale == "zh" and not user.locale_chosen
    assert user.phone is None and not user.phone_verified
    assert user.unreachable_at is None
    assert user.created_at == datetime(2026, 11, 27, 1, 48, tzinfo=UTC)
    assert user.created_at.tzinfo is UTC


async def test_later_contact_refreshes_names_but_keeps_the_chosen_locale(db: Database) -> None:
    users = UsersRepo(db)
    await users.touch(
        user_id=7, chat_id=70, first_name="李", username="li", default_locale="zh", now=NOW
    )
    await users.set_locale(7, "en", NOW + timedelta(minutes=1))
    later = NOW + timedelta(days=1)
    user = await users.touch(
        user_id=7, chat_id=71, first_name="Li", username="li2", default_locale="zh", now=later
    )
    assert (user.chat_id, user.first_name, user.username) == (71, "Li", "li2")
    assert user.locale == "en" and user.locale_chosen
    assert user.created_at == NOW and user.updated_at == later


async def test_an_unchanged_touch_does_not_rewrite_the_row(db: Database) -> None:
    users = UsersRepo(db)
    await users.touch(
        user_id=7, chat_id=70, first_name="李", username="li", default_locale="zh", now=NOW
    )
    user = await users.touch(
        user_id=7,
        chat_id=70,
        first_name="李",
        username="li",
        default_locale="en",
        now=NOW + timedelta(hours=1),
    )
    assert user.updated_at == NOW
    assert user.locale == "zh"


async def test_phone_and_reachability(db: Database) -> None:
    users = UsersRepo(db)
    await users.touch(
        user_id=7, chat_id=70, first_name=None, username=None, default_locale="zh", now=NOW
    )
    await users.set_phone(7, "+8613800138000", verified=True, now=NOW)
    await users.mark_unreachable(7, NOW + timedelta(hours=2))
    user = await users.get(7)
    assert user is not None
    assert user.phone == "+8613800138000" and user.phone_verified
    assert user.unreachable_at == NOW + timedelta(hours=2)

    # Writing to the bot again proves the chat works.
    user = await users.touch(
        user_id=7, chat_id=70, first_name=None, username=None, default_locale="zh", now=NOW
    )
    assert user.unreachable_at is None

    await users.set_phone(7, "13900000000", verified=False, now=NOW)
    user = await users.get(7)
    assert user is not None and user.phone == "13900000000" and not user.phone_verified


async def test_unknown_users_are_reported(db: Database) -> None:
    users = UsersRepo(db)
    assert await users.get(404) is None
    with pytest.raises(UnknownUser) as missing:
        await users.set_locale(404, "en", NOW)
    assert missing.value.user_id == 404
    with pytest.raises(UnknownUser):
        await users.set_phone(404, "1", verified=False, now=NOW)


async def test_naive_timestamps_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        await UsersRepo(db).touch(
            user_id=7,
            chat_id=70,
            first_name=None,
            username=None,
            default_locale="zh",
            now=datetime(2026, 11, 27, 9, 48),
        )
    assert await UsersRepo(db).get(7) is None
