// Builds the settings and dashboard page (Vue + Bitrix24's UI kit) into dist/page, which the
// server serves under /page/. One script and one stylesheet, named in .vite/manifest.json, so
// the server can put them in the page it renders with its CSP nonce.
import { fileURLToPath } from 'node:url';
import b24ui from '@bitrix24/b24ui-nuxt/vite';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/page/',
  logLevel: 'warn',
  plugins: [
    vue(),
    b24ui({
      // Tabs, not URLs: the page lives in the portal's frame, whose address we do not own.
      router: false,
      // Light or dark follows the viewer's system (page/src/theme.ts).
      colorMode: false,
      dts: false,
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../dist/page', import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: fileURLToPath(new URL('./src/main.ts', import.meta.url)),
      output: { inlineDynamicImports: true },
    },
  },
});
