import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { Empty, ErrorNote, Loading, Page } from '../ui/page';
import { SecretOnce } from '../ui/secret-once';

/** IMAP mailboxes on the account's domains. */
export function MailboxesPage() {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const [address, setAddress] = useState('');
  const [created, setCreated] = useState<{ address: string; password: string } | null>(null);
  const list = useQuery({ queryKey: ['mailboxes'], queryFn: async () => data(await api.GET('/v1/mailboxes')) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
  const create = useMutation({
    mutationFn: async () => data(await api.POST('/v1/mailboxes', { body: { address: address.trim() } })),
    onSuccess: (mailbox) => {
      setAddress('');
      if (mailbox.password) setCreated({ address: mailbox.address, password: mailbox.password });
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: async (id: string) => data(await api.DELETE('/v1/mailboxes/{id}', { params: { path: { id } } })), onSuccess: refresh });
  return (
    <Page title="Mailboxes">
      <p className="muted">Open them with any IMAP client: user name = the address.</p>
      {created ? <SecretOnce label={`Password of ${created.address}`} value={created.password} onDone={() => setCreated(null)} /> : null}
      {canWrite ? (
        <form className="inline-form" aria-label="Create a mailbox" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Field label="Address" type="email" required value={address} onChange={(e) => setAddress(e.target.value)} placeholder="replies@example.com" />
          <button type="submit" disabled={create.isPending}>
            Create mailbox
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      {list.isPending ? <Loading /> : null}
      <ErrorNote error={list.error ?? remove.error} />
      {list.data?.length === 0 ? <Empty>No mailbox yet.</Empty> : null}
      {list.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Created</th>
                {canWrite ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((m) => (
                <tr key={m.id}>
                  <th scope="row">{m.address}</th>
                  <td>{formatDate(m.created_at)}</td>
                  {canWrite ? (
                    <td>
                      <button type="button" className="small danger" onClick={() => window.confirm(`Delete ${m.address} and all its mail?`) && remove.mutate(m.id)} aria-label={`Delete ${m.address}`}>
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
