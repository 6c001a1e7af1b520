// The optional phone number: a mainland mobile number, 11 digits starting
// 13–19. Checked before sending so a typo is said at once, in words; the
// usual ways people write one (spaces, dashes, a +86 in front) are accepted.

export type PhoneCheck =
  /** Nothing typed: the report goes without a number. */
  | { ok: true; phone: null }
  | { ok: true; phone: string }
  /** `digits`: the count is wrong; `prefix`: 11 digits that are no mobile number; `chars`: not digits. */
  | { ok: false; problem: 'digits' | 'prefix' | 'chars' };

export function checkPhone(input: string): PhoneCheck {
  let s = input.replace(/[\s\-()（）]/g, '');
  if (s === '') return { ok: true, phone: null };
  s = s.replace(/^(\+86|0086)/, '');
  if (!/^\d+$/.test(s)) return { ok: false, problem: 'chars' };
  if (s.length !== 11) return { ok: false, problem: 'digits' };
  if (!/^1[3-9]/.test(s)) return { ok: false, problem: 'prefix' };
  return { ok: true, phone: s };
}
