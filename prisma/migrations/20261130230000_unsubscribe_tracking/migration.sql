-- Unsubscribe and tracking (issue 12): one `unsubscribed` event per recipient, however often a
-- mailbox provider repeats its one-click POST (or a person clicks twice, or also mails the
-- mailto address), so a campaign's unsubscribe count counts people. Partial: other events pay
-- nothing for it. (schema.prisma cannot state a partial index; the SQL is the record.)
CREATE UNIQUE INDEX "message_events_unsubscribed_once_key" ON "message_events"("recipient_id") WHERE "type" = 'unsubscribed';
