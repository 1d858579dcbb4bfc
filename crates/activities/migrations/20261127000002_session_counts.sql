-- A session's registration counts, kept on its row under the same lock as its version, so that a
-- registration decides seat or waitlist (and builds its event) without counting the session's
-- registrations. Seated = registered + attended + no_show (seat holders).
ALTER TABLE sessions
    ADD COLUMN seated     INT NOT NULL DEFAULT 0 CHECK (seated >= 0),
    ADD COLUMN waitlisted INT NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
    ADD COLUMN attended   INT NOT NULL DEFAULT 0 CHECK (attended >= 0),
    ADD COLUMN no_show    INT NOT NULL DEFAULT 0 CHECK (no_show >= 0),
    ADD COLUMN cancelled  INT NOT NULL DEFAULT 0 CHECK (cancelled >= 0);

UPDATE sessions s SET
    seated     = c.seated,
    waitlisted = c.waitlisted,
    attended   = c.attended,
    no_show    = c.no_show,
    cancelled  = c.cancelled
FROM (
    SELECT session_id,
           count(*) FILTER (WHERE status IN ('registered', 'attended', 'no_show')) AS seated,
           count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted,
           count(*) FILTER (WHERE status = 'attended') AS attended,
           count(*) FILTER (WHERE status = 'no_show') AS no_show,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled
    FROM registrations GROUP BY session_id
) c
WHERE c.session_id = s.id;

-- Capacity, in the database too: no seat beyond it, whatever the code does.
ALTER TABLE sessions ADD CONSTRAINT sessions_seats_within_capacity CHECK (seated <= capacity);
