"""The one rule of what a member of staff may see and touch (:mod:`process.roles`)."""

from __future__ import annotations

import pytest

from process.roles import Reach, Role, reach_of, within_reach


@pytest.mark.parametrize(
    ("role", "district", "reach"),
    [
        (Role.ADMIN, None, Reach.EVERY),
        (Role.ADMIN, "汉台区", Reach.EVERY),  # an admin enrolled in a district before
        (Role.SUPERVISOR, None, Reach.EVERY),
        (Role.SUPERVISOR, "汉台区", Reach.DISTRICT),
        (Role.CUSTOMER_MANAGER, None, Reach.HELD),
        (Role.PROJECT_MANAGER, "汉台区", Reach.HELD),
    ],
)
def test_reach_of_each_kind_of_member(role: Role, district: str | None, reach: Reach) -> None:
    assert reach_of(role, district) is reach


@pytest.mark.parametrize(
    ("role", "district", "user_id", "seen"),
    [
        (Role.SUPERVISOR, "汉台区", 3001, True),
        (Role.SUPERVISOR, "南郑区", 3002, False),
        (Role.SUPERVISOR, None, 3003, True),
        (Role.ADMIN, "南郑区", 9001, True),
        (Role.CUSTOMER_MANAGER, "汉台区", 2001, True),  # holds it
        (Role.CUSTOMER_MANAGER, "汉台区", 2005, False),  # same district, does not hold it
        (Role.CUSTOMER_MANAGER, None, 2006, False),  # every district, does not hold it
        (Role.PROJECT_MANAGER, "南郑区", 2002, True),  # holds it, whatever the district
    ],
)
def test_an_application_of_hantai_held_by_2001_and_2002(
    role: Role, district: str | None, user_id: int, seen: bool
) -> None:
    assert (
        within_reach(
            role=role,
            district=district,
            user_id=user_id,
            application_district="汉台区",
            customer_manager_id=2001,
            project_manager_id=2002,
        )
        is seen
    )
