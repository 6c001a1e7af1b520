// A small synchronous SHA-256 (FIPS 180-4) for the proof of work: the page
// tries tens of thousands of nonces per report, and WebCrypto's digest is one
// awaited promise per hash, far too slow for that. Not for secrets: nothing
// here is constant-time, and it need not be.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INIT = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// Scratch space reused by every call: the solver hashes in a tight loop, and
// allocating per hash would be most of its time.
const W = new Int32Array(64);
let pad = new Uint8Array(128);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** Runs the compression function over 64-byte blocks of `m[0..len)` into `h`. */
function blocks(h: Int32Array, m: Uint8Array, len: number): void {
  for (let off = 0; off < len; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (k + S1 + ch + K[i] + W[i]) | 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
    h[5] = (h[5] + f) | 0;
    h[6] = (h[6] + g) | 0;
    h[7] = (h[7] + k) | 0;
  }
}

/**
 * The digest of `msg[0..len)` as eight 32-bit words (big-endian order, as
 * signed ints): the solver reads the leading zero bits straight off them.
 */
export function sha256Words(msg: Uint8Array, len: number = msg.length): Int32Array {
  const h = Int32Array.from(INIT);
  const whole = len - (len % 64);
  blocks(h, msg, whole);
  // The tail, the 0x80 marker and the bit length, in one or two blocks.
  const rest = len - whole;
  const total = rest + 9 <= 64 ? 64 : 128;
  if (pad.length < total) pad = new Uint8Array(total);
  pad.fill(0, 0, total);
  pad.set(msg.subarray(whole, len));
  pad[rest] = 0x80;
  const bits = len * 8;
  const view = new DataView(pad.buffer);
  view.setUint32(total - 8, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(total - 4, bits >>> 0);
  blocks(h, pad, total);
  return h;
}

/** SHA-256 of bytes, as 32 bytes. */
export function sha256(msg: Uint8Array): Uint8Array {
  const h = sha256Words(msg);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) view.setInt32(i * 4, h[i]);
  return out;
}

/** SHA-256 of a string's UTF-8 bytes, in lower-case hex. */
export function sha256Hex(text: string): string {
  return Array.from(sha256(new TextEncoder().encode(text)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** How many leading zero bits a digest (as words) has. */
export function leadingZeroBits(h: Int32Array): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) {
    const z = Math.clz32(h[i]);
    n += z;
    if (z < 32) break;
  }
  return n;
}
