/** How the dashboard writes numbers, sizes, durations and times. */

export function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;
}

export function mbps(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} Mbit/s` : `${value.toFixed(value >= 10 ? 1 : 2)} Mbit/s`;
}

/** An axis number without unit: as few digits as it needs. */
export function plain(value: number): string {
  return Number(value.toPrecision(4)).toLocaleString('en');
}

export function bytes(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} GB`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(0)} MB`;
  return `${(value / 1e3).toFixed(0)} kB`;
}

export function count(value: number): string {
  return Number.isInteger(value)
    ? value.toLocaleString('en')
    : value.toLocaleString('en', { maximumFractionDigits: 2 });
}

export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A time axis label: the clock within a day, the date beyond. */
export function timeLabel(at: number, spanMs: number): string {
  const date = new Date(at);
  const clock = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (spanMs <= 36 * 3600_000) return clock;
  const day = `${date.getDate()} ${date.toLocaleString('en', { month: 'short' })}`;
  return spanMs <= 10 * 86_400_000 ? `${day} ${clock}` : day;
}

export function dateTime(at: number): string {
  return new Date(at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** "12 s ago", for the age of a node's last report. */
export function ago(ms: number): string {
  if (ms < 1500) return 'now';
  if (ms < 90_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}
