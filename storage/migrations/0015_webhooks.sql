-- Outgoing webhooks: the utility's other systems subscribe a URL to kinds of events, and
-- every matching event is POSTed to it, signed (notifications/webhooks/, README "Outgoing
-- webhooks").
--
-- A subscription belongs to an API client, named as the client is named. It is not a
-- foreign key: subscriptions are managed from the command line and stand on their own.
-- event_kinds is a JSON array of event kinds, or NULL for every kind. The signing secret
-- is sealed at rest like personal data (storage/sealing/columns.py): a copy of the file
-- must not let anyone forge the bot's signature. Removing a subscription deactivates it;
-- its deliveries stay as the record of what was sent.
CREATE TABLE webhook_subscriptions (
    id              INTEGER PRIMARY KEY,
    client_name     TEXT    NOT NULL CHECK (length(client_name) > 0),
    url             TEXT    NOT NULL CHECK (url LIKE 'https://%' OR url LIKE 'http://%'),
    event_kinds     TEXT    CHECK (event_kinds IS NULL
                                   OR (json_valid(event_kinds)
                                       AND json_type(event_kinds) = 'array')),
    signing_secret  TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      TEXT    NOT NULL
);

-- One row per (subscription, event): the webhook's outbox. A row is open until it is
-- delivered or dead; the open row with the lowest event id is its subscription's head,
-- and only the head is sent, so a receiver sees a subscription's events in order.
-- in_flight_since marks the head being posted: a row still marked at start-up was cut off
-- by a crash and is posted again (at-least-once; receivers dedupe by the event id).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES webhook_subscriptions (id),
    event_id         INTEGER NOT NULL REFERENCES events (id),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT    NOT NULL,
    in_flight_since  TEXT,
    last_error       TEXT,
    delivered_at     TEXT,
    dead_at          TEXT,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (subscription_id, event_id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;

-- The deliveries are written by the database itself, in the transaction that appends the
-- event: events are appended from many places (storage/events.py append_event and the
-- repositories and services that call it), and a trigger is the one place that cannot be
-- forgotten by the next one. An event rolled back takes its deliveries with it.
CREATE TRIGGER events_to_webhooks AFTER INSERT ON events
BEGIN
    INSERT INTO webhook_deliveries (subscription_id, event_id, next_attempt_at)
    SELECT s.id, NEW.id, NEW.created_at
    FROM webhook_subscriptions AS s
    WHERE s.active = 1
      AND (s.event_kinds IS NULL
           OR EXISTS (SELECT 1 FROM json_each(s.event_kinds) AS k WHERE k.value = NEW.kind));
END;
