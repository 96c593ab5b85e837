// Rebuilds what is older than its sources: the server (dist/src, by tsc) and the page
// (dist/page, by Vite from page/ and the words in views/i18n.json). `npm start` runs it for
// both; `npm test` and `npm run demo` run it with --page, as they run the server from src/.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules') continue;
    t = Math.max(t, newest(join(path, name)));
  }
  return t;
}
const olderThan = (marker, sources) =>
  !existsSync(marker) || Math.max(...sources.map(newest)) > statSync(marker).mtimeMs;

const pageOnly = process.argv.includes('--page');

if (!pageOnly && olderThan('dist/src/server.js', ['src'])) {
  console.error('dist/src is stale: building the server');
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
if (olderThan('dist/page/.vite/manifest.json', ['page', 'views/i18n.json', 'package-lock.json'])) {
  console.error('dist/page is stale: building the page');
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'page/vite.config.ts'],
    {
      stdio: 'inherit',
    },
  );
}
