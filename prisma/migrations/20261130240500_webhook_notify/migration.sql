-- New webhook deliveries wake the workers' pumps through NOTIFY mailroom_webhooks (sent when the
-- writing transaction commits), so they need not poll PostgreSQL ten times a second to send
-- within milliseconds; the pumps still look every second for retries that came due and for work
-- Redis lost.
CREATE OR REPLACE FUNCTION mailroom_emit_events(p_accounts UUID[], p_types TEXT[], p_data JSONB[], p_always BOOLEAN DEFAULT false)
RETURNS INTEGER LANGUAGE sql AS $$
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
  SELECT (SELECT count(*)::int FROM ev) FROM (SELECT count(*) FROM notified) n
$$;
