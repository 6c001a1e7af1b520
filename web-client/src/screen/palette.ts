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

/** Grid shading by risk class 0 (none) … 4 (severe). */
export const GRID_RISK_FILL = ['rgba(0,0,0,0)', 'rgba(30,136,229,0.18)', 'rgba(253,216,53,0.24)', 'rgba(251,140,0,0.32)', 'rgba(229,57,53,0.42)'];

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
