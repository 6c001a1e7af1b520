// How numbers, times and distances read on the screens.

import type { Lang } from './i18n';

/** 312 m, 1.2 km */
export function formatDistance(m: number): string {
  if (!Number.isFinite(m)) return '—';
  if (m < 1000) return `${Math.round(m)} m`;
  return `${(m / 1000).toFixed(m < 10_000 ? 1 : 0)} km`;
}

/** 0.9286 → 92.9%; null (nothing handled yet) → — */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  return `${(rate * 100).toFixed(1)}%`;
}

/** A signed span such as "2小时5分" / "2h 5m"; negative spans read as overdue by the caller. */
export function formatDuration(ms: number, lang: Lang): string {
  const total = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  if (lang === 'zh') {
    if (d > 0) return `${d}天${h}小时`;
    if (h > 0) return `${h}小时${m}分`;
    return `${m}分钟`;
  }
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}

/**
 * How old a position is, as a dispatcher reads it: "刚刚定位", "2 分钟前定位" /
 * "fix just now", "fix 2 min ago" (short: it sits under a distance in the
 * candidates table). Whole units, rounded down: a fix 119 s old reads
 * "1 分钟前", never younger than it is.
 */
export function formatFixAge(ageS: number, lang: Lang): string {
  const s = Math.max(0, Math.floor(ageS));
  if (s < 60) return lang === 'zh' ? '刚刚定位' : 'fix just now';
  if (s < 3600) return lang === 'zh' ? `${Math.floor(s / 60)} 分钟前定位` : `fix ${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return lang === 'zh' ? `${Math.floor(s / 3600)} 小时前定位` : `fix ${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86_400);
  return lang === 'zh' ? `${d} 天前定位` : `fix ${d} ${d === 1 ? 'day' : 'days'} ago`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** HH:MM:SS in the viewer's local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** HH:MM in the viewer's local time; — for no time. */
export function formatTimeOfDay(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** MM-DD HH:MM in the viewer's local time. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value a datetime-local input takes for an instant, in local time. */
export function toDateTimeLocal(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** YYYY-MM-DD of the day containing `ms`, in the viewer's local time (a date input's value). */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight of the day containing `ms`: where "today" starts. */
export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Escapes text for innerHTML. Every server string goes through it. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}
