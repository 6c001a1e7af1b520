import { afterEach, describe, expect, it, vi } from 'vitest';
import { Api, ApiError, errorFrom } from './api';
import { errorMessage } from './errors';
import { missingTranslations, setLang } from './i18n';
import { ruleProblem } from './passwordForm';
import { brokenRules, generatePassword, passwordKinds, rulesFor } from './passwordRules';
import { changePassword, resume } from './session';
import type { User } from './types';

/** A server that answers every request with `status` and `body`, recording what was asked. */
function server(status: number, body: unknown): { url: string; init: RequestInit }[] {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return calls;
}

describe('password rules (the server\'s check_password)', () => {
  it('counts the four kinds: lowercase, uppercase, digits, anything else', () => {
    expect(passwordKinds('abc')).toBe(1);
    expect(passwordKinds('abcDEF')).toBe(2);
    expect(passwordKinds('abcDEF123')).toBe(3);
    expect(passwordKinds('abcDEF123!')).toBe(4);
    // Chinese characters and symbols are "other"; so are non-ASCII digits.
    expect(passwordKinds('网格员abc123')).toBe(3);
    expect(passwordKinds('١٢٣abc')).toBe(2);
    // Unicode letters have case too, as Rust's is_lowercase/is_uppercase say.
    expect(passwordKinds('ßÄ1')).toBe(3);
  });

  it('needs ten characters, counted as characters, not UTF-16 units', () => {
    expect(brokenRules('Abc12345!', { username: 'x' })).toEqual(['length']);
    expect(brokenRules('Abc123456!', { username: 'x' })).toEqual([]);
    // Nine emoji are eighteen UTF-16 units but nine characters.
    expect(brokenRules('😀'.repeat(9), { username: 'x' })).toContain('length');
    expect(brokenRules('网格员网格员网格员网', { username: 'x' })).toEqual(['kinds']);
  });

  it('needs three kinds of four', () => {
    expect(brokenRules('abcdefghijk', { username: 'x' })).toEqual(['kinds']);
    expect(brokenRules('abcdefghij12', { username: 'x' })).toEqual(['kinds']);
    expect(brokenRules('abcdefghij1!', { username: 'x' })).toEqual([]);
    expect(brokenRules('风险一张图RiskMap', { username: 'x' })).toEqual([]);
  });

  it('refuses the username inside, in any case', () => {
    expect(brokenRules('Xdispatcher1', { username: 'Dispatcher' })).toEqual(['username']);
    expect(brokenRules('Xdispatch-1a', { username: 'dispatcher' })).toEqual([]);
    expect(brokenRules('Abcdefgh12', { username: '' })).toEqual([]);
  });

  it('wants a new password that differs from the current one and is typed twice alike', () => {
    const ctx = { username: 'field', current: 'Old-Password-1', repeat: 'New-Password-2' };
    expect(brokenRules('New-Password-2', ctx)).toEqual([]);
    expect(brokenRules('Old-Password-1', { ...ctx, repeat: 'Old-Password-1' })).toEqual(['differs']);
    expect(brokenRules('New-Password-2', { ...ctx, repeat: 'New-Password-3' })).toEqual(['match']);
    expect(rulesFor({ current: false, repeat: false })).toEqual(['length', 'kinds', 'username']);
    expect(rulesFor({ current: true, repeat: true })).toHaveLength(5);
  });

  it('generates passwords that keep every rule, without look-alike characters', () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword('ab3');
      expect(p).toHaveLength(16);
      expect(brokenRules(p, { username: 'ab3' })).toEqual([]);
      expect(p).not.toMatch(/[0O1lI]/);
    }
  });

  it('draws again when the random bytes give too few kinds, and skips biased bytes', () => {
    // First draw: all 'a' (one kind), then bytes >= 220 (skipped), then a mix.
    const draws = [new Uint8Array(16).fill(0), new Uint8Array(16).fill(250), Uint8Array.from({ length: 16 }, (_, i) => (i * 7) % 55)];
    let n = 0;
    const p = generatePassword('', () => draws[Math.min(n++, 2)]!);
    expect(n).toBe(3);
    expect(brokenRules(p, { username: '' })).toEqual([]);
  });
});

describe('password errors in the page language', () => {
  it('says which rule the server refused, and the wrong current password', () => {
    setLang('zh');
    const weak = errorFrom(400, JSON.stringify({ error: 'weak_password', message: 'a password needs at least 10 characters' }));
    expect(weak.code).toBe('weak_password');
    expect(errorMessage(weak, 'password')).toBe('密码不符合规则：至少 10 个字符');
    const kinds = new ApiError(400, 'weak_password', 'a password needs at least 3 of: lowercase letters, uppercase letters, digits, other characters');
    expect(errorMessage(kinds, 'account')).toMatch(/^密码不符合规则：包含小写字母/);
    expect(errorMessage(new ApiError(400, 'weak_password', 'a password must not contain the username'), 'password')).toBe('密码不符合规则：不包含用户名（不区分大小写）');
    expect(errorMessage(new ApiError(400, 'weak_password', 'something new'), 'password')).toBe('密码不符合规则');
    expect(errorMessage(new ApiError(400, 'wrong_password', 'the current password is wrong'), 'password')).toBe('当前密码不正确');
    expect(errorMessage(new ApiError(403, 'password_change_required', 'change it'), 'load')).toBe('请先修改密码');
    const wait = errorMessage(new ApiError(429, 'too_many_requests', 'slow down', [], 8), 'password');
    expect(wait).toContain('尝试次数过多') ;
    expect(wait).toContain('8 秒后');
    expect(ruleProblem('match')).toBe('两次输入的新密码不一致');
    setLang('en');
    expect(errorMessage(weak, 'password')).toBe('The password breaks a rule: At least 10 characters');
    expect(errorMessage(new ApiError(400, 'wrong_password', ''), 'password')).toBe('The current password is wrong');
    setLang('zh');
  });

  it("says a login's refusals by what the server's message names", () => {
    setLang('zh');
    const say = (status: number, code: string, message: string) => errorMessage(new ApiError(status, code, message), 'account');
    expect(say(409, 'conflict', 'username "x" is taken')).toBe('该用户名已被使用，请换一个');
    expect(say(400, 'bad_request', 'you cannot disable your own login or change its role or area')).toBe('不能停用自己的账号，也不能修改自己的角色或管辖区域');
    expect(say(403, 'forbidden', 'area 330304 is outside your area')).toBe('所选区域超出您的管辖范围');
    expect(say(403, 'forbidden', 'only a city-wide administrator may create a city-wide login; give an area')).toBe('只有全市管理员才能创建不绑定区域的账号');
    expect(say(400, 'bad_request', "only an administrator's login may have no area; give an area")).toBe('只有系统管理员账号可以不绑定区域，请选择区域');
    expect(say(400, 'bad_request', 'a field login needs staff_id: the staff member it is')).toBe('网格员账号须绑定人员（填写人员编号）');
    expect(say(400, 'bad_request', "staff member S1's grid is outside area 3303")).toBe('该人员的责任网格不在所选区域内');
    expect(say(400, 'bad_request', 'no area "99"')).toBe('没有该区域');
    expect(say(400, 'bad_request', 'username "a b": 3 to 64 letters, digits')).toBe('用户名须为 3–64 位字母、数字或 . _ -');
    expect(say(400, 'bad_request', 'change your own password with POST /api/auth/password')).toBe('修改自己的密码请使用页头的“修改密码”');
    expect(say(403, 'forbidden', 'managing logins is for administrators')).toBe('您无权执行此操作，或所选区域超出您的管辖范围');
    // Elsewhere a 409 is still about an incident.
    expect(errorMessage(new ApiError(409, 'conflict', 'x'), 'action')).toMatch(/^事件状态已变化/);
  });

  it('has every new label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});

describe('a login that must change its password', () => {
  afterEach(() => vi.unstubAllGlobals());
  const user: User = { id: 7, username: 'lc-disp', role: 'dispatcher', area: '330302' };
  const refusal = { error: 'password_change_required', message: 'lc-disp must choose a new password first' };

  it('tells the page when any request is refused until then', async () => {
    server(403, refusal);
    const api = new Api('t1');
    let told = 0;
    api.onPasswordChangeRequired = () => told++;
    await expect(api.get('/api/incidents')).rejects.toMatchObject({ status: 403, code: 'password_change_required' });
    expect(told).toBe(1);
    server(403, { error: 'forbidden', message: 'not yours' });
    await expect(api.get('/api/users')).rejects.toMatchObject({ code: 'forbidden' });
    expect(told).toBe(1);
  });

  it('resumes a remembered session into the change, not the login form', async () => {
    server(403, refusal);
    const s = await resume(new Api(), { token: 't1', user });
    expect(s).toEqual({ token: 't1', user: { ...user, must_change_password: true } });
    server(200, { user: { ...user, must_change_password: true }, area: null });
    expect((await resume(new Api(), { token: 't1', user }))!.user.must_change_password).toBe(true);
    server(401, { error: 'unauthorized', message: 'expired' });
    expect(await resume(new Api(), { token: 't1', user })).toBeNull();
  });

  it('carries on with the new token the change answers', async () => {
    const calls = server(200, { token: 't2', expires_ms: 1, user: { ...user, must_change_password: false } });
    const api = new Api('t1');
    const s = await changePassword(api, 'Old-Password-1', 'New-Password-2');
    expect(calls[0]!.url).toBe('/api/auth/password');
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ current_password: 'Old-Password-1', new_password: 'New-Password-2' });
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer t1');
    expect(s.token).toBe('t2');
    expect(api.getToken()).toBe('t2');
  });
});
