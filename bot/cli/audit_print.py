"""The text ``hvconnect audit`` prints: plain lines an auditor can read, file or paste."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import TextIO

from storage.audit import Actor, AuditTrail

ROLE_NAMES = {
    "customer": "customer",
    "customer_manager": "customer manager",
    "project_manager": "project manager",
    "supervisor": "supervisor",
    "admin": "admin",
    "operator": "operator (command line)",
    "system": "system",
}


def print_audit(trail: AuditTrail, tz: tzinfo, out: TextIO) -> None:
    a = trail.application
    customer = trail.actors.get(a.customer_id)

    def when(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")

    print(f"{a.number}  {a.applicant_name} · {a.project_name}", file=out)
    print(
        f"  customer {_who(customer, a.customer_id)}; contact {a.contact_name} "
        f"{a.contact_mobile}; credit code {a.uscc}",
        file=out,
    )
    print(
        f"  {a.district}, {a.voltage_kv} kV, {a.capacity_kva} kVA, {a.supply_mode}; "
        f"stage {a.stage} ({a.step}), status {a.status}, version {a.version}",
        file=out,
    )
    print(f"  submitted {when(a.submitted_at)}, last change {when(a.updated_at)}", file=out)
    print(f"\nhistory ({len(trail.events)} events)", file=out)
    for event in trail.events:
        actor = trail.actors.get(event.actor_id) if event.actor_id is not None else None
        role = ROLE_NAMES.get(event.actor_role, event.actor_role)
        line = f"  {when(event.created_at)}  {event.kind:<24} {role}"
        if event.actor_id is not None:
            line += f": {_who(actor, event.actor_id)}"
        if event.note:
            line += f"\n      note: {event.note}"
        if event.data:
            line += "\n      " + json.dumps(event.data, ensure_ascii=False, sort_keys=True)
        print(line, file=out)
    print(f"\nmessages ({len(trail.messages)})", file=out)
    for message in trail.messages:
        sender = trail.actors.get(message.sender_id)
        role = ROLE_NAMES.get(message.sender_role, message.sender_role)
        attachment = f" [{message.file_kind}]" if message.file_kind else ""
        print(
            f"  {when(message.created_at)}  {role} {_who(sender, message.sender_id)}"
            f"{attachment}: {message.text or ''}",
            file=out,
        )
    print(f"\ndocuments ({len(trail.documents)})", file=out)
    for doc in trail.documents:
        uploader = trail.actors.get(doc.uploaded_by) if doc.uploaded_by is not None else None
        size = f", {doc.file_size} bytes" if doc.file_size is not None else ""
        caption = f" — {doc.caption}" if doc.caption else ""
        by = _who(uploader, doc.uploaded_by) if doc.uploaded_by is not None else "unknown"
        print(
            f"  {when(doc.uploaded_at)}  {doc.kind}: {doc.file_name or doc.file_id} "
            f"({doc.mime_type or 'unknown type'}{size}) by {by}{caption}",
            file=out,
        )

    print(f"\nintegration API calls ({len(trail.api_calls)})", file=out)
    for call in trail.api_calls:
        print(
            f"  {when(call.at)}  {call.client}: {call.method} {call.path} -> {call.status}",
            file=out,
        )


def _who(actor: Actor | None, user_id: int) -> str:
    if actor is None or actor.name is None:
        return f"#{user_id}"
    return f"{actor.name} (#{user_id})"
