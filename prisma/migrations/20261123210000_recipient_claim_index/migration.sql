-- The worker claims and records by (message, domain): one index that answers exactly that, so a
-- claim never falls back to intersecting the message index with the status index (which, while
-- table statistics lag a fast-growing queue, reads every queued row for every claimed one).
-- Its prefix serves lookups by message alone.
DROP INDEX "recipients_message_id_idx";

-- CreateIndex
CREATE INDEX "recipients_message_id_domain_idx" ON "recipients"("message_id", "domain");
