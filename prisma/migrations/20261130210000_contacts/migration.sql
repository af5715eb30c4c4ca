-- Contacts (issue 12): a contact's page lists the messages it got (recipients.contact_id, set on
-- campaign mail), and erasing a contact blanks the address on them. Partial: transactional mail,
-- which names no contact, pays nothing for it.
CREATE INDEX "recipients_contact_id_idx" ON "recipients"("contact_id") WHERE "contact_id" IS NOT NULL;
