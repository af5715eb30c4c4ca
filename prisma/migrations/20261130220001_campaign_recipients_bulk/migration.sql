-- A campaign's audience is frozen with one INSERT … SELECT of up to millions of rows, all naming
-- the same campaign, which the same transaction has just moved to `sending`. The foreign key
-- checked that campaign once per row (an index look-up and a row lock each): a third of the
-- freeze's time. campaign_recipients rows are written only by that statement, and a campaign can
-- be deleted only as a draft, before it has any, so nothing is left to cascade.
ALTER TABLE "campaign_recipients" DROP CONSTRAINT "campaign_recipients_campaign_id_fkey";
