-- Ids that grow with time (the UUIDv7 layout of RFC 9562: 48 bits of Unix milliseconds, the
-- version, then random bits), for rows the database names itself in bulk: an import's contacts.
-- Rows written one after another then land at the right edge of their primary key, and later
-- index scans in id order (a campaign's freeze, the dispatcher) read the heap in the order it
-- was written. The application names its rows the same way (newOrderedId).
CREATE OR REPLACE FUNCTION mailroom_ordered_uuid() RETURNS UUID LANGUAGE sql VOLATILE AS $$
  SELECT encode(
           set_bit(set_bit(
             overlay(uuid_send(gen_random_uuid())
                     PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                     FROM 1 FOR 6),
             52, 1), 53, 1),
           'hex')::uuid
$$;
