import { describe, expect, it } from 'vitest';
import { missingTranslations, setLang } from '../shared/i18n';
import type { Incident } from '../shared/types';
import { ASSESSMENT_COLUMNS, ASSESSMENT_LEVELS, assessmentPath, csvFileName, formatHours, periodOf, rateClass } from './assessment';
import { orgActionBody, orgActionsHtml, orgBlocksHtml, orgDetailsHtml, transferTargets } from './orgActions';
import { deadlineLabel, isChainAlert, openSupervision, queueDeadline, queueWarning, sortQueue } from './queue';
import { queueRow } from './queuePanel';

const NOW = Date.UTC(2026, 11, 3, 8, 0);
const H = 3_600_000;

const incident = (id: string, over: Partial<Incident> = {}): Incident => ({
  id, category: '0101', category_name: '占道经营', source: 'hotline', priority: 'normal', lon: 120.65, lat: 28, grid: 'g', area: '330302001',
  area_name: '五马街道', description: '', state: 'accepted', assignee_staff: null, created_ms: NOW - 10 * H, updated_ms: NOW, warning: 'green', version: 1, ...over,
});
const supervision = (due: number, answered: number | null = null) => ({ by: 'district', by_area: '330302', by_area_name: '鹿城区', order: '请今日办结', at_ms: NOW - H, due_ms: due, answered_ms: answered, answer: answered ? '已办结' : null });

describe('我的待办: order and deadlines', () => {
  it('an open supervision counts by its due time; an answered one does not', () => {
    const a = incident('a', { step_deadline_ms: NOW + 5 * H, supervision: supervision(NOW + 2 * H) });
    expect(openSupervision(a)).toBe(true);
    expect(queueDeadline(a)).toBe(NOW + 2 * H);
    const b = incident('b', { deadline_ms: NOW + 5 * H, supervision: supervision(NOW + H, NOW) });
    expect(openSupervision(b)).toBe(false);
    expect(queueDeadline(b)).toBe(NOW + 5 * H);
    expect(queueDeadline(incident('c'))).toBeNull();
  });
  it('sorts the nearest deadline first, overdue ones at the top, no deadline last (oldest first)', () => {
    const list = [
      incident('none-new', { created_ms: NOW - H }),
      incident('later', { step_deadline_ms: NOW + 8 * H }),
      incident('overdue', { step_deadline_ms: NOW - H }),
      incident('none-old', { created_ms: NOW - 20 * H }),
      incident('supervised', { deadline_ms: NOW + 9 * H, supervision: supervision(NOW + H) }),
    ];
    expect(sortQueue(list).map((i) => i.id)).toEqual(['overdue', 'supervised', 'later', 'none-old', 'none-new']);
  });
  it('reads the time left or overdue in both languages', () => {
    expect(deadlineLabel(NOW + 2 * H + 5 * 60_000, NOW, 'zh')).toEqual({ text: '剩余 2小时5分', overdue: false });
    expect(deadlineLabel(NOW - 26 * H, NOW, 'en')).toEqual({ text: 'overdue 1d 2h', overdue: true });
    expect(deadlineLabel(null, NOW, 'zh').text).toBe('无时限');
    expect(queueWarning(incident('x', { step_deadline_ms: NOW - 1 }), NOW)).toBe('red');
    expect(queueWarning(incident('x', { warning: 'yellow' }), NOW)).toBe('yellow');
  });
  it('draws a row with the category, area, id, deadline and 督办', () => {
    setLang('zh');
    const row = queueRow(incident('INC-1', { step_deadline_ms: NOW - H, supervision: supervision(NOW + H) }), NOW);
    expect(row).toContain('data-incident="INC-1"');
    expect(row).toContain('占道经营');
    expect(row).toContain('五马街道');
    expect(row).toContain('督办');
    expect(row).toContain('warn-red');
    expect(queueRow(incident('INC-2'), NOW)).not.toContain('queue-supervised');
  });
});

describe('the drawer: owner, 分流, 督办 and the new actions', () => {
  const tree = {
    byCode: new Map([
      ['3303', { code: '3303', name: '温州市', level: 'city' as const }],
      ['330302', { code: '330302', name: '鹿城区', level: 'district' as const }],
      ['330302001', { code: '330302001', name: '五马街道', level: 'street' as const }],
      ['330302002', { code: '330302002', name: '南汇街道', level: 'street' as const }],
      ['33030200101', { code: '33030200101', name: '府前社区', level: 'community' as const }],
    ]),
    childrenOf(code: string) {
      const kids: Record<string, string[]> = { '3303': ['330302'], '330302': ['330302001', '330302002'], '330302001': ['33030200101'] };
      return (kids[code] ?? []).map((c) => this.byCode.get(c)!);
    },
  };
  it('offers the command centres of the login’s subtree, not the owner, not communities', () => {
    expect(transferTargets(tree, '3303', '330302001').map((a) => [a.code, a.depth])).toEqual([['3303', 0], ['330302', 1], ['330302002', 2]]);
    expect(transferTargets(tree, '330302', '330302').map((a) => a.code)).toEqual(['330302001', '330302002']);
  });
  it('builds the bodies and says what is missing', () => {
    setLang('zh');
    expect(orgActionBody('transfer', { comment: ' 属南汇 ', area: '330302002' })).toEqual({ body: { action: 'transfer', area: '330302002', comment: '属南汇' } });
    expect(orgActionBody('transfer', { comment: '', area: '' })).toEqual({ problem: '请选择分转/下派的区域' });
    expect(orgActionBody('supervise', { comment: '请今日办结', hours: '24' })).toEqual({ body: { action: 'supervise', hours: 24, comment: '请今日办结' } });
    expect(orgActionBody('supervise', { comment: '', hours: '24' })).toEqual({ problem: '请在“意见”中填写督办要求' });
    expect(orgActionBody('supervise', { comment: 'x', hours: '0' })).toHaveProperty('problem');
    expect(orgActionBody('answer_supervision', { comment: '已办结' })).toEqual({ body: { action: 'answer_supervision', comment: '已办结' } });
    setLang('en');
    expect(orgActionBody('answer_supervision', { comment: ' ' })).toEqual({ problem: 'Write the answer in the comment box' });
    setLang('zh');
  });
  it('shows the owner, the department, the proposal (派至部门 when dispatch is allowed) and the order', () => {
    setLang('zh');
    const i = incident('I', { owner_level: 'street', assignee_department: 'wm-zhzx', assignee_department_name: '五马综治中心', escalations: 2, clock_escalations: 1,
      proposed_department: { code: 'wm-zfd', name: '五马执法中队' }, supervision: supervision(NOW + H) });
    const dl = orgDetailsHtml(i);
    expect(dl).toContain('街镇 · ');
    expect(dl).toContain('五马综治中心');
    expect(dl).toContain('2 次（超时自动 1 次）');
    const blocks = orgBlocksHtml(i, new Set(['dispatch']));
    expect(blocks).toContain('data-dispatch-department="wm-zfd"');
    expect(blocks).toContain('请今日办结');
    expect(blocks).toContain('待回复');
    expect(orgBlocksHtml(i, new Set())).not.toContain('data-dispatch-department');
    expect(orgBlocksHtml(incident('J', { supervision: supervision(NOW + H, NOW) }), new Set())).toContain('已回复');
    const actions = orgActionsHtml(new Set(['transfer', 'supervise', 'answer_supervision']), () => transferTargets(tree, '330302', '330302001'));
    expect(actions).toContain('<option value="330302002">');
    expect(actions).toContain('data-supervise-hours');
    expect(actions).toContain('回复督办');
    expect(orgActionsHtml(new Set(['accept']), () => [])).toBe('');
  });
});

describe('考核排名', () => {
  it('switches levels 街镇 first and asks for the period and the CSV', () => {
    expect(ASSESSMENT_LEVELS).toEqual(['street', 'department', 'worker', 'grid', 'district']);
    const p = periodOf(30, NOW + 12_345);
    expect(p.to).toBe(NOW);
    expect(p.to - p.from).toBe(30 * 24 * H);
    const q = { level: 'street' as const, area: '3303', ...p };
    expect(assessmentPath(q)).toBe(`/api/assessment?level=street&area=3303&from=${p.from}&to=${p.to}`);
    expect(assessmentPath(q, true)).toMatch(/&format=csv$/);
    expect(csvFileName(q)).toMatch(/^考核排名-street-3303-\d{4}-\d\d-\d\d\.csv$/);
  });
  it('formats rates, hours and the row colour', () => {
    setLang('zh');
    const row = { rank: 1, key: 'k', name: '五马街道', found: 12, accepted: 10, closed: 8, on_time_rate: 0.9, rework_rate: 0.125, avg_handling_hours: 3.46, escalations: 1, supervisions: 0 };
    expect(ASSESSMENT_COLUMNS.map((c) => c.cell(row, 'zh'))).toEqual(['90.0%', '8', '12.5%', '3.5 小时', '1', '0']);
    expect(formatHours(27.6, 'en')).toBe('28 h');
    expect(formatHours(null)).toBe('—');
    expect([0.95, 0.8, 0.5, null].map(rateClass)).toEqual(['good', 'fair', 'poor', '']);
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});

describe('the command chain\'s pushes', () => {
  it('are told from warnings and workers\' alerts by their kind', () => {
    for (const kind of ['supervision', 'supervision_answered', 'supervision_overdue', 'escalated']) expect(isChainAlert({ kind })).toBe(true);
    for (const kind of ['warning', 'sos', 'left_grid', 'motionless']) expect(isChainAlert({ kind })).toBe(false);
  });
});
