-- Rare outcomes of each durable consumer, counted for operators and the fault-injection checker:
-- applied events are the rows of processed_events; these are the ones that changed nothing.
CREATE TABLE consumer_stats (
    consumer      TEXT   PRIMARY KEY,
    -- Deliveries of an event already applied (redelivery after a lost ack, duplicate publish).
    duplicates    BIGINT NOT NULL DEFAULT 0,
    -- Failed attempts that were nak'ed for a later retry.
    retried       BIGINT NOT NULL DEFAULT 0,
    -- Messages copied to the dead-letter subject and terminated.
    dead_lettered BIGINT NOT NULL DEFAULT 0
);
