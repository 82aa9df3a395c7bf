import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * `@chat/contract` and `@chat/client` resolve to their TypeScript sources, so
 * the web client builds without a prior `tsc -b`. They are aliases rather than
 * a global `development` resolve condition because that condition would also
 * pull socket.io-parser's debug build into the bundle.
 */
const source = (path: string): string => fileURLToPath(new URL(`../packages/${path}`, import.meta.url));

// `vite dev` proxies to a running cluster (`npm run up` listens on 8080).
const devTarget = process.env.CHAT_DEV_TARGET ?? 'http://127.0.0.1:8080';

/**
 * A Content-Security-Policy for the built page, as a second line of defence:
 * the client only ever renders text, and with this even injected markup could
 * not run script. Build only: `vite dev` injects inline styles and scripts.
 */
const contentSecurityPolicy: Plugin = {
  name: 'chat-content-security-policy',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: {
        'http-equiv': 'Content-Security-Policy',
        content: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'",
      },
      injectTo: 'head-prepend',
    },
  ],
};

export default defineConfig({
  plugins: [contentSecurityPolicy],
  resolve: {
    alias: [
      { find: /^@chat\/contract$/, replacement: source('contract/src/index.ts') },
      { find: /^@chat\/client$/, replacement: source('client/src/index.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  server: {
    proxy: {
      '/api': { target: devTarget, changeOrigin: true },
      '/socket.io': { target: devTarget, changeOrigin: true, ws: true },
    },
  },
});
