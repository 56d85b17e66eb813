import { spawn } from 'node:child_process';

/** Options of {@link run}. */
export interface RunOptions {
  cwd: string;
  /** Environment for the command; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Kill the command (SIGKILL) after this long. Default 120000 ms. */
  timeoutMs?: number;
}

/** What a finished command printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A command exited non-zero, was killed, or ran past its time limit. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  readonly code = 'E_COMMAND_FAILED';
  constructor(
    readonly command: string,
    readonly exit: string,
    readonly output: RunResult,
  ) {
    super(
      `\`${command}\` ${exit}\n${tail(output.stdout, 'stdout')}${tail(output.stderr, 'stderr')}`,
    );
  }
}

function tail(text: string, label: string): string {
  const lines = text.trim().split('\n');
  if (lines.length === 1 && lines[0] === '') return '';
  return `--- ${label} (last 40 lines) ---\n${lines.slice(-40).join('\n')}\n`;
}

/** Process groups of commands still running, so an interrupted run can end them all. */
const running = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGKILL every command {@link run} started that is still running, with its children. */
export function killRunningCommands(): void {
  for (const pid of running) killGroup(pid);
  running.clear();
}

/**
 * Run a command to completion and return what it printed; throw
 * {@link CommandFailedError} (with the tail of its output) if it fails.
 * The time limit is a safety net so a hung child can never hang the run.
 */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const shown = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // No stdin: nothing here may stop to ask a question (an OTP prompt, a confirmation).
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout or an interrupt ends its children too.
      detached: true,
    });
    if (child.pid !== undefined) running.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      reject(
        new CommandFailedError(shown, `could not start: ${error.message}`, { stdout, stderr }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      if (code === 0) return resolve({ stdout, stderr });
      const exit = timedOut
        ? `did not finish within ${timeoutMs} ms and was killed`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code}`;
      reject(new CommandFailedError(shown, exit, { stdout, stderr }));
    });
  });
}

/**
 * This process's environment without what pnpm, npm and vitest inject into scripts, plus
 * `extra`. `npm_config_*` could silently redirect a publish; NODE_PATH (set by `pnpm exec`)
 * would let a consumer outside the workspace resolve the workspace's own packages;
 * NODE_OPTIONS could load a loader into it.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|vitest|node_options$|node_path$|init_cwd$)/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
