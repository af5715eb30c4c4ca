import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { Empty, ErrorNote, Loading, Page } from '../ui/page';
import { Status } from '../ui/status';

export function DomainsPage() {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const domains = useQuery({ queryKey: ['domains'], queryFn: async () => data(await api.GET('/v1/domains')) });
  const add = useMutation({
    mutationFn: async (domain: string) => data(await api.POST('/v1/domains', { body: { name: domain } })),
    onSuccess: (domain) => {
      void queryClient.invalidateQueries({ queryKey: ['domains'] });
      navigate(`/domains/${domain.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(name.trim());
  };
  return (
    <Page title="Domains">
      {canWrite ? (
        <form className="inline-form" onSubmit={submit} aria-label="Add a sending domain">
          <Field label="Domain name" placeholder="example.com" required value={name} onChange={(e) => setName(e.target.value)} />
          <button type="submit" disabled={add.isPending}>
            Add domain
          </button>
          <ErrorNote error={add.error} />
        </form>
      ) : null}
      {domains.isPending ? <Loading /> : null}
      <ErrorNote error={domains.error} />
      {domains.data && domains.data.length === 0 ? <Empty>No sending domain yet. Add one to get the DNS records to publish.</Empty> : null}
      {domains.data && domains.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Sending domains</caption>
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col">State</th>
                <th scope="col">Ownership</th>
                <th scope="col">Last checked</th>
              </tr>
            </thead>
            <tbody>
              {domains.data.map((d) => (
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
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
