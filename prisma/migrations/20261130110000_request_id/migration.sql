-- The correlation id of the API request or relay session that accepted the message (x-request-id
-- or the SMTP session id): the worker logs its deliveries under it, so one id follows a message
-- from the call that sent it to the receiving server's reply. NULL for messages accepted before.
ALTER TABLE "messages" ADD COLUMN "request_id" TEXT;
