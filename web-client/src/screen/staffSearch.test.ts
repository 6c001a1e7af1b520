import { describe, expect, it } from 'vitest';
import { findStaff, findStaffOrId, suggestions } from './staffSearch';

const staff = [
  { id: 'S1', name: '王伟' },
  { id: 'S2', name: '王伟' },
  { id: 'S3', name: '李娜' },
  { id: 'S4', name: '张小明' },
];

describe('finding staff by name', () => {
  it('takes an id, a picked suggestion, a unique name or part of one', () => {
    expect(findStaff('S3', staff)).toEqual({ kind: 'one', id: 'S3' });
    expect(findStaff('王伟 · S2', staff)).toEqual({ kind: 'one', id: 'S2' });
    expect(findStaff('李娜', staff)).toEqual({ kind: 'one', id: 'S3' });
    expect(findStaff('小明', staff)).toEqual({ kind: 'one', id: 'S4' });
  });
  it('says when a name is shared or matches nobody', () => {
    expect(findStaff('王伟', staff)).toEqual({ kind: 'many', count: 2 });
    expect(findStaff('赵六', staff)).toEqual({ kind: 'none' });
    expect(findStaff('  ', staff)).toEqual({ kind: 'none' });
  });
  it('suggests name · id', () => {
    expect(suggestions('王', staff)).toEqual(['王伟 · S1', '王伟 · S2']);
  });
});

describe('finding a member the store may not hold', () => {
  const held = [{ id: 'S000001', name: '王伟' }];
  it('asks the server for an id nobody held when the store holds only some, never for a name', () => {
    expect(findStaffOrId('S123456', held, false)).toEqual({ kind: 'one', id: 'S123456' });
    expect(findStaffOrId('李四 · S123456', held, false)).toEqual({ kind: 'one', id: 'S123456' });
    expect(findStaffOrId('王伟', held, false)).toEqual({ kind: 'one', id: 'S000001' });
    expect(findStaffOrId('李 四', held, false)).toEqual({ kind: 'none' });
    expect(findStaffOrId('S123456', held, true)).toEqual({ kind: 'none' });
  });
});
