import { existsSync } from 'node:fs';

/**
 * The Chromium the browser tests drive (playwright-core never downloads one): CHROMIUM_PATH,
 * else Debian's /usr/bin/chromium (`apt-get install chromium`). A missing browser fails the
 * test with one line that says what to install, never a skip.
 */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary`,
    );
  }
  return path;
}
