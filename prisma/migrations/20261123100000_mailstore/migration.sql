-- AlterTable
ALTER TABLE "mailboxes" ADD COLUMN     "last_uid_validity" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "folders" ADD COLUMN     "recent_uid_next" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "expunged_mail" (
    "folder_id" UUID NOT NULL,
    "uid" INTEGER NOT NULL,
    "modseq" BIGINT NOT NULL,
    "expunged_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "expunged_mail_pkey" PRIMARY KEY ("folder_id","uid")
);

-- CreateIndex
CREATE INDEX "expunged_mail_folder_id_modseq_idx" ON "expunged_mail"("folder_id", "modseq");

-- AddForeignKey
ALTER TABLE "expunged_mail" ADD CONSTRAINT "expunged_mail_folder_id_fkey" FOREIGN KEY ("folder_id") REFERENCES "folders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
