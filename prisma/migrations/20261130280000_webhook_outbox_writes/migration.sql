-- Webhook delivery writes (issue 13, bench:webhooks). Every delivery row is updated three times
-- (the pump's take, the claim, the record) and every attempt adds a log row.
--
-- 1. Room on each page for the updated versions of its rows: the take and the claim change no
--    indexed column, so with free space on the page they are HOT updates (no new entry in the
--    table's five indexes). Rows are inserted in bulk by the outbox trigger and pages filled to
--    the brim left every update to move its row to another page and index it again.
ALTER TABLE "webhook_deliveries" SET (fillfactor = 50);

-- 2. webhook_attempts rows are written only by the record statement, for deliveries that same
--    statement has just updated; the per-row foreign-key check (a lookup and a row lock on the
--    delivery just written) was a tenth of the record's time. A statement-level trigger keeps the
--    cascade: a delivery's attempts go with it (events pruned, an endpoint or account deleted).
ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_delivery_id_fkey";

CREATE FUNCTION mailroom_webhook_deliveries_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM webhook_attempts a USING old_rows o WHERE a.delivery_id = o.id;
  RETURN NULL;
END $$;

CREATE TRIGGER webhook_deliveries_deleted AFTER DELETE ON webhook_deliveries
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_webhook_deliveries_deleted();
