/**
 * One version's monitoring: a summary in words, drift flags, each input's distribution
 * against its training reference, PSI, requests, errors and latency over time, and the
 * shadow comparison.
 */
import { useMemo } from 'preact/hooks';
import { ChartCanvas } from './ChartCanvas';
import { timelineChart, type Series } from './charts';
import { DriftTable } from './DriftTable';
import { FeatureChart } from './FeatureChart';
import { ms, num, pct } from './format';
import { ShadowTable } from './ShadowTable';
import type { MonitoringReport, VersionReport } from './types';

function servedBy(report: MonitoringReport, version: string): string[] {
  return Object.entries(report.traffic ?? {})
    .filter(([, r]) => Object.hasOwn(r.versions, version) || r.shadow?.version === version)
    .map(([a, r]) => (r.shadow?.version === version && !Object.hasOwn(r.versions, version) ? `${a} (shadow)` : a));
}

/** The version's window in one paragraph. */
export function versionSummary(v: VersionReport, minutes: number): string {
  const errors = Object.entries(v.errors);
  const errorText = errors.length ? `${pct(v.errorRate)} errors (${errors.map(([c, n]) => `${c} ${n}`).join(', ')})` : 'no errors';
  const drift = v.drifted.length ? `drift flagged on ${v.drifted.join(', ')}` : 'no input drifted';
  return `In the last ${minutes} minutes: ${v.requests} requests, ${v.rows} rows scored, ${errorText}; latency p50 ${ms(v.latencyMs.p50)}, p95 ${ms(v.latencyMs.p95)}, p99 ${ms(v.latencyMs.p99)}; ${drift}.`;
}

export function VersionMonitor({ report, version: v }: { report: MonitoringReport; version: VersionReport }) {
  const base = `monitor-${v.version}`;
  const binned = v.features.filter((f) => f.bins.length > 0);
  const names = v.features.map((f) => f.name);
  const { psiChart, trafficChart, latencyChart, highest } = useMemo(() => {
    const psiSeries: Series[] = [
      ...names.map((n) => ({ label: n, data: v.timeline.map((p) => p.psi[n] ?? null) })),
      { label: `threshold ${report.psiThreshold}`, data: v.timeline.map(() => report.psiThreshold), dashed: true },
    ];
    let top: { name: string; psi: number } | undefined;
    for (const p of v.timeline) for (const [n, x] of Object.entries(p.psi)) if (x !== null && (!top || x > top.psi)) top = { name: n, psi: x };
    return {
      psiChart: timelineChart(v.timeline, psiSeries, 'PSI'),
      trafficChart: timelineChart(
        v.timeline,
        [
          { label: 'requests', data: v.timeline.map((p) => p.requests) },
          { label: 'errors', data: v.timeline.map((p) => p.errors) },
        ],
        'count',
      ),
      latencyChart: timelineChart(
        v.timeline,
        [
          { label: 'p50', data: v.timeline.map((p) => p.latencyMs.p50) },
          { label: 'p95', data: v.timeline.map((p) => p.latencyMs.p95) },
        ],
        'ms',
      ),
      highest: top,
    };
  }, [v, report.psiThreshold]);
  const aliases = servedBy(report, v.version);
  const points = v.timeline.length;
  const requestsPeak = Math.max(0, ...v.timeline.map((p) => p.requests));
  const errorsTotal = v.timeline.reduce((s, p) => s + p.errors, 0);
  const p95Peak = Math.max(0, ...v.timeline.map((p) => p.latencyMs.p95 ?? 0));
  return (
    <section class="panel version-monitor" aria-labelledby={`${base}-heading`}>
      <h3 id={`${base}-heading`}>
        Version {v.version}
        {aliases.length > 0 && <span class="muted"> (served by {aliases.join(', ')})</span>}
      </h3>
      <p class="summary">{versionSummary(v, report.window.minutes)}</p>
      <p>
        Prediction log: {v.predictionLog.rows} rows written, {v.predictionLog.dropped} dropped.
      </p>
      <h4>Drift</h4>
      {v.drifted.length > 0 ? (
        <p class="flag-line" role="note">
          Drift flagged: {v.drifted.join(', ')}
        </p>
      ) : (
        <p>No input drifted (PSI at most {report.psiThreshold}, or too few rows to tell).</p>
      )}
      <DriftTable features={v.features} threshold={report.psiThreshold} />
      <h4>Live distributions against the training reference</h4>
      {binned.length === 0 ? (
        <p>This version has no training profile: there is no reference to draw.</p>
      ) : (
        <div class="chart-grid">
          {binned.map((f) => (
            <FeatureChart key={f.name} feature={f} threshold={report.psiThreshold} />
          ))}
        </div>
      )}
      <h4>Over time</h4>
      <div class="chart-grid wide">
        <figure class="span-all">
          <figcaption>PSI per input</figcaption>
          <ChartCanvas
            config={psiChart}
            label={`Line chart of each input's PSI over ${points} intervals, with the drift threshold ${report.psiThreshold}. ${highest ? `Highest: ${num(highest.psi, 3)} (${highest.name}).` : 'No PSI yet.'}`}
          />
        </figure>
        <figure>
          <figcaption>Requests and errors</figcaption>
          <ChartCanvas config={trafficChart} label={`Line chart of requests and errors over ${points} intervals: at most ${requestsPeak} requests in one, ${errorsTotal} errors in all.`} />
        </figure>
        <figure>
          <figcaption>Latency</figcaption>
          <ChartCanvas config={latencyChart} label={`Line chart of latency p50 and p95 over ${points} intervals; the highest p95 is ${ms(p95Peak || null)}.`} />
        </figure>
      </div>
      <h4>Shadow</h4>
      <ShadowTable shadow={v.shadow} />
    </section>
  );
}
