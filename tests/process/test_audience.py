"""Who hears about an application: the holders, the overseers in their place or besides."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from process.audience import audience, overseers_hear

CM, PM, SUP, ADMIN = 2001, 2002, 3001, 9001
OVERSEERS = (SUP, ADMIN)


def test_the_customer_manager_answers_for_a_held_application() -> None:
    assert audience(
        customer_manager_id=CM,
        project_manager_id=PM,
        overseer_ids=OVERSEERS,
        project_manager_too=False,
    ) == (CM,)
    assert audience(
        customer_manager_id=CM,
        project_manager_id=PM,
        overseer_ids=OVERSEERS,
        project_manager_too=True,
    ) == (CM, PM)


def test_overseers_stand_in_while_no_customer_manager_holds_it() -> None:
    assert audience(
        customer_manager_id=None,
        project_manager_id=None,
        overseer_ids=OVERSEERS,
        project_manager_too=True,
    ) == (SUP, ADMIN)
    # A project manager alone does not answer for the application.
    assert audience(
        customer_manager_id=None,
        project_manager_id=PM,
        overseer_ids=OVERSEERS,
        project_manager_too=True,
    ) == (PM, SUP, ADMIN)


def test_an_escalation_reaches_the_overseers_first_whoever_holds_it() -> None:
    assert audience(
        customer_manager_id=CM,
        project_manager_id=PM,
        overseer_ids=OVERSEERS,
        project_manager_too=False,
        escalation=True,
    ) == (SUP, ADMIN, CM)


ids = st.one_of(st.none(), st.sampled_from((CM, PM, SUP, ADMIN)))


@given(
    cm=ids,
    pm=ids,
    overseers=st.lists(st.sampled_from((SUP, ADMIN, CM)), max_size=3),
    pm_too=st.booleans(),
    escalation=st.booleans(),
)
def test_properties(
    cm: int | None, pm: int | None, overseers: list[int], pm_too: bool, escalation: bool
) -> None:
    heard = audience(
        customer_manager_id=cm,
        project_manager_id=pm,
        overseer_ids=overseers,
        project_manager_too=pm_too,
        escalation=escalation,
    )
    holders = {i for i in (cm, pm if pm_too else None) if i is not None}
    assert len(heard) == len(set(heard))  # each told once
    assert holders <= set(heard)  # the holders concerned always hear
    if overseers_hear(cm, escalation=escalation):
        assert set(heard) == holders | set(overseers)
    else:
        assert set(heard) == holders  # a customer manager answers: nobody else is bothered
    assert overseers_hear(cm, escalation=escalation) == (escalation or cm is None)
