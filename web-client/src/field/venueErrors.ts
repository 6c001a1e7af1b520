// Why a scan of a venue code was refused, in the worker's language: the
// server answers in English sentences (docs/protocol.md, "Venue codes"); the
// ones a worker can act on — forged, too far, too rough, not theirs — are
// said with their figures (the distance, the place, the radius).

import { ApiError } from '../shared/api';
import { errorMessage, errorWithDetail } from '../shared/errors';
import { t } from '../shared/i18n';
import './venueLabels';

const fill = (key: string, vars: Record<string, string>) => Object.entries(vars).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, v), t(key));

/** `you are 523 m from 实验小学; scan its code within 100 m of it` */
const TOO_FAR = /you are ([\d.]+) m from (.+); scan its code within ([\d.]+) m/i;
/** `the position is too rough (±300 m) to place you at 实验小学; wait for a better fix (±100 m or better)` */
const TOO_ROUGH = /too rough \(±([\d.]+) m\)(?:.*?±([\d.]+) m or better)?/i;
/** `实验小学 is outside your area` */
const OUTSIDE = /^(.+) is outside your area/i;

/** One sentence for a refused scan (or a failure on the way). */
export function venueRefusal(e: unknown): string {
  if (!(e instanceof ApiError)) return errorMessage(e, 'action');
  const m = e.message;
  if (e.status === 403) {
    if (/not issued by this server/i.test(m)) return t('venue.err.forged');
    if (/field worker/i.test(m)) return t('venue.err.not_field');
    const out = OUTSIDE.exec(m);
    if (out) return fill('venue.err.outside', { place: out[1]! });
    if (/outside/i.test(m)) return t('venue.err.outside_plain');
  }
  if (e.status === 409 && (e.state === 'too_far' || TOO_FAR.test(m))) {
    const far = TOO_FAR.exec(m);
    return far ? fill('venue.err.too_far', { d: far[1]!, place: far[2]!, r: far[3]! }) : t('venue.err.too_far_plain');
  }
  if (e.status === 400) {
    if (/not a venue code/i.test(m)) return t('venue.err.not_code');
    const rough = TOO_ROUGH.exec(m);
    if (rough) return rough[2] ? fill('venue.err.too_rough', { acc: rough[1]!, r: rough[2] }) : t('venue.err.too_rough_plain');
    // A checklist or a note out of bounds: the server's own words say which.
    return errorWithDetail(e, 'action');
  }
  if (e.status === 404) return t('venue.err.gone');
  return errorMessage(e, 'action');
}
