import { useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { formatDate } from '../ui/format';
import { BackLink, ErrorNote, Loading, Page } from '../ui/page';
import { Fact } from '../ui/facts';
import { Status } from '../ui/status';
import { Table } from '../ui/table';

const FINAL = new Set(['delivered', 'bounced', 'blocked', 'failed', 'suppressed', 'complained']);

/** One message: each recipient's status and the remote server's reply, and the event timeline. */
export function MessagePage({ id }: { id: string }) {
  const message = useQuery({
    queryKey: ['messages', id],
    queryFn: async () => data(await api.GET('/v1/messages/{id}', { params: { path: { id } } })),
    // Live while anything is still on its way.
    refetchInterval: (query) => (query.state.data && query.state.data.recipients.every((r) => FINAL.has(r.status)) ? false : 5000),
  });
  if (message.isPending) return <Loading />;
  if (message.error) return <ErrorNote error={message.error} />;
  const m = message.data;
  return (
    <Page title={m.subject || '(no subject)'}>
      <BackLink href="/messages">All messages</BackLink>
      <dl className="facts">
        <Fact term="Status">
          <Status value={m.status} />
        </Fact>
        <Fact term="From">{m.from}</Fact>
        <Fact term="Stream">{m.stream}</Fact>
        <Fact term="Accepted">{formatDate(m.created_at)}</Fact>
        <Fact term="Message-ID">
          <code className="wrap">{m.message_id}</code>
        </Fact>
        {m.tags.length ? (
          <Fact term="Tags">{m.tags.join(', ')}</Fact>
        ) : null}
      </dl>
      <h2>Recipients</h2>
      <Table columns={['Recipient', 'Status', 'Attempts', "Remote server's reply", 'MX host']}>
        {m.recipients.map((r) => (
          <tr key={`${r.kind}:${r.email}`}>
            <th scope="row">
              {r.email} {r.kind !== 'to' ? <span className="muted">({r.kind})</span> : null}
            </th>
            <td>
              <Status value={r.status} /> {r.bounce_type ? <span className="muted">{r.bounce_type}</span> : null}
              {r.next_attempt_at && r.status === 'deferred' ? <div className="muted">next try {formatDate(r.next_attempt_at)}</div> : null}
            </td>
            <td>{r.attempts}</td>
            <td>
              {r.last_response ? (
                <code className="wrap">{r.last_response}</code>
              ) : (
                '—'
              )}
            </td>
            <td>{r.mx_host ?? '—'}</td>
          </tr>
        ))}
      </Table>
      <h2>Timeline</h2>
      <ol className="timeline" aria-label="Events, oldest first">
        {m.events.map((e, index) => (
          <li key={index}>
            <time dateTime={e.at}>{formatDate(e.at)}</time> <Status value={e.type} /> {e.recipient ? <span>{e.recipient}</span> : null}
            {e.detail ? <div className="detail">{e.detail}</div> : null}
          </li>
        ))}
      </ol>
    </Page>
  );
}
