-- Events out (issue 13): an outbox of events written in the transaction of the change they
-- report, Standard Webhooks endpoints with their deliveries and attempt log, and the rollups
-- that /v1/stats reads instead of scanning messages.
--
-- Triggers keep both the outbox and the rollups in the same transaction as the change, whoever
-- writes it: the timeline (message_events) is written by the API, the relay, the delivery
-- workers, the inbound MTA and the tracking endpoints, and a trigger cannot be forgotten by a new
-- writer. Statement-level triggers with transition tables do one upsert per statement (a batch),
-- never one per row.

-- The account's own contact address: notices (a webhook endpoint disabled) are mailed there.
ALTER TABLE "accounts" ADD COLUMN "email" TEXT;

-- ---------------------------------------------------------------- events (the outbox)

-- One row per event an endpoint subscribed to (or an account notice). payload is exactly what
-- is POSTed: {type, timestamp, data}. Kept EVENT_RETENTION_DAYS for the API and replays.
CREATE TABLE "events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "account_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "events_account_id_created_at_id_idx" ON "events"("account_id", "created_at" DESC, "id" DESC);
CREATE INDEX "events_created_at_idx" ON "events"("created_at");
ALTER TABLE "events" ADD CONSTRAINT "events_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------- webhooks

ALTER TABLE "webhooks"
    ADD COLUMN "description" TEXT NOT NULL DEFAULT '',
    -- After a rotation the previous secret keeps signing (a second v1 signature) until then.
    ADD COLUMN "previous_secret_encrypted" TEXT,
    ADD COLUMN "previous_secret_expires_at" TIMESTAMPTZ(3),
    -- Set by the first failed attempt after a success; an endpoint failing for longer than
    -- WEBHOOK_DISABLE_AFTER_HOURS is disabled.
    ADD COLUMN "failing_since" TIMESTAMPTZ(3),
    ADD COLUMN "disabled_at" TIMESTAMPTZ(3),
    ADD COLUMN "disabled_reason" TEXT,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Nothing wrote deliveries before this migration: the table is made again in its new shape.
DROP TABLE "webhook_deliveries";
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "webhook_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "status" "webhook_delivery_status" NOT NULL DEFAULT 'pending',
    -- Attempts in the current round (a replay starts a new round); the log keeps every one.
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- When the attempt due at next_attempt_at was put on the queue (NULL: never). The pump puts
    -- back what is due and not queued, or queued longer ago than a sweep interval (Redis lost it).
    "queued_at" TIMESTAMPTZ(3),
    -- An attempt in flight: no other worker takes the delivery before then.
    "locked_until" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" TEXT,
    -- The first bytes of the endpoint's answer.
    "last_response" TEXT,
    "last_duration_ms" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "webhook_deliveries_webhook_id_event_id_key" ON "webhook_deliveries"("webhook_id", "event_id");
CREATE INDEX "webhook_deliveries_webhook_id_created_at_idx" ON "webhook_deliveries"("webhook_id", "created_at" DESC);
CREATE INDEX "webhook_deliveries_event_id_idx" ON "webhook_deliveries"("event_id");
-- The pump's question: what is pending and due.
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries"("next_attempt_at") WHERE "status" = 'pending';
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every attempt: what the endpoint answered (or why nothing was), and how long it took.
CREATE TABLE "webhook_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "webhook_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "response" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_attempts_delivery_id_id_idx" ON "webhook_attempts"("delivery_id", "id");
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------- rollups

-- Counters per hour, account, tag, sending domain, stream and campaign. tag '' is every message
-- (a message with tags also counts once under each of its tags); campaign_id '' is mail outside
-- campaigns. /v1/stats sums these rows; nothing reads messages to answer it.
CREATE TABLE "hourly_stats" (
    "account_id" UUID NOT NULL,
    "tag" TEXT NOT NULL DEFAULT '',
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "domain_id" UUID NOT NULL,
    "stream" "message_stream" NOT NULL,
    "campaign_id" TEXT NOT NULL DEFAULT '',
    "accepted" INTEGER NOT NULL DEFAULT 0,
    "delivered" INTEGER NOT NULL DEFAULT 0,
    "deferred" INTEGER NOT NULL DEFAULT 0,
    "bounced_hard" INTEGER NOT NULL DEFAULT 0,
    "bounced_soft" INTEGER NOT NULL DEFAULT 0,
    "blocked" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "complained" INTEGER NOT NULL DEFAULT 0,
    "suppressed" INTEGER NOT NULL DEFAULT 0,
    "opened" INTEGER NOT NULL DEFAULT 0,
    "clicked" INTEGER NOT NULL DEFAULT 0,
    "machine_opened" INTEGER NOT NULL DEFAULT 0,
    "machine_clicked" INTEGER NOT NULL DEFAULT 0,
    "unsubscribed" INTEGER NOT NULL DEFAULT 0,
    -- Broadcast recipients accepted whose message carried List-Unsubscribe=One-Click (RFC 8058).
    "one_click" INTEGER NOT NULL DEFAULT 0,
    -- The longest wait, in seconds, between an unsubscribe request and its being applied.
    "unsubscribe_delay_max" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "hourly_stats_pkey" PRIMARY KEY ("account_id", "tag", "hour", "domain_id", "stream", "campaign_id")
);
ALTER TABLE "hourly_stats" ADD CONSTRAINT "hourly_stats_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Bounces and blocks per day by enhanced code, recipient domain and the MX domain that answered
-- (google.com, outlook.com ...: the mailbox provider), with the last reply seen as a sample.
CREATE TABLE "bounce_stats" (
    "account_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "domain_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "bounce_type" TEXT NOT NULL DEFAULT '',
    "enhanced" TEXT NOT NULL DEFAULT '',
    "recipient_domain" TEXT NOT NULL,
    "mx_domain" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL DEFAULT 0,
    "sample" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "bounce_stats_pkey" PRIMARY KEY ("account_id", "day", "domain_id", "kind", "bounce_type", "enhanced", "recipient_domain", "mx_domain")
);
ALTER TABLE "bounce_stats" ADD CONSTRAINT "bounce_stats_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------- helper functions

-- RFC 3339 in UTC with milliseconds: the `timestamp` of every payload.
CREATE FUNCTION mailroom_event_time(t TIMESTAMPTZ) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- The registrable part of an MX host name, which names the mailbox provider:
-- gmail-smtp-in.l.google.com -> google.com, mx1.mail.yahoo.co.jp -> yahoo.co.jp.
CREATE FUNCTION mailroom_mx_domain(host TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN host IS NULL OR host = '' THEN ''
    WHEN array_length(l, 1) <= 2 THEN lower(host)
    WHEN length(l[array_length(l, 1)]) = 2 AND l[array_length(l, 1) - 1] IN ('co', 'com', 'net', 'org', 'ac', 'gov', 'edu', 'ne', 'or')
      THEN array_to_string(l[array_length(l, 1) - 2 : array_length(l, 1)], '.')
    ELSE array_to_string(l[array_length(l, 1) - 1 : array_length(l, 1)], '.')
  END
  FROM (SELECT string_to_array(lower(trim(trailing '.' FROM host)), '.') AS l) s
$$;

-- Whether a message's header section carries RFC 8058's one-click value.
CREATE FUNCTION mailroom_has_one_click(raw BYTEA) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE AS $$
  SELECT position('List-Unsubscribe=One-Click'::bytea IN
                  substring(raw FROM 1 FOR COALESCE(NULLIF(position('\x0d0a0d0a'::bytea IN substring(raw FROM 1 FOR 65536)), 0), 65536))) > 0
$$;

-- A timestamp from untrusted event data, or NULL: a malformed value must never fail the write
-- that carries it.
CREATE FUNCTION mailroom_try_timestamptz(value TEXT) RETURNS TIMESTAMPTZ LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

-- The outbox writer. Writes one event per (account, type, data) that an enabled endpoint of the
-- account subscribes to (or every one, with p_always: account notices), and a pending delivery
-- per subscribed endpoint, in the caller's transaction. Returns how many events were written.
-- Events nobody subscribes to are not stored: most mail goes to accounts without webhooks, and
-- the message timeline keeps the history.
CREATE FUNCTION mailroom_emit_events(p_accounts UUID[], p_types TEXT[], p_data JSONB[], p_always BOOLEAN DEFAULT false)
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
    RETURNING 1)
  SELECT count(*)::int FROM ev
$$;

-- ---------------------------------------------------------------- triggers: the timeline

-- Recipients accepted (API, relay, campaigns): the `accepted` and `one_click` counters.
CREATE FUNCTION mailroom_recipients_accepted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hourly_stats AS s (account_id, tag, hour, domain_id, stream, campaign_id, accepted, one_click)
  SELECT m.account_id, t.tag, date_trunc('hour', now(), 'UTC'), m.domain_id, m.stream, COALESCE(m.campaign_id::text, ''),
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
CREATE TRIGGER "recipients_accepted" AFTER INSERT ON "recipients"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_recipients_accepted();

-- Every timeline event but queued/sending: the hourly counters, the bounce rollup, and the
-- message.* events for subscribed endpoints. Reads the recipient as the same statement left it
-- (an AFTER trigger sees the statement's own changes): status, bounce type, last reply.
CREATE FUNCTION mailroom_message_events_out() RETURNS TRIGGER LANGUAGE plpgsql AS $$
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
         count(*) FILTER (WHERE e.type = 'opened' AND (e.data->'machine') IS DISTINCT FROM 'true'::jsonb),
         count(*) FILTER (WHERE e.type = 'clicked' AND (e.data->'machine') IS DISTINCT FROM 'true'::jsonb),
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
CREATE TRIGGER "message_events_out" AFTER INSERT ON "message_events"
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION mailroom_message_events_out();

-- ---------------------------------------------------------------- triggers: contacts, campaigns, domains

-- contact.subscribed / contact.unsubscribed when a list membership is made or changes state
-- (API, form, confirmation, import, one-click unsubscribe alike).
CREATE FUNCTION mailroom_contact_event_data(c contacts, l contact_lists, status TEXT) RETURNS JSONB LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'contact_id', c.id, 'email', c.email, 'list_id', l.id, 'list_name', l.name, 'status', status,
    'attributes', CASE WHEN pg_column_size(c.attributes) <= 8192 THEN c.attributes END)
$$;

CREATE FUNCTION mailroom_memberships_inserted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_emit_events(array_agg(l.account_id), array_agg('contact.subscribed'::text), array_agg(mailroom_contact_event_data(c, l, n.status::text)))
     FROM new_rows n JOIN contact_lists l ON l.id = n.list_id JOIN contacts c ON c.id = n.contact_id
    WHERE n.status = 'subscribed' AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = l.account_id AND w.enabled);
  RETURN NULL;
END $$;
CREATE TRIGGER "list_memberships_inserted" AFTER INSERT ON "list_memberships"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_memberships_inserted();

CREATE FUNCTION mailroom_memberships_updated() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_emit_events(array_agg(l.account_id),
                               array_agg(CASE WHEN n.status = 'subscribed' THEN 'contact.subscribed' ELSE 'contact.unsubscribed' END),
                               array_agg(mailroom_contact_event_data(c, l, n.status::text)))
     FROM new_rows n
     JOIN old_rows o ON o.list_id = n.list_id AND o.contact_id = n.contact_id
     JOIN contact_lists l ON l.id = n.list_id JOIN contacts c ON c.id = n.contact_id
    WHERE n.status IS DISTINCT FROM o.status AND n.status IN ('subscribed', 'unsubscribed')
      AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = l.account_id AND w.enabled);
  RETURN NULL;
END $$;
CREATE TRIGGER "list_memberships_updated" AFTER UPDATE ON "list_memberships"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_memberships_updated();

-- contact.unsubscribed (list_id null) when a contact unsubscribes from everything the account sends.
CREATE FUNCTION mailroom_contacts_updated() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_emit_events(array_agg(n.account_id), array_agg('contact.unsubscribed'::text),
                               array_agg(jsonb_build_object('contact_id', n.id, 'email', n.email, 'list_id', NULL, 'list_name', NULL, 'status', 'unsubscribed',
                                                            'attributes', CASE WHEN pg_column_size(n.attributes) <= 8192 THEN n.attributes END)))
     FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status = 'unsubscribed' AND o.status IS DISTINCT FROM 'unsubscribed'
      AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = n.account_id AND w.enabled);
  RETURN NULL;
END $$;
CREATE TRIGGER "contacts_updated" AFTER UPDATE ON "contacts"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_contacts_updated();

-- campaign.started when a draft or scheduled campaign starts sending; campaign.finished when it
-- is sent or cancelled, with its counters.
CREATE FUNCTION mailroom_campaign_status_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  v_type TEXT;
  v_stats JSONB;
BEGIN
  IF NEW.status = 'sending' AND OLD.status IN ('draft', 'scheduled') THEN
    v_type := 'campaign.started';
  ELSIF NEW.status IN ('sent', 'cancelled') AND OLD.status NOT IN ('sent', 'cancelled') THEN
    v_type := 'campaign.finished';
    SELECT jsonb_build_object('accepted', COALESCE(sum(accepted), 0), 'delivered', COALESCE(sum(delivered), 0),
                              'bounced', COALESCE(sum(bounced_hard + bounced_soft), 0), 'blocked', COALESCE(sum(blocked), 0),
                              'failed', COALESCE(sum(failed), 0), 'complained', COALESCE(sum(complained), 0),
                              'suppressed', COALESCE(sum(suppressed), 0), 'opened', COALESCE(sum(opened), 0),
                              'clicked', COALESCE(sum(clicked), 0), 'unsubscribed', COALESCE(sum(unsubscribed), 0))
      INTO v_stats
      FROM hourly_stats WHERE account_id = NEW.account_id AND tag = '' AND campaign_id = NEW.id::text;
  ELSE
    RETURN NULL;
  END IF;
  PERFORM mailroom_emit_events(ARRAY[NEW.account_id], ARRAY[v_type], ARRAY[jsonb_build_object(
    'campaign_id', NEW.id, 'name', NEW.name, 'status', NEW.status, 'subject', left(NEW.subject, 500), 'tags', to_jsonb(NEW.tags),
    'total', NEW.total, 'started_at', NEW.started_at, 'finished_at', NEW.finished_at, 'stats', v_stats)]);
  RETURN NULL;
END $$;
CREATE TRIGGER "campaigns_status_changed" AFTER UPDATE OF "status" ON "campaigns"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION mailroom_campaign_status_changed();

-- domain.verified when a check finds a domain ready to send; domain.verification_failed when a
-- check leaves it unable to, with what was found.
CREATE FUNCTION mailroom_domain_checked() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  v_type TEXT;
BEGIN
  IF NEW.verified_at IS NOT NULL AND OLD.verified_at IS NULL THEN
    v_type := 'domain.verified';
  ELSIF NEW.verified_at IS NULL THEN
    v_type := 'domain.verification_failed';
  ELSE
    RETURN NULL;
  END IF;
  PERFORM mailroom_emit_events(ARRAY[NEW.account_id], ARRAY[v_type], ARRAY[jsonb_build_object(
    'domain_id', NEW.id, 'domain', NEW.name, 'verified', NEW.verified_at IS NOT NULL, 'owned', NEW.owned_at IS NOT NULL,
    'dkim', NEW.dkim_verified, 'spf', NEW.spf_verified, 'dmarc', NEW.dmarc_verified, 'return_path', NEW.return_path_verified,
    'checked_at', mailroom_event_time(NEW.last_checked_at))]);
  RETURN NULL;
END $$;
CREATE TRIGGER "domains_checked" AFTER UPDATE OF "last_checked_at" ON "domains"
  FOR EACH ROW WHEN (OLD.last_checked_at IS DISTINCT FROM NEW.last_checked_at) EXECUTE FUNCTION mailroom_domain_checked();
