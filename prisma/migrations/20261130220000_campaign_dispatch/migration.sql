-- Campaign dispatch (issue 12): what the dispatcher keeps in PostgreSQL so that a worker killed or
-- Redis flushed mid-campaign loses nothing, and what lets a campaign's numbers be read without
-- scanning its messages.

-- Where materialization stands (every frozen recipient up to this contact id is sent or skipped,
-- written in the transaction that materialized them), the rate_per_minute pacing clock, and how
-- many recipients were skipped, by reason.
ALTER TABLE "campaigns"
    ADD COLUMN "dispatch_cursor" UUID,
    ADD COLUMN "paced_until" TIMESTAMPTZ(3),
    ADD COLUMN "skipped" JSONB NOT NULL DEFAULT '{}';
-- The dispatcher's tick looks for campaigns to start or to feed.
CREATE INDEX "campaigns_status_idx" ON "campaigns"("status") WHERE "status" IN ('scheduled', 'sending');

-- A campaign recipient names its campaign, so the messages in flight (the dispatch window), the
-- campaign's live results and its undelivered recipients are index range scans. Partial: mail
-- outside campaigns pays nothing for it.
ALTER TABLE "recipients" ADD COLUMN "campaign_id" UUID;
CREATE INDEX "recipients_campaign_id_status_bounce_type_idx" ON "recipients"("campaign_id", "status", "bounce_type") WHERE "campaign_id" IS NOT NULL;

-- Engagement (opens, clicks, unsubscribes, complaints) per account and time: segments'
-- "opened or clicked in the last N days" and a campaign's opens and clicks read these few events
-- only, not every delivery event.
CREATE INDEX "message_events_engagement_idx" ON "message_events"("account_id", "type", "created_at") WHERE "type" IN ('opened', 'clicked', 'unsubscribed', 'complained');
