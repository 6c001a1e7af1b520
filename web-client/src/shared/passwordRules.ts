// The password rules the server enforces (server/src/identity/password.rs,
// check_password), checked here first so that a person choosing a password
// sees which rule it breaks while typing, before anything is sent.

import { addTranslations, t } from './i18n';

/** The shortest password a login may be given. */
export const MIN_PASSWORD_CHARS = 10;
/** Of the four kinds of character, how many a password must mix (等保 2.0). */
export const MIN_PASSWORD_KINDS = 3;

export type PasswordRule = 'length' | 'kinds' | 'username' | 'differs' | 'match';

/** The rules in the order the forms list them. */
export const PASSWORD_RULES: readonly PasswordRule[] = ['length', 'kinds', 'username', 'differs', 'match'];

// The server's kinds are Rust's char::is_lowercase / is_uppercase (the Unicode
// Lowercase and Uppercase properties), ASCII digits, and everything else
// (symbols, spaces, Chinese characters, other scripts' digits).
const LOWER = /\p{Lowercase}/u;
const UPPER = /\p{Uppercase}/u;
const DIGIT = /[0-9]/;

/** How many of the four kinds of character `password` mixes. */
export function passwordKinds(password: string): number {
  const chars = [...password];
  const kinds = [
    chars.some((c) => LOWER.test(c)),
    chars.some((c) => UPPER.test(c)),
    chars.some((c) => DIGIT.test(c)),
    chars.some((c) => !LOWER.test(c) && !UPPER.test(c) && !DIGIT.test(c)),
  ];
  return kinds.filter(Boolean).length;
}

export interface RuleContext {
  /** The login the password is for. */
  username: string;
  /** The password being replaced, when its owner changes it. */
  current?: string;
  /** The second entry of the new password, when the form asks for one. */
  repeat?: string;
}

/** The rules `password` breaks; empty when it may be sent. */
export function brokenRules(password: string, ctx: RuleContext): PasswordRule[] {
  const out: PasswordRule[] = [];
  // Characters, not UTF-16 units: the server counts Unicode scalar values.
  if ([...password].length < MIN_PASSWORD_CHARS) out.push('length');
  if (passwordKinds(password) < MIN_PASSWORD_KINDS) out.push('kinds');
  if (ctx.username && password.toLowerCase().includes(ctx.username.toLowerCase())) out.push('username');
  if (ctx.current !== undefined && password === ctx.current) out.push('differs');
  if (ctx.repeat !== undefined && password !== ctx.repeat) out.push('match');
  return out;
}

addTranslations({
  zh: {
    'pw.rule.length': `至少 ${MIN_PASSWORD_CHARS} 个字符`,
    'pw.rule.kinds': '包含小写字母、大写字母、数字、其他字符（符号、汉字等）中的至少三类',
    'pw.rule.username': '不包含用户名（不区分大小写）',
    'pw.rule.differs': '与当前密码不同',
    'pw.rule.match': '两次输入的新密码一致',
  },
  en: {
    'pw.rule.length': `At least ${MIN_PASSWORD_CHARS} characters`,
    'pw.rule.kinds': 'At least three of: lowercase letters, uppercase letters, digits, other characters (symbols, Chinese characters…)',
    'pw.rule.username': 'Does not contain the username (in any case)',
    'pw.rule.differs': 'Differs from the current password',
    'pw.rule.match': 'Both entries of the new password match',
  },
});

/** A rule as the forms state it, in the page's language. */
export const ruleLabel = (r: PasswordRule): string => t(`pw.rule.${r}`);

/** Which rules apply to a form: `differs` only with a current password, `match` only with a repeat field. */
export function rulesFor(ctx: { current: boolean; repeat: boolean }): PasswordRule[] {
  return PASSWORD_RULES.filter((r) => (r !== 'differs' || ctx.current) && (r !== 'match' || ctx.repeat));
}

// Without look-alikes (0/O, 1/l/I): the administrator reads it out or writes it down.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const GENERATED_CHARS = 16;

/** Random bytes; the browser's (and Node's) cryptographic generator. */
export type RandomBytes = (n: number) => Uint8Array;
const cryptoBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** A random password that keeps every rule, for an administrator to hand over. */
export function generatePassword(username = '', random: RandomBytes = cryptoBytes): string {
  // Bytes at or above the largest multiple of the alphabet's size are skipped,
  // so that every character is equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  for (;;) {
    let p = '';
    while (p.length < GENERATED_CHARS) {
      for (const b of random(GENERATED_CHARS)) {
        if (b < limit && p.length < GENERATED_CHARS) p += ALPHABET[b % ALPHABET.length];
      }
    }
    // About one draw in twelve lacks a kind: draw again.
    if (brokenRules(p, { username }).length === 0) return p;
  }
}
