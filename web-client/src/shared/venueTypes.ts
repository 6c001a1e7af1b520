// 场所码 (venue codes) and the inspections they record: the shapes of
// docs/protocol.md "Venue codes (场所码) and inspections" the pages read.

import type { EpochMs } from './types';

/** 检查 (an inspection, with its checklist) or 打卡 (a check-in). */
export type ScanKind = 'inspection' | 'check_in';

/** One item of an inspection's checklist. */
export interface CheckItem {
  item: string;
  ok: boolean;
  note?: string;
}

/** `GET /api/venues/{id}/code`. */
export interface VenueCode {
  place_id: string;
  name: string;
  category: string;
  grid: string | null;
  /** `PLACE.SIGNATURE`: what the QR code carries after `/field?venue=`. */
  code: string;
  /** `/field?venue=CODE`. */
  path: string;
  /** The absolute link the printed QR code carries: the field page at the server's public address (`--public-url`, else as the request reached it). */
  link: string;
}

/** An inspection or check-in as recorded (`POST /api/venues/scan`, `GET /api/venues/inspections`, the `inspection` push). */
export interface Inspection {
  id: string;
  place_id: string;
  place_name: string;
  place_category: string;
  grid: string | null;
  kind: ScanKind;
  staff_id: string;
  staff_name: string;
  at_ms: EpochMs;
  position: { lon: number; lat: number };
  /** To the place's nearest point; 0 inside its area. */
  distance_m: number;
  checklist: CheckItem[];
  /** Checklist items not in order. */
  problems: number;
  note: string | null;
  photos: string[];
}

/** The body of `POST /api/venues/scan`. */
export interface ScanRequest {
  code: string;
  position: { lon: number; lat: number; accuracy_m?: number };
  kind: ScanKind;
  checklist: CheckItem[];
  note?: string;
  photos?: string[];
}
