-- IMAP subscriptions are names, not a property of a folder (RFC 3501 6.3.6, 6.3.9): CREATE
-- subscribes nothing, DELETE leaves the subscription alone (LIST (SUBSCRIBED) then shows the name
-- as \NonExistent), and a name may be subscribed again once the folder is created anew (issue 15).
CREATE TABLE "folder_subscriptions" (
    "mailbox_id" UUID NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "folder_subscriptions_pkey" PRIMARY KEY ("mailbox_id","name")
);

ALTER TABLE "folder_subscriptions" ADD CONSTRAINT "folder_subscriptions_mailbox_id_fkey" FOREIGN KEY ("mailbox_id") REFERENCES "mailboxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "folder_subscriptions" ("mailbox_id", "name") SELECT "mailbox_id", "name" FROM "folders" WHERE "subscribed";

ALTER TABLE "folders" DROP COLUMN "subscribed";
