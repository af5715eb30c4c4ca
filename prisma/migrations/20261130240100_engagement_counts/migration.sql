-- People's opens and clicks count once per recipient (the first), as open and click rates want;
-- machines' (privacy proxies, link scanners) count every time, apart. A click found later to be
-- a scanner's (its data.machine turned true) moves to the machine count, and the recipient
-- stops counting as a clicker when no person's click of theirs is left.

-- Whether this opened/clicked event is its recipient's first by a person (none before it).
CREATE FUNCTION mailroom_first_engagement(e message_events) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
  SELECT NOT EXISTS (SELECT 1 FROM message_events x
                      WHERE x.message_id = e.message_id AND x.recipient_id = e.recipient_id AND x.type = e.type
                        AND (x.data->'machine') IS DISTINCT FROM 'true'::jsonb AND x.id < e.id)
$$;

CREATE OR REPLACE FUNCTION mailroom_message_events_out() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_events WHERE type NOT IN ('queued', 'sending')) THEN
    RETURN NULL;
  END IF;

  INSERT INTO hourly_stats AS s (account_id, tag, hour, domain_id, stream, campaign_id, delivered, deferred, bounced_hard, bounced_soft,
                                 blocked, failed, complained, suppressed, opened, clicked, machine_opened, machine_clicked,
                                 unsubscribed, unsubscribe_delay_max)
  SELECT e.account_id, t.tag, date_trunc('hour', e.created_at, 'UTC'), m.domain_id, m.stream, COALESCE(m.campaign_id::text, ''),
         count(*) FILTER (WHERE e.type = 'delivered'),
         count(*) FILTER (WHERE e.type = 'deferred'),
         count(*) FILTER (WHERE e.type = 'bounced' AND COALESCE(e.data->>'bounce_type', r.bounce_type::text, 'hard') = 'hard'),
         count(*) FILTER (WHERE e.type = 'bounced' AND COALESCE(e.data->>'bounce_type', r.bounce_type::text, 'hard') <> 'hard'),
         count(*) FILTER (WHERE e.type = 'blocked'),
         count(*) FILTER (WHERE e.type = 'failed'),
         count(*) FILTER (WHERE e.type = 'complained'),
         count(*) FILTER (WHERE e.type = 'suppressed'),
         count(*) FILTER (WHERE e.type = 'opened' AND (e.data->'machine') IS DISTINCT FROM 'true'::jsonb AND mailroom_first_engagement(e)),
         count(*) FILTER (WHERE e.type = 'clicked' AND (e.data->'machine') IS DISTINCT FROM 'true'::jsonb AND mailroom_first_engagement(e)),
         count(*) FILTER (WHERE e.type = 'opened' AND (e.data->'machine') = 'true'::jsonb),
         count(*) FILTER (WHERE e.type = 'clicked' AND (e.data->'machine') = 'true'::jsonb),
         count(*) FILTER (WHERE e.type = 'unsubscribed'),
         COALESCE(max(GREATEST(0, extract(epoch FROM e.created_at - mailroom_try_timestamptz(e.data->>'requested_at'))))
                    FILTER (WHERE e.type = 'unsubscribed'), 0)::int
    FROM new_events e
    JOIN messages m ON m.id = e.message_id
    LEFT JOIN recipients r ON r.id = e.recipient_id
    CROSS JOIN LATERAL (SELECT '' AS tag UNION SELECT unnest(m.tags)) t
   WHERE e.type NOT IN ('queued', 'sending')
   GROUP BY 1, 2, 3, 4, 5, 6
   ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (account_id, tag, hour, domain_id, stream, campaign_id) DO UPDATE SET
     delivered = s.delivered + EXCLUDED.delivered, deferred = s.deferred + EXCLUDED.deferred,
     bounced_hard = s.bounced_hard + EXCLUDED.bounced_hard, bounced_soft = s.bounced_soft + EXCLUDED.bounced_soft,
     blocked = s.blocked + EXCLUDED.blocked, failed = s.failed + EXCLUDED.failed, complained = s.complained + EXCLUDED.complained,
     suppressed = s.suppressed + EXCLUDED.suppressed, opened = s.opened + EXCLUDED.opened, clicked = s.clicked + EXCLUDED.clicked,
     machine_opened = s.machine_opened + EXCLUDED.machine_opened, machine_clicked = s.machine_clicked + EXCLUDED.machine_clicked,
     unsubscribed = s.unsubscribed + EXCLUDED.unsubscribed,
     unsubscribe_delay_max = GREATEST(s.unsubscribe_delay_max, EXCLUDED.unsubscribe_delay_max);

  INSERT INTO bounce_stats AS b (account_id, day, domain_id, kind, bounce_type, enhanced, recipient_domain, mx_domain, count, sample)
  SELECT e.account_id, (e.created_at AT TIME ZONE 'UTC')::date, m.domain_id, e.type::text,
         CASE WHEN e.type = 'bounced' THEN COALESCE(e.data->>'bounce_type', r.bounce_type::text, 'hard') ELSE '' END,
         COALESCE(NULLIF(e.data->>'enhanced', ''), r.last_enhanced, ''), r.domain, mailroom_mx_domain(r.last_mx_host),
         count(*), left(max(COALESCE(r.last_response, e.detail, '')), 300)
    FROM new_events e
    JOIN messages m ON m.id = e.message_id
    JOIN recipients r ON r.id = e.recipient_id
   WHERE e.type IN ('bounced', 'blocked')
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
   ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (account_id, day, domain_id, kind, bounce_type, enhanced, recipient_domain, mx_domain) DO UPDATE
     SET count = b.count + EXCLUDED.count, sample = EXCLUDED.sample;

  PERFORM mailroom_emit_events(array_agg(x.account_id), array_agg(x.type), array_agg(x.data))
     FROM (
       SELECT e.account_id, 'message.' || e.type AS type,
              -- What every message event carries, then what its type adds (no keys that are always null).
              jsonb_build_object(
                'message_id', e.message_id,
                'recipient_id', e.recipient_id,
                'recipient', r.email,
                'from', left(m.from_address, 500),
                'subject', left(m.subject, 500),
                'message_id_header', m.message_id_header,
                'stream', m.stream,
                'campaign_id', m.campaign_id,
                'tags', to_jsonb(m.tags),
                'metadata', m.metadata)
              || CASE WHEN e.type IN ('delivered', 'deferred', 'bounced', 'blocked', 'failed') THEN jsonb_build_object(
                   'attempt', e.data->'attempt',
                   'reply', CASE WHEN r.last_code IS NOT NULL OR r.last_response IS NOT NULL
                                 THEN jsonb_build_object('code', r.last_code, 'enhanced', r.last_enhanced, 'message', left(r.last_response, 1000), 'mx', r.last_mx_host) END)
                 ELSE '{}'::jsonb END
              || CASE WHEN e.type IN ('bounced', 'blocked', 'failed', 'suppressed', 'complained') THEN jsonb_build_object('reason', left(e.detail, 1000)) ELSE '{}'::jsonb END
              || CASE WHEN e.type = 'bounced' THEN jsonb_build_object('bounce_type', COALESCE(e.data->>'bounce_type', r.bounce_type::text, 'hard')) ELSE '{}'::jsonb END
              || CASE WHEN e.type = 'deferred' THEN jsonb_build_object('next_attempt_at', e.data->'next_attempt_at') ELSE '{}'::jsonb END
              || CASE WHEN e.type IN ('opened', 'clicked') THEN jsonb_build_object(
                   'machine', COALESCE(e.data->'machine', 'false'::jsonb), 'user_agent', left(e.data->>'ua', 500), 'ip', left(e.data->>'ip', 64))
                 ELSE '{}'::jsonb END
              || CASE WHEN e.type = 'clicked' THEN jsonb_build_object('url', left(e.data->>'url', 2000)) ELSE '{}'::jsonb END AS data
         FROM new_events e
         JOIN messages m ON m.id = e.message_id
         LEFT JOIN recipients r ON r.id = e.recipient_id
        WHERE e.type IN ('delivered', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'complained', 'opened', 'clicked')
          AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = e.account_id AND w.enabled)) x;
  RETURN NULL;
END $$;

CREATE FUNCTION mailroom_message_events_reclassified() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  WITH flipped AS (
         SELECT n.*, o.created_at AS at FROM new_events n JOIN old_events o ON o.id = n.id
          WHERE n.type IN ('opened', 'clicked') AND (o.data->'machine') IS DISTINCT FROM 'true'::jsonb AND (n.data->'machine') = 'true'::jsonb),
       -- Recipients with no person's event of that type left: their first one stops counting.
       lost AS (
         SELECT DISTINCT ON (f.recipient_id, f.type) f.account_id, f.message_id, f.type, f.at
           FROM flipped f
          WHERE NOT EXISTS (SELECT 1 FROM message_events x
                             WHERE x.message_id = f.message_id AND x.recipient_id = f.recipient_id AND x.type = f.type
                               AND (x.data->'machine') IS DISTINCT FROM 'true'::jsonb)
          ORDER BY f.recipient_id, f.type, f.at),
       changes AS (
         SELECT account_id, message_id, type, at, 0 AS people, 1 AS machines FROM flipped
         UNION ALL
         SELECT account_id, message_id, type, at, -1, 0 FROM lost)
  INSERT INTO hourly_stats AS s (account_id, tag, hour, domain_id, stream, campaign_id, opened, clicked, machine_opened, machine_clicked)
  SELECT c.account_id, t.tag, date_trunc('hour', c.at, 'UTC'), m.domain_id, m.stream, COALESCE(m.campaign_id::text, ''),
         COALESCE(sum(c.people) FILTER (WHERE c.type = 'opened'), 0), COALESCE(sum(c.people) FILTER (WHERE c.type = 'clicked'), 0),
         COALESCE(sum(c.machines) FILTER (WHERE c.type = 'opened'), 0), COALESCE(sum(c.machines) FILTER (WHERE c.type = 'clicked'), 0)
    FROM changes c
    JOIN messages m ON m.id = c.message_id
    CROSS JOIN LATERAL (SELECT '' AS tag UNION SELECT unnest(m.tags)) t
   GROUP BY 1, 2, 3, 4, 5, 6
   ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (account_id, tag, hour, domain_id, stream, campaign_id) DO UPDATE SET
     opened = greatest(s.opened + EXCLUDED.opened, 0), clicked = greatest(s.clicked + EXCLUDED.clicked, 0),
     machine_opened = s.machine_opened + EXCLUDED.machine_opened, machine_clicked = s.machine_clicked + EXCLUDED.machine_clicked;
  RETURN NULL;
END $$;
CREATE TRIGGER "message_events_reclassified" AFTER UPDATE ON "message_events"
  REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION mailroom_message_events_reclassified();
