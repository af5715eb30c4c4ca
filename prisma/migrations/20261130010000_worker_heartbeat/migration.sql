-- Delivery workers and their heartbeat. A worker renews its row every fifth of
-- WORKER_HEARTBEAT_SECONDS; a row silent longer is a dead worker: any worker deletes it and hands
-- its claims back at once, instead of them waiting out DELIVERY_LEASE_SECONDS.
CREATE TABLE "workers" (
    "id" UUID NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workers_pkey" PRIMARY KEY ("id")
);

-- Which worker holds a `sending` claim. NULL for claims made before this migration (they keep
-- waiting for the lease, as their worker may still be running the old version). Adding a nullable
-- column without a default is a catalog change only: no table rewrite.
ALTER TABLE "recipients" ADD COLUMN "claimed_by" UUID;
