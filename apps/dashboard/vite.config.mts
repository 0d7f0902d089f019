/**
 * The dashboard's build (.mts: Vite loads it as ES module without a package.json "type"): `npm run build:dashboard` bundles apps/dashboard into dist/dashboard, which
 * apps/api serves (index.html for every page path). No @vitejs/plugin-react: Vite's own Oxc transform
 * compiles TSX with React's automatic JSX runtime (see docs/decisions/0007-dashboard-react-vite.md).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  // Paths relative to the repository root, where npm runs its scripts.
  root: 'apps/dashboard',
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: '../../dist/dashboard',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      // Two pages: the dashboard, and the web chat visitors open at /chat/<key> (served by the api).
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        chat: fileURLToPath(new URL('./chat.html', import.meta.url)),
      },
      // react-router marks its modules "use client" (for React Server Components); meaningless in an SPA bundle.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  server: { port: 5173, proxy: { '/api': 'http://localhost:3000', '/auth': 'http://localhost:3000', '/connect': 'http://localhost:3000' } },
});
