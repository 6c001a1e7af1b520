// The big screen's colours in one place, so map and panels agree.

/** 四色风险 — the national four-colour risk scale, level 1 (重大) to 4 (低). */
export const RISK_COLOURS: Record<1 | 2 | 3 | 4, string> = {
  1: '#e53935',
  2: '#fb8c00',
  3: '#fdd835',
  4: '#1e88e5',
};

export const DUTY_COLOURS = {
  available: '#00e676',
  busy: '#ffab00',
  sos: '#ff1744',
  off: '#78909c',
} as const;

/**
 * 离线 — a staff member whose last fix is too old to say where they are: a
 * faint dark dot, darker than off duty's grey, so the eye skips it. The alpha
 * is in the colour, leaving the layer's opacity to the heat map's fade.
 */
export const OFFLINE_COLOUR = 'rgba(84, 110, 122, 0.4)';

export const WARNING_COLOURS = {
  green: '#26c6da',
  yellow: '#ffd600',
  red: '#ff1744',
  none: '#90a4ae',
} as const;

/**
 * Grid shading by the server's risk level (风险研判), 1 重大 … 4 低, in the four
 * standard colours; 低 only a tint so the map stays readable, none for a grid
 * with no risk at all.
 */
export const GRID_RISK_FILL: Record<1 | 2 | 3 | 4, string> = {
  1: 'rgba(229,57,53,0.55)',
  2: 'rgba(251,140,0,0.46)',
  3: 'rgba(253,216,53,0.36)',
  4: 'rgba(30,136,229,0.1)',
};

/**
 * 巡查覆盖 — a grid's patrol day against its rule: 已覆盖 green, 部分覆盖 amber,
 * 未巡查 (not due yet) a grey tint, 逾期未巡 red. Solid for the legend's
 * swatches and the popup's badge; the map's fills carry their own alpha.
 */
export const PATROL_COLOURS = {
  covered: '#00c853',
  partly: '#ffc400',
  none: '#78909c',
  overdue: '#ff1744',
} as const;

export const PATROL_FILL = {
  covered: 'rgba(0,200,83,0.45)',
  partly: 'rgba(255,196,0,0.42)',
  none: 'rgba(120,144,156,0.12)',
  overdue: 'rgba(255,23,68,0.5)',
} as const;

/** 当日巡查: a worker's day track on the map (apart from track replay's yellow). */
export const PATROL_TRACK = { line: '#18ffff', start: '#00e676', end: '#ff5252' } as const;

/**
 * 电子围栏 — the administrators' geofences: a dashed magenta outline over a
 * faint fill, apart from the grids' grey, the patrol and risk colours and the
 * key places' muted purple.
 */
export const FENCE_COLOURS = { line: '#ff4ddb', fill: 'rgba(255,77,219,0.1)', label: '#ffd6f6', halo: '#3a0030' } as const;

/** An SOS's marker: red while open, amber once taken. */
export const SOS_COLOURS = { open: '#ff1744', acknowledged: '#ffab00' } as const;
/** A rule's alert (脱岗, 静止), its marker and a crowd's counts: yellow while open, darker once taken, ringed in brown. */
export const RULE_COLOURS = { open: '#ffd600', acknowledged: '#c6a700', stroke: '#4e2c00' } as const;

/** What a grid's score is made of: risk sources, key places, incidents, camera alarms. */
export const PART_COLOURS = {
  risk_sources: '#ef5350',
  key_places: '#ab47bc',
  incidents: '#ffa726',
  camera_alarms: '#4fc3f7',
} as const;

export const AREA_LINE = {
  city: '#4fc3f7',
  district: '#29b6f6',
  street: '#4dd0e1',
  community: '#26a69a',
  grid: '#37474f',
} as const;

/** The CSS font stack labels are drawn with: whatever CJK font the machine has. */
export const LABEL_FONT_STACK = [
  'Noto Sans CJK SC',
  'Source Han Sans SC',
  'WenQuanYi Micro Hei',
  'Microsoft YaHei',
  'PingFang SC',
  'sans-serif',
];
