import { DomainError } from '@mailroom/common';

// RFC 2919: list-label "." list-id-namespace, dot-atom text, at most 255 characters.
const LIST_ID = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/;

/** A List-Id given by the user, without angle brackets; refused with a clear error when not one. */
export function checkListIdHeader(value: string): string {
  const bare = value.trim().replace(/^<(.*)>$/, '$1');
  if (bare.length > 255 || !LIST_ID.test(bare)) {
    throw new DomainError('invalid', 'invalid_list_id', 'list_id_header: must be a List-Id such as "news.example.com" (RFC 2919: dot-separated, no spaces or angle brackets)');
  }
  return bare;
}

/**
 * A default List-Id: the list's name as a label, the first characters of its id (two lists of
 * the same name stay apart, and renaming keeps the id stable), under a domain the account sends
 * from, e.g. `weekly-news.1a2b3c4d.example.com`.
 */
export function defaultListIdHeader(name: string, listId: string, namespace: string): string {
  const slug =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'list';
  return `${slug}.${listId.replace(/-/g, '').slice(0, 8)}.${namespace}`.slice(0, 255);
}
