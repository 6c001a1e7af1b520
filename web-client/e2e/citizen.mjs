// 随手拍 (issue 16), the public citizen page without a position: the map asks
// for a tap and a tap places the marker; an unknown tracking code is said
// plainly. The whole loop — a report sent from the phone, worked on the big
// screen and the field phone, closed with a reply and rated — is in
// citizenLoop.mjs, which takes its photo from png() here.

import { deflateSync } from 'node:zlib';
import { assert, eventually, test } from './harness.mjs';
import { BASE, phone, SHOTS, watchErrors } from './support.mjs';

// ---- a small valid PNG, made here -------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A w×h RGB PNG: a gradient with a red square, so a thumbnail shows something. */
export function png(w = 96, h = 72) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const red = x > w / 3 && x < (2 * w) / 3 && y > h / 3 && y < (2 * h) / 3;
      row.set(red ? [220, 30, 40] : [40, Math.round((200 * y) / h), Math.round((220 * x) / w)], 1 + x * 3);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- tests ----------------------------------------------------------------------

test('随手拍 citizen page: without a position the map asks for a tap, and a tap places the marker; an unknown code is said plainly', async ({ browser }) => {
  const { context, page } = await phone(browser, { deny: true });
  const errors = watchErrors(page);
  try {
    await page.goto(`${BASE}/report`);
    const hint = '[data-testid="where-hint"]';
    await eventually(async () => ['denied', 'unavailable'].includes(await page.getAttribute(hint, 'data-where')), { message: 'no position' });
    assert((await page.textContent(hint)).includes('点击地图'), `says to tap the map: ${await page.textContent(hint)}`);
    // Sending before placing it: said.
    await page.waitForSelector('[data-testid="report-category"] option[value]:not([value=""])', { state: 'attached' });
    await page.selectOption('[data-testid="report-category"]', { index: 1 });
    await page.fill('[data-testid="report-description"]', 'e2e: 未定位');
    await page.click('[data-testid="report-send"]');
    assert((await page.textContent('[data-testid="report-message"]')).includes('地图上标出'), 'asks for the place first');
    await page.screenshot({ path: `${SHOTS}/report-no-position-390x844.png`, fullPage: true });
    // A tap in the middle of the map (scrolled back into view: sending scrolled down to the message).
    await page.locator('[data-testid="report-map"] canvas').click();
    await eventually(async () => (await page.getAttribute(hint, 'data-where')) === 'placed', { message: 'placed by the tap' });
    assert(await page.isVisible('[data-testid="report-marker"]'), 'the marker drawn');
    const pos = await page.evaluate(() => window.riskmapReport.map.position);
    assert(Math.abs(pos.lon - 120.65) < 0.05 && Math.abs(pos.lat - 28.0) < 0.05, `placed near the city centre: ${JSON.stringify(pos)}`);

    await page.goto(`${BASE}/report/ZZZZZZZZZZ`);
    await page.waitForSelector('[data-testid="report-not-found"]');
    assert((await page.textContent('[data-testid="report-not-found"]')).includes('没有查询码为 ZZZZZZZZZZ 的上报'), 'no such report said');
    await page.goto(`${BASE}/report/not-a-code`);
    await page.waitForSelector('[data-testid="report-not-found"]');
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await context.close();
  }
});
