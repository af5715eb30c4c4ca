-- AlterTable: the delivery run (a `deliver-batch` job) a recipient was queued in, named by the
-- run's first message; NULL for work queued as a job of its own.
ALTER TABLE "recipients" ADD COLUMN     "run_id" UUID;
