// The shapes riskmap sends and accepts (docs/protocol.md). Only the fields the
// client reads are typed; the server may send more.

export type EpochMs = number;
export type BBox = [west: number, south: number, east: number, north: number];

export type UserRole = 'admin' | 'commander' | 'dispatcher' | 'viewer' | 'field';

export interface User {
  id: number;
  username: string;
  display_name?: string;
  role: UserRole;
  /** The area code the user is bound to; empty for the system admin. */
  area: string;
  staff_id?: string | null;
  /** The department (部门) the login works for, by code; null for none. */
  department?: string | null;
  /**
   * Someone else set the password (an administrator creating or resetting the
   * login): until its owner chooses a new one the login may do nothing else.
   */
  must_change_password?: boolean;
}

export type AreaLevel = 'city' | 'district' | 'street' | 'community' | 'grid';
export const AREA_LEVELS: readonly AreaLevel[] = ['city', 'district', 'street', 'community', 'grid'];

export type StaffRole = 'grid_worker' | 'police' | 'urban_management' | 'comprehensive' | 'volunteer';
export const STAFF_ROLES: readonly StaffRole[] = [
  'grid_worker',
  'police',
  'urban_management',
  'comprehensive',
  'volunteer',
];

/** 值班状态 — duty status of a staff member. */
export type Duty = 'off' | 'available' | 'busy' | 'sos';

/** A staff member as /ws snapshots, staff_update and `GET /api/staff/{id}` carry them. */
export interface StaffLive {
  id: string;
  name?: string;
  role?: StaffRole;
  duty: Duty;
  grid?: string;
  skills?: string[];
  lon: number;
  lat: number;
  t: EpochMs;
  heading?: number | null;
  speed?: number | null;
}

/** One entry of a staff_moves message: the latest position since the last tick. */
export interface StaffMove {
  id: string;
  lon: number;
  lat: number;
  t: EpochMs;
  duty?: Duty;
  heading?: number | null;
  speed?: number | null;
}

export interface CameraInfo {
  id: string;
  name: string;
  lon: number;
  lat: number;
  heading?: number | null;
  fov?: number | null;
  range_m: number;
  online?: boolean;
  owner?: string;
  /** The live stream: an HLS (.m3u8) http(s) URL plays on the big screen; RTSP needs a media gateway. */
  stream_url?: string | null;
  distance_m?: number;
}

export type IncidentState =
  | 'reported'
  | 'accepted'
  | 'rejected'
  | 'merged'
  | 'dispatched'
  | 'signed'
  | 'in_progress'
  | 'handled'
  | 'verified'
  | 'closed';
export const INCIDENT_STATES: readonly IncidentState[] = [
  'reported',
  'accepted',
  'dispatched',
  'signed',
  'in_progress',
  'handled',
  'verified',
  'closed',
  'rejected',
  'merged',
];
export const TERMINAL_STATES: ReadonlySet<IncidentState> = new Set(['rejected', 'merged', 'closed']);

export type Priority = 'normal' | 'urgent' | 'emergency';
export type Warning = 'green' | 'yellow' | 'red' | 'none';

/** 事件 — one incident of the closed loop. */
export interface Incident {
  id: string;
  category: string;
  category_name?: string;
  category_name_en?: string;
  department?: string | null;
  source: string;
  priority: Priority;
  lon: number;
  lat: number;
  grid: string;
  grid_name?: string | null;
  area: string;
  area_name?: string | null;
  description: string;
  /** Attachment ids (64 hex) of uploaded images; anything else is a legacy text reference. */
  photos?: string[];
  reporter?: string;
  reporter_staff?: string | null;
  state: IncidentState;
  report_only?: boolean;
  assignee_staff: string | null;
  assignee_name?: string | null;
  assignee_department?: string | null;
  possible_duplicate_of?: string | null;
  created_ms: EpochMs;
  updated_ms: EpochMs;
  step?: string | null;
  step_deadline_ms?: EpochMs | null;
  deadline_ms?: EpochMs | null;
  warning: Warning;
  version: number;
  allowed?: string[];
  /** The level of the command centre that owns it (`area` is that centre's area). */
  owner_level?: AreaLevel | null;
  owner_centre?: string | null;
  owner_centre_name?: string | null;
  /** The department it was dispatched to, by name (`assignee_department` is its code). */
  assignee_department_name?: string | null;
  /** 一网分流: the department of the category's kind nearest the owner, while accepted. */
  proposed_department?: { code: string; name: string } | null;
  /** 督办: a higher level's order; open while `answered_ms` is null. */
  supervision?: Supervision | null;
  /** Times moved up a level, and of those how many by the clock. */
  escalations?: number;
  clock_escalations?: number;
  /** Where it came in from outside (issue 16): a citizen, a hotline, a camera; absent for internal reports. */
  intake?: IncidentIntake | null;
}

/** The channels an incident comes in by (`source`; the stats' `by_source`). */
export type IncidentSource = 'patrol' | 'citizen' | 'hotline' | 'camera' | 'system';
export const INCIDENT_SOURCES: readonly IncidentSource[] = ['patrol', 'citizen', 'hotline', 'camera', 'system'];

/** 群众评价 — a citizen's rating of how their report was dealt with. */
export interface Rating {
  score: number;
  comment: string;
  at_ms: EpochMs;
}

/** An incident's outside origin (一网受理) and the answer given back (一网反馈). */
export interface IncidentIntake {
  /** The citizen's tracking code (10 chars), for /report/{code}. */
  tracking_code?: string;
  /** The citizen's phone, masked by the server (138****8000). */
  phone?: string;
  /** An external system's ticket (12345 热线, a platform). */
  external?: { source: string; ticket: string };
  /** A camera's alarm, with how many times it fired. */
  alarm?: { camera: string; kind: string; count: number };
  rating?: Rating;
  /** The public answer (答复群众), given on close, reject or merge. */
  reply?: string;
}

/** An uploaded image (POST /api/attachments). */
export interface Attachment {
  id: string;
  mime: string;
  width: number;
  height: number;
  size: number;
}

/** 接入源 — an external system that may post incidents (admin only). */
export type IntakeKind = 'hotline' | 'camera' | 'platform' | 'alerts';
export interface IntakeSource {
  name: string;
  title: string;
  kind: IntakeKind;
  /** The external category code → our minor category code. */
  categories: Record<string, string>;
  default_category: string | null;
  callback_url: string | null;
  updated_ms?: EpochMs;
  /** Only in the answer to a creation when the server generated it: shown once. */
  secret?: string;
}

/** 回调 — one status update owed to an external system. */
export type DeliveryState = 'pending' | 'failed' | 'delivered';
export interface IntakeDelivery {
  id: number;
  source: string;
  ticket: string;
  incident: string;
  seq: number;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  next_ms: EpochMs;
  delivered_ms: EpochMs | null;
  created_ms: EpochMs;
}

/** 督办 — an order from a higher level to the owner of an incident. */
export interface Supervision {
  by: string;
  by_area: string;
  by_area_name?: string | null;
  order: string;
  at_ms: EpochMs;
  due_ms: EpochMs;
  answered_ms: EpochMs | null;
  answer?: string | null;
}

/** 部门 — a department that handles incidents of one kind for an area (docs: contract 15). */
export interface Department {
  code: string;
  name: string;
  /** The department type the category dictionary names (综合行政执法队, 派出所 …). */
  kind: string;
  area: string;
  area_name?: string | null;
  level?: AreaLevel | null;
  staff?: string[];
  /** Usernames of the logins bound to it (read-only). */
  members?: string[];
}

/** The levels 考核 ranks (GET /api/assessment `level`). */
export type AssessmentLevel = 'street' | 'department' | 'worker' | 'grid' | 'district';
export interface AssessmentRow {
  rank: number;
  key: string;
  name: string;
  found: number;
  accepted: number;
  closed: number;
  on_time_rate: number | null;
  rework_rate: number | null;
  avg_handling_hours: number | null;
  escalations: number;
  supervisions: number;
  satisfaction?: number | null;
}
export interface Assessment {
  level: AssessmentLevel;
  area: string;
  from_ms: EpochMs;
  to_ms: EpochMs;
  rows: AssessmentRow[];
}

export interface FlowLogEntry {
  incident: string;
  seq: number;
  at_ms: EpochMs;
  action: string;
  from: IncidentState | null;
  to: IncidentState;
  actor: string;
  /** The actor's display name (null if the account is gone). */
  actor_name?: string | null;
  actor_role?: string;
  comment?: string | null;
  /** Attachment ids of the step's photos (处置前 with start, 处置后 with handle), or legacy references. */
  photos?: string[];
  detail?: Record<string, unknown> | null;
}

export interface Candidate {
  id: string;
  name: string;
  role: StaffRole;
  duty: Duty;
  grid: string | null;
  grid_name?: string | null;
  same_grid: boolean;
  distance_m: number;
  lon: number;
  lat: number;
  /** How old the position is, from when the device took it (older servers: absent). */
  fix_age_s?: number;
  /** Not heard from for the server's `stale_after_s`: offered only with `include_stale`. */
  stale?: boolean;
}

export interface Candidates {
  incident: string;
  skill?: string | null;
  staff: Candidate[];
  cameras: CameraInfo[];
}

export interface IncidentStats {
  area: string | null;
  total: number;
  by_state: Partial<Record<IncidentState, number>>;
  handled: number;
  handled_on_time: number;
  on_time_rate: number | null;
  overdue: number;
  warnings: { green: number; yellow: number; red: number };
  /** Incidents of the period by channel (newer servers). */
  by_source?: Partial<Record<IncidentSource, number>>;
  /** Citizens' reports since local midnight. */
  citizen_today?: number;
  /** Ratings of the period: how many, their average, the share of 4 and 5. */
  satisfaction?: Satisfaction;
}

export interface Satisfaction {
  rated: number;
  average: number | null;
  satisfied_rate: number | null;
}

export interface CategoryNode {
  code: string;
  name: string;
  name_en?: string;
  /** A minor category's department kind (综治中心, 派出所 …). */
  department?: string;
  children?: CategoryNode[];
}

export interface TrackFix {
  lon: number;
  lat: number;
  t: EpochMs;
  speed?: number | null;
  heading?: number | null;
  accuracy?: number | null;
}

export interface HeatCell {
  cell: string;
  count: number;
}

/**
 * The command chain on an incident (pushed on the `alerts` layer): a 督办
 * order given, answered or overdue (督办逾期), or an escalation by the clock
 * (超时自动上报).
 */
export interface SupervisionAlertMessage {
  type: 'alert';
  kind: 'supervision' | 'supervision_answered' | 'supervision_overdue' | 'escalated';
  incident: string;
  title?: string;
  at_ms: EpochMs;
  grid?: string;
  area?: string;
  area_name?: string | null;
  due_ms?: EpochMs | null;
  comment?: string;
}

/** An alert as /ws pushes it: a warning level changed. */
export interface AlertMessage {
  type: 'alert';
  kind: 'warning';
  incident: string;
  level: Warning;
  previous?: Warning;
  at_ms: EpochMs;
  title?: string;
}

/** Where an alert stands: nobody took it yet, a dispatcher took it (认领), over. */
export type AlertState = 'open' | 'acknowledged' | 'closed';

/** One step of an alert's life, with who (a username) and their note. */
export interface AlertStep {
  action: 'raised' | 'acknowledged' | 'cancelled' | 'closed';
  at_ms: EpochMs;
  by: string;
  /** The actor's display name (absent in records older than it). */
  by_name?: string;
  note?: string;
}

/**
 * What raised an alert: 一键求助 (the worker asked for help), or a track rule the
 * server judges on a worker on duty — 脱岗 (out of their grid too long) and 静止
 * (not moving too long, a possible fall).
 */
/**
 * A worker's alert's kind: the SOS, the track rules' (脱岗, 静止), the patrol
 * rules' (未按时入格, 逾期未检) and the zones crossed (进入围栏, 离开围栏,
 * 进入风险源缓冲区).
 */
export type AlertKind = 'sos' | 'left_grid' | 'motionless' | 'not_visited' | 'place_overdue' | 'fence_enter' | 'fence_exit' | 'risk_zone';

/**
 * A worker's alert as the server keeps it (docs/protocol.md, "Alerts"): an SOS
 * or a rule's. The big screen shows every kind; the field page its own SOS only
 * (alertBook.ts, `sosOnly`).
 */
export interface SosAlert {
  id: string;
  kind: AlertKind;
  state: AlertState;
  staff_id: string;
  staff_name: string;
  grid: string | null;
  position: { lon: number; lat: number } | null;
  duty_before: Duty;
  /** The nearest available staff when it was raised (up to three). */
  helpers: { staff_id: string; name: string; distance_m: number }[];
  /** A rule's alert: since when the rule has been broken (its first fix). */
  since_ms?: EpochMs;
  raised_ms: EpochMs;
  updated_ms: EpochMs;
  steps: AlertStep[];
  /** One more for each change: the newest wins. */
  version: number;
}

/** A worker's alert as /ws pushes it: on every change, and again every 5 s while open (`repeat`). */
export interface SosAlertMessage {
  type: 'alert';
  kind: AlertKind;
  alert: SosAlert;
  repeat: boolean;
}

export type ServerMessage =
  | {
      type: 'hello';
      user: User;
      tick_ms: number;
      server_time: EpochMs;
      /** A staff member whose last fix is older than this is offline (older servers: absent). */
      stale_after_s?: number;
    }
  | {
      type: 'snapshot';
      seq: number;
      bbox: BBox;
      staff?: StaffLive[];
      cameras?: CameraInfo[];
      incidents?: Incident[];
      /** The active alerts of the area, whatever the box (with the `alerts` layer). */
      alerts?: SosAlertMessage[];
      /** The grids of the box and area with any risk (with the `risk` layer); the rest are blue, 0. */
      grid_risk?: GridRow[];
      /** The ids of the cameras of the box and area that are down (with the `camera_health` layer). */
      cameras_offline?: string[];
      /** 人员分布: the staff counted per H3 cell (with the `staff_cells` layer). */
      staff_cells?: StaffCells;
    }
  | { type: 'staff_cells'; cells: StaffCell[] }
  | { type: 'staff_moves'; seq: number; moves: StaffMove[] }
  | { type: 'staff_update'; staff: StaffLive }
  | { type: 'layer_changed'; layer: string }
  | { type: 'incident'; incident: Incident }
  | { type: 'task'; incident: Incident }
  | AlertMessage
  | SupervisionAlertMessage
  | SosAlertMessage
  | { type: 'stats'; area: string; stats: IncidentStats }
  | { type: 'grid_risk'; grids: GridRow[] }
  /** Camera health: a camera whose probe answer changed (docs/protocol.md "Camera health"). */
  | { type: 'camera_update'; camera: CameraInfo }
  | { type: 'ack'; id?: string | number; applied: number; stale: number }
  | { type: 'reported'; id?: string | number; incident: Incident }
  | { type: 'result'; id: string | number; query: string; data: unknown }
  | { type: 'pong'; id?: number; server_time: EpochMs }
  | { type: 'unsubscribed' }
  | { type: 'error'; id?: string | number; error: string; message: string };

export type LiveLayer = 'staff' | 'cameras' | 'risk_sources' | 'key_places' | 'incidents' | 'alerts' | 'stats' | 'risk' | 'camera_health' | 'staff_cells';

/** 风险研判 — a grid's risk as the server judges it (docs/protocol.md, "Grid risk"). */
export type RiskColour = 'red' | 'orange' | 'yellow' | 'blue';
export interface RiskParts { risk_sources: number; key_places: number; incidents: number; camera_alarms: number }
export interface GridRow {
  code: string;
  name: string;
  parent?: string | null;
  score: number;
  /** 1 重大 red, 2 较大 orange, 3 一般 yellow, 4 低 blue. */
  level: 1 | 2 | 3 | 4;
  colour: RiskColour;
  parts: RiskParts;
}
export interface RiskFactor {
  kind: 'risk_source' | 'key_place' | 'incident' | 'camera_alarm';
  id: string;
  base: number;
  share: number;
  points: number;
  name: string;
  category: string;
  level?: number;
  repeats?: number;
}
export interface GridRiskDetail extends GridRow {
  factors: RiskFactor[];
  trend: { day: string; score: number; level: 1 | 2 | 3 | 4 }[];
  computed_ms: EpochMs;
}
export interface AreaRisk {
  code: string;
  name: string;
  area_level: AreaLevel;
  grids: number;
  score: number;
  max_score: number;
  /** Grids per level, red → blue. */
  counts: [number, number, number, number];
  worst: RiskColour;
}

/** A box, an area, or both (the area narrows whom, the box where). */
export type Subscription =
  | { bbox: BBox; layers: LiveLayer[] }
  | { area: string; layers: LiveLayer[] }
  | { area: string; bbox: BBox; layers: LiveLayer[] };

/** One H3 cell's members by class (docs/protocol.md, "Staff counted per cell"); no counts: it emptied. */
export interface StaffCell {
  cell: string;
  /** `[class, members]`, class = (role × duties + duty) × 2 + offline. */
  counts: [number, number][];
}

/** A snapshot's census: the resolution, the names behind the class numbers, the cells. */
export interface StaffCells {
  res: number;
  roles: string[];
  duties: string[];
  cells: StaffCell[];
}


// ---- 巡查覆盖 (GET /api/patrol/coverage, GET /api/patrol/staff/{id}) --------------

/** Where a grid's day stands against its patrol rule. */
export type PatrolStatus = 'covered' | 'partly' | 'none' | 'overdue';

/** A grid's patrol rule: visits a day, share of its cells walked, first visit due by (HH:MM). */
export interface PatrolRule {
  visits_per_day: number;
  coverage: number;
  visit_by: string | null;
}

/** One grid's day. */
export interface GridPatrolDay {
  code: string;
  name: string;
  status: PatrolStatus;
  /** Visits (入格) begun. */
  visits: number;
  cells_walked: number;
  cells: number;
  /** cells_walked / cells, 0 to 1. */
  coverage: number;
  /** Time spent in it, summed over workers. */
  time_s: number;
  distance_m: number;
  workers: number;
  first_visit_ms: EpochMs | null;
  rule: PatrolRule;
}

export interface PatrolCoverage {
  /** The local date, YYYY-MM-DD. */
  day: string;
  /** H3 resolution of the cells. */
  resolution: number;
  /** False while the server is still reading today back after a restart: figures may be low. */
  complete: boolean;
  counts: Record<PatrolStatus, number>;
  grids: GridPatrolDay[];
}

/** A worker's share of one grid on their day card. */
export interface PatrolGridShare {
  code: string;
  name: string | null;
  visits: number;
  time_s: number;
  distance_m: number;
  cells: number;
  first_ms: EpochMs;
  last_ms: EpochMs;
}

/** A worker's day (工作日志). */
export interface PatrolWorkerDay {
  staff_id: string;
  name: string;
  home_grid: string;
  day: string;
  fixes: number;
  first_ms: EpochMs | null;
  last_ms: EpochMs | null;
  /** Time on patrol (joined intervals). */
  time_s: number;
  distance_m: number;
  cells: number;
  /** The home grid's coverage, 0 to 1 (null: no home grid). */
  home_coverage: number | null;
  /** Each grid they were in, longest first. */
  grids: PatrolGridShare[];
  incidents_found: number;
  /** The day's track, [lon, lat, epoch ms], thinned by the server to at most 2,000. */
  track: [number, number, EpochMs][];
}
