import { describe, expect, it } from 'vitest';
import { type Account, accountChanges, filterAccounts, upsertAccount, USERNAME } from './accounts';
import { AreaIndex } from './areas';
import { missingTranslations } from '../shared/i18n';
import './labels';
import { matchStaff, staffIdOf, staffLabel } from './staff';

const areas = new AreaIndex([
  { code: '3303', name: '温州市', level: 'city', parent: null },
  { code: '330302', name: '鹿城区', level: 'district', parent: '3303' },
  { code: '330303', name: '龙湾区', level: 'district', parent: '3303' },
  { code: '33030201', name: '五马街道', level: 'street', parent: '330302' },
  { code: '3303020101', name: '府前社区', level: 'community', parent: '33030201' },
  { code: '330302010101', name: '府前第一网格', level: 'grid', parent: '3303020101' },
]);

const account = (username: string, over: Partial<Account> = {}): Account => ({
  id: username.length,
  username,
  display_name: username.toUpperCase(),
  role: 'dispatcher',
  area: '330302',
  staff_id: null,
  must_change_password: false,
  disabled: false,
  ...over,
});

describe('the area index', () => {
  it('knows names, roots, chains and subtrees', () => {
    expect(areas.roots().map((a) => a.code)).toEqual(['3303']);
    expect(areas.name('33030201')).toBe('五马街道');
    expect(areas.chain('330302010101').map((a) => a.name)).toEqual(['温州市', '鹿城区', '五马街道', '府前社区', '府前第一网格']);
    expect(areas.within('330302010101', '330302')).toBe(true);
    expect(areas.within('330302010101', '330303')).toBe(false);
    expect(areas.within('330302', '330302')).toBe(true);
    expect(areas.within('nowhere', '3303')).toBe(false);
  });
  it("lists a district administrator's subtree with its district as the root", () => {
    const district = new AreaIndex([...areas.byCode.values()].filter((a) => areas.within(a.code, '330302')));
    expect(district.roots().map((a) => a.name)).toEqual(['鹿城区']);
    expect(district.chain('3303020101').map((a) => a.code)).toEqual(['330302', '33030201', '3303020101']);
  });
  it('orders the tree for the filter, stopping above the grids', () => {
    const rows = areas.ordered('community').map(({ area, depth }) => `${depth}:${area.name}`);
    expect(rows).toEqual(['0:温州市', '1:鹿城区', '2:五马街道', '3:府前社区', '1:龙湾区']);
    expect(areas.ordered().length).toBe(6);
  });
});

describe('the logins table', () => {
  const all = [
    account('admin', { role: 'admin', area: '', display_name: '系统管理员' }),
    account('lc-disp', { display_name: '鹿城派遣员' }),
    account('grid-a', { role: 'field', area: '330302010101', staff_id: 'S1', display_name: '王伟' }),
    account('lw-disp', { area: '330303', display_name: '龙湾派遣员' }),
  ];
  const within = (c: string, a: string) => areas.within(c, a);
  const names = (f: Parameters<typeof filterAccounts>[1]) => filterAccounts(all, f, within).map((a) => a.username);
  it('filters by username or name, role and area (its subtree)', () => {
    expect(names({ text: '', role: '', area: '' })).toHaveLength(4);
    expect(names({ text: 'DISP', role: '', area: '' })).toEqual(['lc-disp', 'lw-disp']);
    expect(names({ text: '王', role: '', area: '' })).toEqual(['grid-a']);
    expect(names({ text: '', role: 'field', area: '' })).toEqual(['grid-a']);
    expect(names({ text: '', role: '', area: '330302' })).toEqual(['lc-disp', 'grid-a']);
    // A login bound to no area is in no area's subtree.
    expect(names({ text: '', role: 'admin', area: '3303' })).toEqual([]);
  });
  it('replaces a changed login in place, keeping the order by username', () => {
    const next = upsertAccount(all, account('lc-disp', { disabled: true }));
    expect(next.map((a) => a.username)).toEqual(['admin', 'grid-a', 'lc-disp', 'lw-disp']);
    expect(next.find((a) => a.username === 'lc-disp')!.disabled).toBe(true);
    expect(upsertAccount(all, account('b-new')).map((a) => a.username)[1]).toBe('b-new');
  });
  it('sends only what an edit changed; an emptied staff box clears the binding', () => {
    const before = account('grid-a', { role: 'field', area: '330302010101', staff_id: 'S1', display_name: '王伟' });
    const same = { display_name: '王伟', role: 'field' as const, area: '330302010101', staff_id: 'S1', department: '' };
    expect(accountChanges(before, same)).toEqual({});
    expect(accountChanges(before, { ...same, display_name: ' 王伟伟 ' })).toEqual({ display_name: '王伟伟' });
    expect(accountChanges(before, { ...same, role: 'dispatcher', staff_id: '' })).toEqual({ role: 'dispatcher', staff_id: null });
    expect(accountChanges(before, { ...same, area: '3303020101' })).toEqual({ area: '3303020101' });
    expect(accountChanges(account('x'), { display_name: 'X', role: 'dispatcher', area: '330302', staff_id: 'S9', department: '' })).toEqual({ staff_id: 'S9' });
    // 所属部门: bound, unchanged, unbound (null).
    expect(accountChanges(before, { ...same, department: 'd1' })).toEqual({ department: 'd1' });
    const bound = { ...before, department: 'd1' };
    expect(accountChanges(bound, { ...same, department: 'd1' })).toEqual({});
    expect(accountChanges(bound, same)).toEqual({ department: null });
  });
  it("checks usernames as the server does", () => {
    for (const ok of ['abc', 'zhang.wei_01', 'lc-disp', 'a'.repeat(64)]) expect(USERNAME.test(ok)).toBe(true);
    for (const bad of ['ab', 'a'.repeat(65), '张伟abc', 'a b c', 'a@b.cn', '']) expect(USERNAME.test(bad)).toBe(false);
  });
});

describe('finding a staff member for a field login', () => {
  const staff = [
    { id: 'S000123', name: '王伟', home_grid: '330302010101' },
    { id: 'S000124', name: '王芳', home_grid: '330303' },
    { id: 'S000200', name: '李娜', home_grid: '330302010101' },
  ];
  const inLucheng = (g: string) => areas.within(g, '330302');
  it('suggests members of the area only, by name or the start of the id', () => {
    expect(matchStaff('王', staff, inLucheng).map((s) => s.id)).toEqual(['S000123']);
    expect(matchStaff('s0001', staff, () => true).map((s) => s.id)).toEqual(['S000123', 'S000124']);
    expect(matchStaff('', staff, inLucheng)).toHaveLength(2);
    expect(matchStaff('', staff, () => true, 1)).toHaveLength(1);
  });
  it('reads the id from a picked suggestion or from what was typed', () => {
    expect(staffLabel(staff[0]!)).toBe('王伟 · S000123');
    expect(staffIdOf('王伟 · S000123')).toBe('S000123');
    expect(staffIdOf(' S000200 ')).toBe('S000200');
    expect(staffIdOf('')).toBe('');
  });
});

describe('the admin labels', () => {
  it('are all in English too', () => {
    expect(missingTranslations()).toEqual([]);
  });
});
