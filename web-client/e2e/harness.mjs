// A small test runner for the browser tests: one Chromium (Debian's, driven by
// playwright-core), tests run one after another, each with a time limit;
// prints a closing "N passed, N failed" line and exits non-zero on failure.

import { chromium } from 'playwright-core';

const tests = [];

export function test(name, fn, { timeoutMs = 60_000 } = {}) {
  tests.push({ name, fn, timeoutMs });
}

export class AssertionError extends Error {}

export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

/** Polls `probe` until it returns a truthy value; that value is returned. */
export async function eventually(probe, { timeoutMs = 10_000, intervalMs = 100, message = 'condition' } = {}) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) {
      throw new AssertionError(`timed out after ${timeoutMs} ms waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebGL through the SwiftShader software renderer: there is no GPU here.
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export async function run({ filter } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
  let passed = 0;
  let failed = 0;
  const ctx = { browser };
  for (const t of tests) {
    // `a|b`: the tests whose names contain a or b.
    if (filter && !filter.split('|').some((f) => t.name.includes(f))) continue;
    const started = Date.now();
    let timer;
    try {
      await Promise.race([
        t.fn(ctx),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new AssertionError(`test timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      passed++;
      console.log(`ok   ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name} (${Date.now() - started} ms)\n     ${e instanceof Error ? e.stack ?? e.message : e}`);
    } finally {
      clearTimeout(timer);
    }
  }
  await browser.close();
  console.log(`\n${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
