import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartProps } from './chart';

/** uPlot under React: built once per data shape, resized with its box. Loaded on demand (chart.tsx). */
export default function ChartView({ title, times, series, height = 220, percent = false }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: element.clientWidth || 600,
      height,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dash, points: { show: false }, value: (_: uPlot, v: number | null) => (v === null ? '—' : percent ? `${v.toFixed(2)} %` : v.toLocaleString()) }))],
      axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map((t) => (percent ? `${t} %` : t.toLocaleString())), size: 60 }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    const plot = new uPlot(options, [times, ...series.map((s) => s.values)], element);
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, height, percent]);
  return <div ref={box} className="chart" role="img" aria-label={title} />;
}
