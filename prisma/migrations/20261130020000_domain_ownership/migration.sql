-- A domain name is an account's once it proves it owns it (a TXT record with its ownership token,
-- or its own DKIM key, found in the domain's DNS). Until then several accounts may hold the same
-- name pending, none of them receives mail for it, and each registration expires. So the names
-- are unique among owned domains only (partial indexes), and once per account.

ALTER TABLE "domains" ADD COLUMN "ownership_token" TEXT;
ALTER TABLE "domains" ADD COLUMN "owned_at" TIMESTAMPTZ(3);
ALTER TABLE "domains" ADD COLUMN "expires_at" TIMESTAMPTZ(3);

UPDATE "domains" SET "ownership_token" = md5(random()::text || "id"::text);
ALTER TABLE "domains" ALTER COLUMN "ownership_token" SET NOT NULL;

-- Domains verified before this migration proved their DKIM, SPF and return-path records: owned.
-- So are domains that have sent mail (verified once; their bounces must keep coming back).
UPDATE "domains" d SET "owned_at" = COALESCE(d."verified_at", d."last_checked_at", d."created_at")
 WHERE d."verified_at" IS NOT NULL OR EXISTS (SELECT 1 FROM "messages" m WHERE m."domain_id" = d."id");

-- Other registrations get the week a new one gets to prove itself; those that hold mailboxes are
-- kept (they receive nothing until proven, but their stored mail is not deleted by a migration).
UPDATE "domains" d SET "expires_at" = now() + interval '7 days'
 WHERE d."owned_at" IS NULL AND NOT EXISTS (SELECT 1 FROM "mailboxes" b WHERE b."domain_id" = d."id");

-- Built before the old indexes are dropped, so their exclusive lock is held only at the end.
CREATE UNIQUE INDEX "domains_account_id_name_key" ON "domains"("account_id", "name");
CREATE UNIQUE INDEX "domains_owned_name_key" ON "domains"("name") WHERE "owned_at" IS NOT NULL;
CREATE UNIQUE INDEX "domains_owned_return_path_domain_key" ON "domains"("return_path_domain") WHERE "owned_at" IS NOT NULL;

DROP INDEX "domains_name_key";
DROP INDEX "domains_return_path_domain_key";
-- Served by the prefix of domains_account_id_name_key.
DROP INDEX "domains_account_id_idx";
