// A media gateway for the browser tests (video.mjs), as its own process:
// serves a directory of HLS on loopback with CORS open and HLS content types;
// under /stale/ the playlist names segments the gateway no longer has.
//
//   node e2e/gateway.mjs DIR   → prints its address (http://127.0.0.1:PORT)

import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.m4s': 'video/iso.segment', '.mp4': 'video/mp4' };
const dir = process.argv[2];

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(dir, path);
  res.setHeader('access-control-allow-origin', '*');
  if (path === '/stale/index.m3u8') {
    const lost = readFileSync(join(dir, 'index.m3u8'), 'utf8').replace(/^([^#\s].*)$/gm, 'lost-$1');
    res.writeHead(200, { 'content-type': TYPES['.m3u8'] });
    return res.end(lost);
  }
  let size = -1;
  try {
    size = statSync(file).isFile() ? statSync(file).size : -1;
  } catch {
    size = -1;
  }
  if (!file.startsWith(dir) || size < 0) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
