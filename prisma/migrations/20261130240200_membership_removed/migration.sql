-- contact.unsubscribed (status "removed") when the account takes a subscribed contact off a list
-- (DELETE /v1/lists/:id/contacts/:email). Memberships that go with their list or their contact
-- (a cascade) find neither any more and say nothing: the list or contact itself went.
CREATE FUNCTION mailroom_memberships_deleted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mailroom_emit_events(array_agg(l.account_id), array_agg('contact.unsubscribed'::text),
                               array_agg(mailroom_contact_event_data(c, l, 'removed')))
     FROM old_rows o JOIN contact_lists l ON l.id = o.list_id JOIN contacts c ON c.id = o.contact_id
    WHERE o.status = 'subscribed' AND EXISTS (SELECT 1 FROM webhooks w WHERE w.account_id = l.account_id AND w.enabled);
  RETURN NULL;
END $$;
CREATE TRIGGER "list_memberships_deleted" AFTER DELETE ON "list_memberships"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_memberships_deleted();
