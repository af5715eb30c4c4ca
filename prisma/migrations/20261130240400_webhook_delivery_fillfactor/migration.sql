-- A webhook delivery is updated three or four times in its life (queued, claimed, recorded):
-- room left in each page lets most of those updates stay on the page (HOT), without new index
-- entries.
ALTER TABLE "webhook_deliveries" SET (fillfactor = 70);
