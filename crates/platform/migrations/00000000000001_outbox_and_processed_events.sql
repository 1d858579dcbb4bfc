-- Platform tables present in every service database (see platform::outbox and platform::consumer).

-- Events written in the same transaction as the change they describe; the relay publishes them.
CREATE TABLE outbox (
    -- Commit-independent order of insertion: the relay publishes in this order.
    seq               BIGSERIAL   NOT NULL UNIQUE,
    -- UUIDv7; also the Nats-Msg-Id header, so JetStream drops a re-sent row.
    event_id          UUID        PRIMARY KEY,
    -- Subject without the deployment prefix, e.g. 'registry.partner.registered'.
    subject           TEXT        NOT NULL CHECK (subject <> ''),
    -- Fully qualified protobuf message name of the payload, e.g. 'ess.events.v1.PartnerRegistered'.
    event_type        TEXT        NOT NULL CHECK (event_type <> ''),
    payload           BYTEA       NOT NULL,
    aggregate_id      TEXT        NOT NULL,
    aggregate_version BIGINT      NOT NULL CHECK (aggregate_version > 0),
    -- W3C trace context of the span that wrote the row, so the trace continues through the relay.
    traceparent       TEXT,
    tracestate        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at      TIMESTAMPTZ
);

-- The relay only ever scans unpublished rows.
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- One row per event a consumer has applied: the primary key makes application idempotent.
CREATE TABLE processed_events (
    consumer     TEXT        NOT NULL,
    event_id     UUID        NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
