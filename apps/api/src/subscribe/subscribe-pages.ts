import type { ListRow } from '@mailroom/db';
import { page } from '../public/public-pages';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The list's subscription form. The `website` field is a honeypot: hidden from people (and from
 * screen readers and autofill), filled in by bots that fill in every field.
 */
export function formPage(list: ListRow, action: string, problem?: string): string {
  return page(
    list.name,
    `${list.description ? `<p>${escape(list.description)}</p>` : ''}${problem ? `<p role="alert"><strong>${escape(problem)}</strong></p>` : ''}
<form method="post" action="${escape(action)}">
<label>Email <input type="email" name="email" required autocomplete="email"></label>
<label>Name <input type="text" name="name" autocomplete="name"></label>
<div style="position:absolute;left:-10000px" aria-hidden="true"><label>Website <input type="text" name="website" tabindex="-1" autocomplete="off"></label></div>
<p><button type="submit">Subscribe</button></p>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<p>${escape(message)}</p>`);
}

/** GET /confirm/:token: a button that confirms; the GET itself changes nothing (link scanners). */
export function confirmPage(list: ListRow, action: string): string {
  return page(
    'Confirm your subscription',
    `<form method="post" action="${escape(action)}">
<p>Please confirm that you want to receive <strong>${escape(list.name)}</strong>.</p>
<button type="submit">Confirm my subscription</button></form>`,
  );
}
