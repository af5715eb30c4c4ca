import { randomUUID } from 'node:crypto';
import { v7 } from 'uuid';

/** Row ids are generated here rather than in the database so bulk inserts can name them first. */
export const newId = (): string => randomUUID();

/**
 * An id that grows with time (UUIDv7, RFC 9562; increasing within this process), for rows that
 * other rows are written in bulk under or in order of: a campaign's frozen recipients go in at
 * the right edge of their primary key, and contacts named one after another sit in id order on
 * disk. The database's mailroom_ordered_uuid() makes the same kind.
 */
export const newOrderedId = (): string => v7();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_RE.test(value);
