-- `accepted` counts in the hour the message was accepted (messages.created_at, which is the
-- accepting transaction's time for mail stored as it arrives), so mail stored with an earlier
-- time (an import, a backfill) lands in its own hour rather than the one it was written in.
CREATE OR REPLACE FUNCTION mailroom_recipients_accepted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hourly_stats AS s (account_id, tag, hour, domain_id, stream, campaign_id, accepted, one_click)
  SELECT m.account_id, t.tag, date_trunc('hour', m.created_at, 'UTC'), m.domain_id, m.stream, COALESCE(m.campaign_id::text, ''),
         count(*), count(*) FILTER (WHERE m.stream = 'broadcast' AND mailroom_has_one_click(m.raw))
    FROM new_rows r
    JOIN messages m ON m.id = r.message_id
    CROSS JOIN LATERAL (SELECT '' AS tag UNION SELECT unnest(m.tags)) t
   GROUP BY 1, 2, 3, 4, 5, 6
   -- A fixed order: concurrent batches lock the same rows in the same order, so never deadlock.
   ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (account_id, tag, hour, domain_id, stream, campaign_id) DO UPDATE
     SET accepted = s.accepted + EXCLUDED.accepted, one_click = s.one_click + EXCLUDED.one_click;
  RETURN NULL;
END $$;
