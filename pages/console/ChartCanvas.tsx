/** A Chart.js chart on a canvas, labelled for screen readers, redrawn when its configuration changes. */
import type { ChartConfiguration } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { Chart } from './charts';

interface Props {
  /** Build it with useMemo: a new object redraws the chart. */
  config: ChartConfiguration<'bar'> | ChartConfiguration<'line'>;
  /** What the chart shows, in words (its aria-label). */
  label: string;
}

export function ChartCanvas({ config, label }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, config as ChartConfiguration);
    return () => chart.destroy();
  }, [config]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={label}>
        {label}
      </canvas>
    </div>
  );
}
