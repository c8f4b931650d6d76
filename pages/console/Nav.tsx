/** The console's views as links (the current one marked for screen readers too). */
import { href, type View } from './route';

const LABELS: Record<View, string> = { models: 'Models', traffic: 'Traffic', batches: 'Batches', monitoring: 'Monitoring' };

export function Nav({ current }: { current: View }) {
  return (
    <nav aria-label="Console views">
      <ul class="tabs">
        {(Object.keys(LABELS) as View[]).map((v) => (
          <li key={v}>
            <a href={href(v)} aria-current={v === current ? 'page' : undefined}>
              {LABELS[v]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
