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
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The city's offset from UTC, minutes (the work calendar's, `GET
 * /api/public/calendar`). Every time a page shows is the city's — a shift
 * that starts at 08:00 reads 08:00 on a laptop set to any zone — and "today"
 * starts at the city's midnight, as the server's day figures do. China's
 * until the server has said.
 */
let cityOffsetMin = 480;

/** Sets the city's offset; anything but a real offset (±14 h) is ignored. */
export function setCityOffset(minutes: unknown): void {
  if (typeof minutes === 'number' && Number.isInteger(minutes) && Math.abs(minutes) <= 840) cityOffsetMin = minutes;
}

/** Asks the server for the city's offset (no login needed); on failure the last one stays. */
export async function loadCityOffset(): Promise<void> {
  try {
    const r = await fetch('/api/public/calendar');
    if (r.ok) setCityOffset(((await r.json()) as { utc_offset_minutes?: unknown }).utc_offset_minutes);
  } catch {
    // Offline or an old server: China's offset stays.
  }
}

/** The city's wall clock at `ms`, read through the UTC getters. */
function cityClock(ms: number): Date {
  return new Date(ms + cityOffsetMin * MINUTE_MS);
}

/** HH:MM:SS in the city's time. */
export function formatClock(ms: number): string {
  const d = cityClock(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** HH:MM in the city's time; — for no time. */
export function formatTimeOfDay(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = cityClock(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** MM-DD HH:MM in the city's time. */
export function formatDateTime(ms: number): string {
  const d = cityClock(ms);
  return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** YYYY-MM-DD HH:MM in the city's time. */
export function formatDayAndTime(ms: number): string {
  return `${localDate(ms)} ${formatTimeOfDay(ms)}`;
}

/** The value a datetime-local input takes for an instant, in the city's time. */
export function toDateTimeLocal(ms: number): string {
  return `${localDate(ms)}T${formatTimeOfDay(ms)}`;
}

/** The instant a datetime-local input's value names in the city's time; NaN if it names none. */
export function fromDateTimeLocal(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return Number.NaN;
  return Date.parse(`${value}Z`) - cityOffsetMin * MINUTE_MS;
}

/** YYYY-MM-DD of the day containing `ms`, in the city's time (a date input's value). */
export function localDate(ms: number): string {
  const d = cityClock(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The city's midnight of the day containing `ms`: where "today" starts. */
export function startOfDay(ms: number): number {
  const off = cityOffsetMin * MINUTE_MS;
  return Math.floor((ms + off) / DAY_MS) * DAY_MS - off;
}

/** Escapes text for innerHTML. Every server string goes through it. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}
