/** How numbers, shares and times read in the console. */

/** A number with up to `digits` significant digits; a dash for null. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** A share (0..1) as a percentage; a dash for null. */
export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

/** Milliseconds; a dash for null. */
export function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${num(x)} ms`;
}

/** An ISO time as the reader's local date and time. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** An ISO time as the reader's local hour and minute (chart axes). */
export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A route as it reads: "1", or "1 90%, 2 10%", with its shadow. */
export function describeRoute(route: { versions: Record<string, number>; shadow?: { version: string; percent: number } }): string {
  const entries = Object.entries(route.versions);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const served = entries.length === 1 ? (entries[0] as [string, number])[0] : entries.map(([v, w]) => `${v} (${num((w / total) * 100, 3)}%)`).join(', ');
  return route.shadow ? `${served}; shadow ${route.shadow.version} on ${num(route.shadow.percent)}%` : served;
}

/** A safe piece of an element id from any name. */
export function idPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}
