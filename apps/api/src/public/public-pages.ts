import type { UnsubscribePage } from '@mailroom/newsletter';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small page of its own: no scripts, no external assets, nothing that tracks. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.5rem 1rem;cursor:pointer}fieldset{border:1px solid #ccc;margin:1.5rem 0;padding:1rem}
label{display:block;margin:.25rem 0}small{color:#666}</style></head>
<body><h1>${escape(title)}</h1>
${body}
</body></html>`;
}

/**
 * GET /u/:token: a confirm button (a form POSTing List-Unsubscribe=One-Click to the same URL) and
 * the lists the contact is on, to keep some. Nothing here changes anything by itself.
 */
export function unsubscribePage(action: string, view: UnsubscribePage): string {
  const { target, preferences } = view;
  const list = preferences?.lists.find((l) => l.id === target.listId);
  const who = preferences ? ` <strong>${escape(preferences.email)}</strong>` : '';
  const what = list ? `from <strong>${escape(list.name)}</strong>` : 'from all mail of this sender';
  const confirm = `<form method="post" action="${escape(action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click"><input type="hidden" name="via" value="page">
<p>Unsubscribe${who} ${what}?</p>
<button type="submit">Unsubscribe</button></form>`;
  const lists = preferences?.lists ?? [];
  if (!lists.length) return page('Unsubscribe', confirm);
  const boxes = lists
    .map((l) => `<label><input type="checkbox" name="keep" value="${escape(l.id)}"${l.status === 'unsubscribed' ? '' : ' checked'}> ${escape(l.name)}${l.description ? ` <small>${escape(l.description)}</small>` : ''}</label>`)
    .join('\n');
  const preferencesForm = `<form method="post" action="${escape(action)}"><input type="hidden" name="action" value="preferences">
<fieldset><legend>Or choose the lists to stay on</legend>
${boxes}
</fieldset><button type="submit">Save preferences</button></form>`;
  return page('Unsubscribe', `${confirm}\n${preferencesForm}`);
}

export function donePage(message: string): string {
  return page('Done', `<p>${escape(message)}</p>`);
}
