import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { Chart, COLORS } from '../ui/chart';
import { SelectField } from '../ui/field';
import { formatNumber } from '../ui/format';
import { Empty, ErrorNote, Loading, Page } from '../ui/page';
import { rangeQuery, RANGES, type Range } from '../ui/range';
import { Table } from '../ui/table';

type Breakdown = { by_code: Array<{ code: string | null; count: number; sample: string | null }>; by_domain: Array<{ domain: string; count: number }>; by_provider: Array<{ provider: string; count: number; mx_domains: string[] }>; total: number };

/** Bounces over time, hard, soft and blocked apart; top reasons by enhanced code, recipient domain and mailbox provider. */
export function BouncesPage() {
  const [range, setRange] = useState<Range>('30d');
  const query = useMemo(() => rangeQuery(range), [range]);
  const series = useQuery({ queryKey: ['stats', range], queryFn: async () => data(await api.GET('/v1/stats', { params: { query } })), refetchInterval: 60_000 });
  const top = useQuery({ queryKey: ['stats-bounces', range], queryFn: async () => data(await api.GET('/v1/stats/bounces', { params: { query: { from: query.from, to: query.to } } })), refetchInterval: 60_000 });
  const chart = useMemo(() => {
    if (!series.data) return null;
    const b = series.data.buckets;
    return {
      times: b.map((x) => Date.parse(x.start) / 1000),
      series: [
        { label: 'hard', color: COLORS.bounced, values: b.map((x) => x.bounced_hard) },
        { label: 'soft', color: COLORS.soft, values: b.map((x) => x.bounced_soft) },
        { label: 'blocked', color: COLORS.blocked, values: b.map((x) => x.blocked) },
      ],
    };
  }, [series.data]);
  const t = series.data?.totals;
  return (
    <Page title="Bounces" actions={<SelectField label="Period" value={range} onChange={(e) => setRange(e.target.value as Range)} options={RANGES} />}>
      <ErrorNote error={series.error ?? top.error} />
      {series.isPending ? <Loading /> : null}
      {t ? (
        <ul className="figures" aria-label="Totals for the period">
          <li>
            <strong>{formatNumber(t.bounced_hard)}</strong> hard bounces
          </li>
          <li>
            <strong>{formatNumber(t.bounced_soft)}</strong> soft bounces
          </li>
          <li>
            <strong>{formatNumber(t.blocked)}</strong> blocked
          </li>
        </ul>
      ) : null}
      {chart ? <Chart title="Bounces over time" times={chart.times} series={chart.series} /> : null}
      {top.data ? (
        <>
          <Breakdowns title="Bounced" breakdown={top.data.bounced} />
          <Breakdowns title="Blocked" breakdown={top.data.blocked} />
        </>
      ) : null}
    </Page>
  );
}

function Breakdowns({ title, breakdown }: { title: string; breakdown: Breakdown }) {
  return (
    <section className="card" aria-label={`${title}: top reasons`}>
      <h2>
        {title} ({formatNumber(breakdown.total)})
      </h2>
      {breakdown.total === 0 ? (
        <Empty>None in this period.</Empty>
      ) : (
        <div className="breakdowns">
          <Table wrap={false} caption="By enhanced status code" columns={['Code', 'Count', 'Example reply']}>
            {breakdown.by_code.map((r) => (
              <tr key={r.code ?? 'none'}>
                <th scope="row">{r.code ?? '—'}</th>
                <td>{formatNumber(r.count)}</td>
                <td className="muted">{r.sample ?? ''}</td>
              </tr>
            ))}
          </Table>
          <Table wrap={false} caption="By recipient domain" columns={['Domain', 'Count']}>
            {breakdown.by_domain.map((r) => (
              <tr key={r.domain}>
                <th scope="row">{r.domain}</th>
                <td>{formatNumber(r.count)}</td>
              </tr>
            ))}
          </Table>
          <Table wrap={false} caption="By mailbox provider" columns={['Provider', 'Count']}>
            {breakdown.by_provider.map((r) => (
              <tr key={r.provider}>
                <th scope="row">{r.provider}</th>
                <td>{formatNumber(r.count)}</td>
              </tr>
            ))}
          </Table>
        </div>
      )}
    </section>
  );
}
