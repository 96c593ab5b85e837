// Production entry point (`npm start`): configuration from the environment, one process
// serving the portal's requests and running the inbox worker and the schedules.
import { createServer, type Server } from 'node:http';
import { ConfigError, loadConfig } from './config/index.ts';
import { createContext } from './context.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const ctx = await createContext({ config });
const server: Server = createServer(ctx.app).listen(config.port, () => {
  ctx.log.info({ port: config.port, publicUrl: config.publicUrl }, 'b24-dispatcher listening');
});
await ctx.start();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  ctx.log.info({ signal }, 'shutting down');
  server.close();
  await ctx.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
