import { describe, expect, it } from 'vitest';
import { leadingZeroBits, sha256, sha256Hex, sha256Words } from './sha256';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('sha256', () => {
  // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
  it('matches the NIST vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu')).toBe(
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    );
    expect(sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('pads right at the block edges (55, 56 and 64 bytes)', () => {
    expect(sha256Hex('a'.repeat(55))).toBe('9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318');
    expect(sha256Hex('a'.repeat(56))).toBe('b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a');
    expect(sha256Hex('a'.repeat(64))).toBe('ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb');
  });

  it('hashes UTF-8 bytes, and a prefix of a longer buffer', () => {
    expect(sha256Hex('随手拍')).toBe('6d11a67c18e191c48c4c36f3229638fa98b706ce33dab9c69c7a67089848b4bb');
    const buf = new TextEncoder().encode('abcXYZ');
    const words = sha256Words(buf, 3);
    const bytes = new Uint8Array(32);
    words.forEach((w, i) => new DataView(bytes.buffer).setInt32(i * 4, w));
    expect(hex(bytes)).toBe(hex(sha256(new TextEncoder().encode('abc'))));
  });

  it('counts leading zero bits across words', () => {
    expect(leadingZeroBits(Int32Array.from([0x0000ffff, 0]))).toBe(16);
    expect(leadingZeroBits(Int32Array.from([0, 0x00800000]))).toBe(40);
    expect(leadingZeroBits(Int32Array.from([-1, 0]))).toBe(0);
    expect(leadingZeroBits(Int32Array.from([0, 0]))).toBe(64);
  });
});
