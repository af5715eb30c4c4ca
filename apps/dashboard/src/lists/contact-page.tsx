import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { formatDate } from '../ui/format';
import { BackLink, Empty, ErrorNote, Loading, Page } from '../ui/page';
import { Fact } from '../ui/facts';
import { Status } from '../ui/status';

/** A contact: attributes, consent, list memberships and the messages it got with their events. */
export function ContactPage({ id }: { id: string }) {
  const contact = useQuery({ queryKey: ['contacts', id], queryFn: async () => data(await api.GET('/v1/contacts/{id}', { params: { path: { id } } })) });
  if (contact.isPending) return <Loading />;
  if (contact.error) return <ErrorNote error={contact.error} />;
  const c = contact.data;
  return (
    <Page title={c.email}>
      <BackLink href="/contacts">All contacts</BackLink>
      <dl className="facts">
        <Fact term="Status">
          <Status value={c.status} />
        </Fact>
        <Fact term="Consent">{c.consent.at ? `${c.consent.method ?? ''} on ${formatDate(c.consent.at)}${c.consent.ip ? ` from ${c.consent.ip}` : ''}` : '—'}</Fact>
        {Object.entries(c.attributes).map(([key, value]) => (
          <Fact key={key} term={key}>
            {typeof value === 'string' ? value : JSON.stringify(value)}
          </Fact>
        ))}
      </dl>
      <h2>Lists</h2>
      {c.memberships.length === 0 ? <Empty>On no list.</Empty> : null}
      <ul className="checks">
        {c.memberships.map((m) => (
          <li key={m.list_id}>
            <Status value={m.status === 'subscribed' ? 'active' : m.status} /> {m.list_name} <span className="muted">since {formatDate(m.subscribed_at)}</span>
          </li>
        ))}
      </ul>
      <h2>History</h2>
      {c.messages.length === 0 ? <Empty>No message yet.</Empty> : null}
      <ol className="timeline">
        {c.messages.map((m) => (
          <li key={m.recipient_id}>
            <time dateTime={m.created_at}>{formatDate(m.created_at)}</time> <Link href={`/messages/${m.message_id}`}>{m.subject || '(no subject)'}</Link> <Status value={m.status} />
            {m.events.length ? <div className="detail">{m.events.map((e) => e.type).join(' → ')}</div> : null}
          </li>
        ))}
      </ol>
    </Page>
  );
}
