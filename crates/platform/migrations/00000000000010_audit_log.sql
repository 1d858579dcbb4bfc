-- Who wrote what, when, and with which outcome (issue 8). One row per write RPC that reached a
-- handler with a verified token; written by the platform's auth layer after the handler answered.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    subject     TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'partner', 'public', 'service')),
    partner_id  UUID,
    method      TEXT NOT NULL,
    object_id   TEXT,
    outcome     TEXT NOT NULL,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_at ON audit_log (at);
