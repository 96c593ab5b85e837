import { execFile } from 'node:child_process';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './context.ts';

export { storeEnvOf } from './store.ts';

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run job -- …` as an operator or an external scheduler runs it: a process of its own,
 * with only the environment given (nothing of the test process, node:test's markers included).
 */
export function runJobCli(args: string[], env: Record<string, string>): Promise<CliOutcome> {
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    B24_CLIENT_ID: TEST_CLIENT_ID,
    B24_CLIENT_SECRET: TEST_CLIENT_SECRET,
    B24_ALLOW_HTTP: '1',
    LOG_LEVEL: 'silent',
    ...env,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/job.ts', ...args],
      { env: childEnv, cwd: process.cwd(), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
