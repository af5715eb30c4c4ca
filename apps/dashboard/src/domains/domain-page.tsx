import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { CopyButton } from '../ui/copy-button';
import { formatDate } from '../ui/format';
import { BackLink, ErrorNote, Loading, Page } from '../ui/page';
import { Fact } from '../ui/facts';
import { Status } from '../ui/status';

const PURPOSE: Record<string, string> = {
  ownership: 'Ownership (proves the domain is yours)',
  dkim: 'DKIM signature key',
  spf: 'SPF for the return path',
  return_path: 'Return path (bounces come back here)',
  dmarc: 'DMARC policy',
};

/** A domain's DNS records, each with a copy button and its state, and a button to check them now. */
export function DomainPage({ id }: { id: string }) {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const domain = useQuery({ queryKey: ['domains', id], queryFn: async () => data(await api.GET('/v1/domains/{id}', { params: { path: { id } } })) });
  const verify = useMutation({
    mutationFn: async () => data(await api.POST('/v1/domains/{id}/verify', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['domains'] }),
  });
  if (domain.isPending) return <Loading />;
  if (domain.error) return <ErrorNote error={domain.error} />;
  const d = domain.data;
  const checked = verify.data;
  const stateOf = (name: string, type: string, value: string) => {
    if (!checked) return null;
    const all = [checked.ownership.record, ...checked.records];
    return all.find((r) => r.name === name && r.type === type && r.value === value)?.state ?? null;
  };
  const records = [d.ownership.record, ...d.dns];
  return (
    <Page
      title={d.name}
      actions={
        canWrite ? (
          <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? 'Checking DNS…' : 'Verify DNS records'}
          </button>
        ) : null
      }
    >
      <BackLink href="/domains">All domains</BackLink>
      <p>
        <Status value={d.verified ? 'verified' : 'pending'} />{' '}
        {d.verified ? 'Ready to send.' : 'Publish these records at your DNS host, then verify. Sending needs ownership, DKIM, SPF and the return path.'}
      </p>
      {!d.ownership.verified_at && d.ownership.expires_at ? <p className="muted">Ownership must be proven before {formatDate(d.ownership.expires_at)}.</p> : null}
      <ErrorNote error={verify.error} />
      {checked ? (
        <p role="status">
          Checked just now: {checked.records.filter((r) => r.state === 'verified').length + (checked.ownership.record.state === 'verified' ? 1 : 0)} of {checked.records.length + 1} records found.
        </p>
      ) : null}
      <ul className="records">
        {records.map((r) => {
          const state = stateOf(r.name, r.type, r.value);
          const value = r.type === 'MX' ? `${r.priority ?? 10} ${r.value}` : r.value;
          return (
            <li key={`${r.type} ${r.name} ${r.value}`} className="record">
              <h2 className="record-title">
                {PURPOSE[r.purpose] ?? r.purpose} {state ? <Status value={state} /> : null}
              </h2>
              <dl>
                <Fact term="Type">{r.type}</Fact>
                <Fact term="Name">
                  <code>{r.name}</code> <CopyButton value={r.name} label={`${r.purpose} record name`} />
                </Fact>
                <Fact term="Value">
                  <code className="wrap">{value}</code> <CopyButton value={value} label={`${r.purpose} record value`} />
                </Fact>
              </dl>
            </li>
          );
        })}
      </ul>
      <h2>Verification</h2>
      <ul className="checks">
        {(['ownership', 'dkim', 'spf', 'return_path', 'dmarc'] as const).map((k) => (
          <li key={k}>
            <Status value={d.verification[k] ? 'verified' : 'missing'} /> {PURPOSE[k]}
          </li>
        ))}
      </ul>
      <p className="muted">Last checked {formatDate(d.verification.last_checked_at)}.</p>
    </Page>
  );
}
