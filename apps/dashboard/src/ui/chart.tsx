import { lazy, Suspense } from 'react';

export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
  dash?: number[];
}

export interface ChartProps {
  /** What the chart shows, for screen readers (the figures beside it carry the numbers). */
  title: string;
  /** Bucket starts, in seconds since the epoch. */
  times: number[];
  series: ChartSeries[];
  height?: number;
  percent?: boolean;
}

// uPlot loads with the first chart, not with the dashboard's first page.
const ChartView = lazy(() => import('./chart-view'));

/** A time-series chart (uPlot), with a heading. */
export function Chart(props: ChartProps) {
  return (
    <figure className="card chart-card">
      <figcaption>
        <h2>{props.title}</h2>
      </figcaption>
      <Suspense fallback={<div className="chart" aria-hidden="true" />}>
        <ChartView {...props} />
      </Suspense>
    </figure>
  );
}

export const COLORS = {
  accepted: '#1d4ed8',
  delivered: '#047857',
  bounced: '#b91c1c',
  soft: '#ea580c',
  blocked: '#7c3aed',
  complained: '#be185d',
  opened: '#0369a1',
  clicked: '#4d7c0f',
  limit: '#111827',
};
