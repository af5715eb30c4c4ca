-- mailroom_emit_events in PL/pgSQL, the same statement inside. As an SQL function it was planned
-- again on every call: 0.7 ms per call against 0.05 ms to run, paid once per message by callers
-- that emit one event per statement (the inbound MX's inbound.received, whether or not any
-- endpoint wants it: 7.9 of the 27.7 s of a 10,000-message bench:inbound --peers run).
-- PL/pgSQL keeps the statement's plan for the session.
CREATE OR REPLACE FUNCTION mailroom_emit_events(p_accounts UUID[], p_types TEXT[], p_data JSONB[], p_always BOOLEAN DEFAULT false)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
  emitted INTEGER;
BEGIN
  WITH src AS (
    SELECT s.account_id, s.type, s.data
      FROM unnest(p_accounts, p_types, p_data) AS s(account_id, type, data)
     WHERE p_always OR EXISTS (SELECT 1 FROM webhooks w
                                WHERE w.account_id = s.account_id AND w.enabled AND (s.type = ANY (w.events) OR '*' = ANY (w.events)))),
  ev AS (
    INSERT INTO events (id, account_id, type, payload, created_at)
    SELECT gen_random_uuid(), account_id, type, jsonb_build_object('type', type, 'timestamp', mailroom_event_time(now()), 'data', data), now()
      FROM src
    RETURNING id, account_id, type),
  deliveries AS (
    INSERT INTO webhook_deliveries (webhook_id, account_id, event_id, event_type)
    SELECT w.id, ev.account_id, ev.id, ev.type
      FROM ev JOIN webhooks w ON w.account_id = ev.account_id AND w.enabled AND (ev.type = ANY (w.events) OR '*' = ANY (w.events))
    RETURNING 1),
  -- Wakes the workers' pumps when the transaction commits (several notices of one transaction
  -- arrive as one); they also look every second without it.
  notified AS (SELECT pg_notify('mailroom_webhooks', '') FROM (SELECT 1 FROM deliveries LIMIT 1) d)
  SELECT (SELECT count(*)::int FROM ev) INTO emitted FROM (SELECT count(*) FROM notified) n;
  RETURN emitted;
END $$;
