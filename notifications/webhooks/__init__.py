"""Outgoing webhooks: events POSTed, signed, to the URLs the utility's systems subscribed."""
