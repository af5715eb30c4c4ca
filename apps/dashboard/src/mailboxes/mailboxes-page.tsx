import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { ConfirmButton } from '../ui/confirm-button';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { InlineForm } from '../ui/inline-form';
import { Page } from '../ui/page';
import { SecretOnce } from '../ui/secret-once';
import { QueryTable } from '../ui/table';

/** IMAP mailboxes on the account's domains. */
export function MailboxesPage() {
  const { canWrite } = useSession();
  const [address, setAddress] = useState('');
  const [created, setCreated] = useState<{ address: string; password: string } | null>(null);
  const list = useQuery({ queryKey: ['mailboxes'], queryFn: async () => data(await api.GET('/v1/mailboxes')) });
  const refresh = useRefresh('mailboxes');
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
        <InlineForm label="Create a mailbox" onSubmit={() => create.mutate()} submit="Create mailbox" pending={create.isPending} error={create.error}>
          <Field label="Address" type="email" required value={address} onChange={(e) => setAddress(e.target.value)} placeholder="replies@example.com" />
        </InlineForm>
      ) : null}
      <QueryTable
        pending={list.isPending}
        error={list.error ?? remove.error}
        rows={list.data}
        empty="No mailbox yet."
        columns={['Address', 'Created']}
        hiddenColumn={canWrite && 'Actions'}
        row={(m) => (
          <tr key={m.id}>
            <th scope="row">{m.address}</th>
            <td>{formatDate(m.created_at)}</td>
            {canWrite ? (
              <td>
                <ConfirmButton className="small danger" confirm={`Delete ${m.address} and all its mail?`} onConfirm={() => remove.mutate(m.id)} aria-label={`Delete ${m.address}`}>
                  Delete
                </ConfirmButton>
              </td>
            ) : null}
          </tr>
        )}
      />
    </Page>
  );
}
