import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { InlineForm } from '../ui/inline-form';
import { Page } from '../ui/page';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';

export function DomainsPage() {
  const { canWrite } = useSession();
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const refresh = useRefresh('domains');
  const domains = useQuery({ queryKey: ['domains'], queryFn: async () => data(await api.GET('/v1/domains')) });
  const add = useMutation({
    mutationFn: async (domain: string) => data(await api.POST('/v1/domains', { body: { name: domain } })),
    onSuccess: (domain) => {
      refresh();
      navigate(`/domains/${domain.id}`);
    },
  });
  return (
    <Page title="Domains">
      {canWrite ? (
        <InlineForm label="Add a sending domain" onSubmit={() => add.mutate(name.trim())} submit="Add domain" pending={add.isPending} error={add.error}>
          <Field label="Domain name" placeholder="example.com" required value={name} onChange={(e) => setName(e.target.value)} />
        </InlineForm>
      ) : null}
      <QueryTable
        pending={domains.isPending}
        error={domains.error}
        rows={domains.data}
        empty="No sending domain yet. Add one to get the DNS records to publish."
        caption="Sending domains"
        captionHidden
        columns={['Domain', 'State', 'Ownership', 'Last checked']}
        row={(d) => (
          <tr key={d.id}>
            <th scope="row">
              <Link href={`/domains/${d.id}`}>{d.name}</Link>
            </th>
            <td>
              <Status value={d.verified ? 'verified' : 'pending'} />
            </td>
            <td>{d.ownership.verified_at ? 'proven' : `pending until ${formatDate(d.ownership.expires_at)}`}</td>
            <td>{formatDate(d.verification.last_checked_at)}</td>
          </tr>
        )}
      />
    </Page>
  );
}
