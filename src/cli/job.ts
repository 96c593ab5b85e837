// `npm run job -- <name> [--portal <member_id>] [--now <ISO-8601>] [--dry-run]`
// Runs one maintenance job once and prints ONE JSON summary line on stdout; logs go to stderr.
// Exit: 0 ok or skipped (another process holds the job's lease), 1 failed, 2 bad usage.
import { ConfigError, loadConfig } from '../config/index.ts';
import { type AppContext, createContext } from '../context.ts';
import { UnknownJobError, UnknownPortalError } from '../jobs/errors.ts';
import { runnerFor } from '../jobs/feature.ts';
import { exitCodeFor, type JobSummary } from '../jobs/summary.ts';
import { createLogger } from '../log/logger.ts';
import { parseJobArgs, UsageError, usage } from './job-args.ts';

function finish(code: number, stdoutLine?: string): never {
  if (stdoutLine === undefined) process.exit(code);
  // exit only once the line is out: stdout may be a pipe to whoever parses it
  process.stdout.write(`${stdoutLine}\n`, () => process.exit(code));
  return undefined as never;
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseJobArgs>;
  try {
    args = parseJobArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${usage()}\n`);
    return finish(2);
  }
  if (args === 'help') return finish(0, usage());

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return finish(1);
  }

  const log = createLogger(config.logLevel, process.stderr);
  let ctx: AppContext;
  try {
    ctx = await createContext({ config, log });
  } catch (err) {
    log.fatal({ err }, 'could not build the app (database, migrations or features)');
    return finish(1, JSON.stringify({ job: args.name, status: 'failed', error: describe(err) }));
  }

  let code = 1;
  let line: string;
  try {
    const summary: JobSummary = await runnerFor(ctx).run(args.name, {
      portal: args.portal,
      now: args.now,
      dryRun: args.dryRun,
    });
    code = exitCodeFor(summary.status);
    // Events the job stored (offline-events) are handled before the process goes away;
    // a dry run stored nothing, and must not handle what others stored either.
    if (!args.dryRun && summary.status !== 'skipped') {
      try {
        await ctx.worker.drain();
      } catch (err) {
        log.error({ err }, 'the inbox could not be drained; the server will process what is left');
        summary.error = `inbox drain failed: ${describe(err)}`;
        code = 1;
      }
    }
    line = JSON.stringify(summary);
  } catch (err) {
    if (err instanceof UnknownJobError || err instanceof UnknownPortalError) {
      process.stderr.write(
        `${err.message}\n${err instanceof UnknownJobError ? `\n${usage(err.valid)}\n` : ''}`,
      );
      await ctx.stop().catch(() => undefined);
      return finish(2);
    }
    log.error({ err }, 'job run failed');
    line = JSON.stringify({ job: args.name, status: 'failed', error: describe(err) });
    code = 1;
  }
  await ctx.stop().catch((err) => log.warn({ err }, 'shutdown was not clean'));
  return finish(code, line);
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  finish(1);
});
