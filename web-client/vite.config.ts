import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Two pages: the big screen at / and the field page at /field (the server maps
// /field to field.html). Relative asset paths keep the build servable from any
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
  },
});
