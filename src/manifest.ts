import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * app.manifest.json is the one list of what the app declares: scopes, handler paths, the
 * events it binds and the bot it registers. Install, setup and the README read it from here.
 */
const schema = z.object({
  code: z.string(),
  name: z.object({ en: z.string(), ru: z.string() }),
  version: z.string(),
  scopes: z.array(z.string()).min(1),
  handlers: z.object({ install: z.string(), app: z.string(), events: z.string() }),
  events: z.object({ online: z.array(z.string()), offline: z.array(z.string()) }),
  bot: z.object({
    CODE: z.string(),
    TYPE: z.string(),
    OPENLINE: z.string(),
    PROPERTIES: z.record(z.string(), z.string()),
    events: z.array(z.string()),
  }),
  openline: z.object({
    WELCOME_BOT_ENABLE: z.literal('Y'),
    WELCOME_BOT_JOIN: z.enum(['always', 'first']),
    WELCOME_BOT_LEFT: z.enum(['queue', 'close']),
    WELCOME_BOT_TIME: z.number().int().positive(),
  }),
});

export type Manifest = z.infer<typeof schema>;

const path = fileURLToPath(
  new URL(`../${import.meta.url.includes('/dist/') ? '../' : ''}app.manifest.json`, import.meta.url),
);
export const manifest: Manifest = schema.parse(JSON.parse(readFileSync(path, 'utf8')));
