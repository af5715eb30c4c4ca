-- The worker claims and records by (message, domain): one index that answers exactly that, so a
-- claim never falls back to intersecting the message index with the status index (which, while
-- table statistics lag a fast-growing queue, reads every queued row for every claimed one).
-- Its prefix serves lookups by message alone. Built before the old one is dropped, so the
-- exclusive lock of the drop is held only at the end of the migration's transaction.
CREATE INDEX "recipients_message_id_domain_idx" ON "recipients"("message_id", "domain");

DROP INDEX "recipients_message_id_idx";
