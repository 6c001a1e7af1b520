import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Three pages: the big screen at /, the field page at /field and the admin
// page at /admin (the server maps /field and /admin to their .html). Relative asset paths keep the build servable from any
// --static-dir without a base URL.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        screen: resolve(import.meta.dirname, 'index.html'),
        field: resolve(import.meta.dirname, 'field.html'),
        admin: resolve(import.meta.dirname, 'admin.html'),
        report: resolve(import.meta.dirname, 'report.html'),
      },
    },
  },
  server: {
    // `npm run dev` against a server on :8080.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ogc': 'http://127.0.0.1:8080',
      '/osmand': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // A zone far from the city's: every time a page shows must be the
    // city's (UTC+8 in the tests) whatever zone the browser is in.
    env: { TZ: 'America/Los_Angeles' },
  },
});
