/**
 * Chart.js, with only the parts the console draws (bars and lines on category axes), and
 * the charts' configurations built from the monitoring report. No animation: charts are
 * drawn at once, and nothing moves for readers who would rather it did not.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration, type ChartDataset } from 'chart.js';
import { clock, num, pct } from './format';
import type { FeatureReport, TimelinePoint } from './types';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.color = '#1f2933';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.maintainAspectRatio = false;

export { Chart };

/** Colours after Okabe–Ito (told apart with colour-blindness), each at least 3:1 against white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#B8527F', '#8C6D00', '#5B4FA0', '#000000', '#A0522D'];
const REFERENCE = '#7B8494';
const LIVE = '#0072B2';

const percentAxis = { beginAtZero: true, ticks: { callback: (v: string | number) => pct(Number(v), 0) } };

/** A feature's live share per bin next to its training reference share. */
export function distributionChart(f: FeatureReport): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: f.bins.map((b) => b.label),
      datasets: [
        { label: 'Training reference', data: f.bins.map((b) => b.reference), backgroundColor: REFERENCE, borderColor: REFERENCE },
        { label: 'Live', data: f.bins.map((b) => b.live), backgroundColor: LIVE, borderColor: LIVE },
      ],
    },
    options: {
      scales: { y: { ...percentAxis, title: { display: true, text: 'share of values' } }, x: { ticks: { autoSkip: true, maxRotation: 60 } } },
      plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${pct(c.parsed.y)}` } } },
    },
  };
}

export interface Series {
  label: string;
  data: (number | null)[];
  dashed?: boolean;
}

/** Lines over the timeline's intervals. */
export function timelineChart(timeline: readonly TimelinePoint[], series: readonly Series[], yTitle: string): ChartConfiguration<'line'> {
  const datasets: ChartDataset<'line', (number | null)[]>[] = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    return { label: s.label, data: s.data, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 2, spanGaps: false, ...(s.dashed ? { borderDash: [6, 4], pointRadius: 0 } : {}) };
  });
  return {
    type: 'line',
    data: { labels: timeline.map((p) => clock(p.start)), datasets },
    options: {
      scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } },
      interaction: { mode: 'index', intersect: false },
      // Many series (an input each): the legend beside the plot, not over it.
      plugins: { legend: { position: series.length > 4 ? 'right' : 'top' } },
    },
  };
}

/** In words, what a feature's chart shows: its PSI, and the bin whose share moved most. */
export function distributionSummary(f: FeatureReport, threshold: number): string {
  const psi = f.psi === null ? 'no PSI yet (too few values, or no training profile)' : `PSI ${num(f.psi, 3)}, ${f.drift ? `above ${threshold}: drift` : 'no drift'}`;
  let most: { label: string; reference: number; live: number } | undefined;
  for (const b of f.bins) if (!most || Math.abs(b.live - b.reference) > Math.abs(most.live - most.reference)) most = b;
  const moved = most && f.rows > 0 ? `; the largest change is in ${most.label}: ${pct(most.reference)} in training, ${pct(most.live)} live` : '';
  return `${f.name}: ${f.rows} rows scored, ${psi}${moved}.`;
}
