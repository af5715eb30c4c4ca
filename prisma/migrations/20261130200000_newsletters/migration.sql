-- The newsletter half: contacts with consent, lists with opt-in and a public form, memberships
-- with their own state, segments, CSV imports with a rejected-rows report, and campaigns whose
-- audience is frozen into campaign_recipients when sending starts (materialized into messages
-- in batches as delivery proceeds, so a pause or an unsubscribe takes effect within seconds).

CREATE TYPE "consent_method" AS ENUM ('api', 'import', 'form', 'confirmation');
CREATE TYPE "opt_in" AS ENUM ('single', 'double');
CREATE TYPE "membership_status" AS ENUM ('unconfirmed', 'subscribed', 'unsubscribed');
CREATE TYPE "import_status" AS ENUM ('running', 'done', 'failed');
CREATE TYPE "campaign_recipient_status" AS ENUM ('pending', 'sent', 'skipped');

-- Contacts: the name lives in attributes; consent is recorded when the contact is first added.
ALTER TABLE "contacts" DROP COLUMN "name",
    ADD COLUMN "consent_at" TIMESTAMPTZ(3),
    ADD COLUMN "consent_ip" TEXT,
    ADD COLUMN "consent_user_agent" TEXT,
    ADD COLUMN "consent_method" "consent_method",
    ADD COLUMN "erased_at" TIMESTAMPTZ(3);
CREATE INDEX "contacts_account_id_created_at_idx" ON "contacts"("account_id", "created_at");

ALTER TABLE "contact_lists"
    ADD COLUMN "description" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "opt_in" "opt_in" NOT NULL DEFAULT 'single',
    -- The List-Id header value (RFC 2919), e.g. "<news.example.com>" without brackets.
    ADD COLUMN "list_id_header" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "form_enabled" BOOLEAN NOT NULL DEFAULT false,
    -- Sender and editable text of the double opt-in confirmation mail.
    ADD COLUMN "confirm_from" TEXT,
    ADD COLUMN "confirm_subject" TEXT,
    ADD COLUMN "confirm_html" TEXT,
    ADD COLUMN "confirm_text" TEXT,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

ALTER TABLE "list_memberships"
    ADD COLUMN "status" "membership_status" NOT NULL DEFAULT 'subscribed',
    ADD COLUMN "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN "confirmed_at" TIMESTAMPTZ(3),
    ADD COLUMN "confirm_ip" TEXT;
-- Audience queries read a list's subscribed members in contact order.
CREATE INDEX "list_memberships_list_id_status_contact_id_idx" ON "list_memberships"("list_id", "status", "contact_id");

CREATE TABLE "segments" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "filter" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "segments_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "segments_account_id_idx" ON "segments"("account_id");
ALTER TABLE "segments" ADD CONSTRAINT "segments_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "imports" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "list_id" UUID,
    "status" "import_status" NOT NULL DEFAULT 'running',
    "filename" TEXT NOT NULL DEFAULT '',
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "added" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "imports_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "imports_account_id_created_at_idx" ON "imports"("account_id", "created_at");
ALTER TABLE "imports" ADD CONSTRAINT "imports_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "imports" ADD CONSTRAINT "imports_list_id_fkey" FOREIGN KEY ("list_id") REFERENCES "contact_lists"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "import_rejects" (
    "import_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "email" TEXT,
    "reason" TEXT NOT NULL,

    CONSTRAINT "import_rejects_pkey" PRIMARY KEY ("import_id","line")
);
ALTER TABLE "import_rejects" ADD CONSTRAINT "import_rejects_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "imports"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Campaigns: audience by lists and/or a segment, minus excluded lists.
ALTER TABLE "campaigns" DROP CONSTRAINT "campaigns_list_id_fkey";
ALTER TABLE "campaigns" DROP COLUMN "list_id",
    DROP COLUMN "cursor",
    ADD COLUMN "list_ids" UUID[] DEFAULT ARRAY[]::UUID[],
    ADD COLUMN "exclude_list_ids" UUID[] DEFAULT ARRAY[]::UUID[],
    ADD COLUMN "segment_id" UUID,
    ADD COLUMN "reply_to" TEXT,
    ADD COLUMN "preheader" TEXT,
    ADD COLUMN "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    -- Optional cap in messages per minute, on top of the per-destination limits.
    ADD COLUMN "rate_per_minute" INTEGER,
    -- The campaign this one re-sends to (its failed recipients).
    ADD COLUMN "parent_campaign_id" UUID,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_segment_id_fkey" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The frozen audience. One row per contact; message_id is set when the recipient is
-- materialized into a message (status 'sent'), or reason says why it was skipped.
CREATE TABLE "campaign_recipients" (
    "campaign_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "list_id" UUID,
    "status" "campaign_recipient_status" NOT NULL DEFAULT 'pending',
    "message_id" UUID,
    "reason" TEXT,

    CONSTRAINT "campaign_recipients_pkey" PRIMARY KEY ("campaign_id","contact_id")
);
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
