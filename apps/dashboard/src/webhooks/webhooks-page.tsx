import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { ErrorNote, Page } from '../ui/page';
import { SecretOnce } from '../ui/secret-once';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';
// Straight from the file, not '@mailroom/events' (whose index brings the server's EventWriter):
// event-types.ts imports nothing, so the API's list is bundled as it is.
import { EVENT_TYPES } from '../../../../libs/events/src/event-types';

/** Webhook endpoints: add one (its signing secret shown once), see which are failing. */
export function WebhooksPage() {
  const { canWrite } = useSession();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['*']);
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = useRefresh('webhooks');
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: async () => data(await api.GET('/v1/webhooks')), refetchInterval: 30_000 });
  const create = useMutation({
    mutationFn: async () => data(await api.POST('/v1/webhooks', { body: { url: url.trim(), events } })),
    onSuccess: (hook) => {
      setUrl('');
      setSecret(hook.secret);
      refresh();
    },
  });
  const toggle = (type: string) => setEvents(events.includes(type) ? events.filter((e) => e !== type) : [...events.filter((e) => e !== '*'), type]);
  return (
    <Page title="Webhooks">
      {secret ? <SecretOnce label="Signing secret" value={secret} onDone={() => setSecret(null)} /> : null}
      {canWrite ? (
        <form className="card" aria-label="Add an endpoint" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Field label="Endpoint URL" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/mailroom" />
          <fieldset>
            <legend>Events</legend>
            <div className="checklist columns">
              <label>
                <input type="checkbox" checked={events.includes('*')} onChange={() => setEvents(events.includes('*') ? [] : ['*'])} /> every event
              </label>
              {EVENT_TYPES.map((type) => (
                <label key={type}>
                  <input type="checkbox" checked={events.includes('*') || events.includes(type)} disabled={events.includes('*')} onChange={() => toggle(type)} /> {type}
                </label>
              ))}
            </div>
          </fieldset>
          <ErrorNote error={create.error} />
          <button type="submit" disabled={create.isPending || events.length === 0}>
            Add endpoint
          </button>
        </form>
      ) : null}
      <QueryTable
        pending={hooks.isPending}
        error={hooks.error}
        rows={hooks.data?.data}
        empty="No endpoint yet."
        columns={['Endpoint', 'State', 'Events', 'Created']}
        row={(h) => (
          <tr key={h.id}>
            <th scope="row" className="wrap">
              <Link href={`/webhooks/${h.id}`}>{h.url}</Link>
            </th>
            <td>
              <Status value={!h.enabled ? 'cancelled' : h.failing_since ? 'failed' : 'active'} /> {h.disabled_reason ?? (h.failing_since ? `failing since ${formatDate(h.failing_since)}` : '')}
            </td>
            <td>{h.events.join(', ')}</td>
            <td>{formatDate(h.created_at)}</td>
          </tr>
        )}
      />
    </Page>
  );
}
