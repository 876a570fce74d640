"""Whether an applicant is a person, which decides if its name and site address are sealed.

Under the Personal Information Protection Law a company's name and address are not personal
data, but a sole trader's (个体工商户) are: the business is called after its owner and often
registered at their home. A residential connection's site is someone's home. Such an
application's ``applicant_name`` and ``site_address`` are sealed like the other personal
fields (storage/sealing/columns.py ``SEALED_WHEN``); a company's stay in clear so that staff
can find it by any part of its name.
"""

from __future__ import annotations

from process.stages import UsageCategory
from storage.sealing.crypto import SEALED_PREFIX

# The second character of a unified social credit code is the kind of body registered; under
# the market regulator ("9"), "2" is an individual business (GB 32100-2015).
SOLE_TRADER_USCC_PREFIX = "92"


def is_personal_applicant(uscc: str | None, usage_category: str | None) -> bool:
    """A sole trader by its credit code, or a residential connection."""
    return usage_category == UsageCategory.RESIDENTIAL.value or (uscc or "").upper().startswith(
        SOLE_TRADER_USCC_PREFIX
    )


def must_seal(personal: bool, value: str) -> bool:
    """Seal a person's value; and any value that would read as sealed if kept in clear."""
    return personal or value.startswith(SEALED_PREFIX)
