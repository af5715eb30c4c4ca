-- Member counts per list and membership state (issue 14). GET /v1/lists counted
-- list_memberships on every call: ~200 ms p50 for a list of 1,000,000 members, and the
-- dashboard's Lists page missed its first-data target. Figures come from counters, never scans.
--
-- Triggers on list_memberships keep the counters in the transaction of the change, whoever
-- writes it (API, form, confirmation, import, one-click unsubscribe, contact erasure, and the
-- cascades of a contact's deletion). Statement-level triggers with transition tables do one
-- upsert per (list, state) touched by a statement, never one per row: an import of a million
-- members bumps one counter row once.

CREATE TABLE "list_member_counts" (
    "list_id" UUID NOT NULL,
    "status" "membership_status" NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "list_member_counts_pkey" PRIMARY KEY ("list_id", "status")
);
ALTER TABLE "list_member_counts" ADD CONSTRAINT "list_member_counts_list_id_fkey" FOREIGN KEY ("list_id") REFERENCES "contact_lists"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Adds deltas (already summed per list and state) to the counters. Concurrent writers add with
-- count = count + delta on the row's lock, so no count is lost, and lock the rows in key order,
-- so two statements touching the same lists never deadlock on them. A list deleted in this
-- statement (its memberships going with it by cascade) is skipped: its counters went with it.
CREATE FUNCTION mailroom_add_member_counts(p_lists UUID[], p_statuses membership_status[], p_deltas BIGINT[])
RETURNS VOID LANGUAGE sql AS $$
  INSERT INTO list_member_counts AS n (list_id, status, count)
  SELECT d.list_id, d.status, d.delta
    FROM unnest(p_lists, p_statuses, p_deltas) AS d(list_id, status, delta)
   WHERE d.delta <> 0 AND EXISTS (SELECT 1 FROM contact_lists l WHERE l.id = d.list_id)
   ORDER BY d.list_id, d.status
  ON CONFLICT (list_id, status) DO UPDATE SET count = n.count + EXCLUDED.count
$$;

CREATE FUNCTION mailroom_member_counts_inserted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_add_member_counts(array_agg(g.list_id), array_agg(g.status), array_agg(g.n))
     FROM (SELECT list_id, status, count(*) AS n FROM new_rows GROUP BY 1, 2) g;
  RETURN NULL;
END $$;

-- Any update: what left a (list, state) minus what came to it. Updates that keep the state
-- (a confirmation IP, a timestamp) sum to zero and touch no counter.
CREATE FUNCTION mailroom_member_counts_updated() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_add_member_counts(array_agg(g.list_id), array_agg(g.status), array_agg(g.n))
     FROM (SELECT list_id, status, sum(delta) AS n
             FROM (SELECT list_id, status, 1 AS delta FROM new_rows
                   UNION ALL
                   SELECT list_id, status, -1 FROM old_rows) d
            GROUP BY 1, 2
           HAVING sum(delta) <> 0) g;
  RETURN NULL;
END $$;

CREATE FUNCTION mailroom_member_counts_deleted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_add_member_counts(array_agg(g.list_id), array_agg(g.status), array_agg(-g.n))
     FROM (SELECT list_id, status, count(*) AS n FROM old_rows GROUP BY 1, 2) g;
  RETURN NULL;
END $$;

-- No membership is written between the backfill and the triggers' first statement.
LOCK TABLE "list_memberships" IN SHARE ROW EXCLUSIVE MODE;

-- (A column list, AFTER UPDATE OF status, cannot have transition tables.)
CREATE TRIGGER "list_memberships_counts_inserted" AFTER INSERT ON "list_memberships"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_member_counts_inserted();
CREATE TRIGGER "list_memberships_counts_updated" AFTER UPDATE ON "list_memberships"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_member_counts_updated();
CREATE TRIGGER "list_memberships_counts_deleted" AFTER DELETE ON "list_memberships"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_member_counts_deleted();

INSERT INTO list_member_counts (list_id, status, count)
SELECT list_id, status, count(*) FROM list_memberships GROUP BY 1, 2;
