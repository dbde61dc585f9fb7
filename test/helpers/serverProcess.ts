/**
 * Runs Stagemaatje as a real operating-system process (`node --require tsx/cjs src/index.ts`), the
 * way it runs in production, for the reliability tests: several instances on one database, and
 * `kill -9` in the middle of things.
 *
 * - `startServerProcess(env)` picks a free port, starts the process with a clean environment (only
 *   what is passed, so a developer's .env or shell cannot leak in) and waits for /healthz.
 * - `stop()` sends SIGTERM (a clean shutdown), `kill()` sends SIGKILL (a crash); both wait for the exit.
 * - The process's JSON log lines are kept (`events('turn_replayed')`); TEST_LOG=1 also prints them.
 * - Every started process is tracked: `stopAllServerProcesses()` in an after hook, and a SIGKILL for
 *   any survivor when the test run exits, so a failing test never leaves a server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** Every config variable the app reads: the ones not passed are set blank, so a .env file cannot fill them in. */
const CONFIG_VARIABLES = [
  'NODE_ENV', 'PORT', 'HOST', 'LOG_LEVEL', 'MAX_REQUEST_BYTES', 'DATA_DIR', 'DATABASE_URL', 'DATABASE_SCHEMA',
  'MicrosoftAppId', 'MicrosoftAppPassword', 'MicrosoftAppType', 'MicrosoftAppTenantId',
  'AZURE_LANGUAGE_ENDPOINT', 'AZURE_LANGUAGE_KEY', 'REPORT_ENCRYPTION_KEY', 'REPORT_RETENTION_DAYS', 'DRAFT_RETENTION_DAYS',
  'WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_API_URL',
  'WHATSAPP_TEMPLATE_NAME', 'WHATSAPP_TEMPLATE_LANGUAGES', 'TEAMS_COUNSELLOR_CHANNEL_ID', 'TEAMS_TENANT_ID', 'TEAMS_SERVICE_URL',
  'COUNSELLOR_HOURS', 'HANDOFF_TIMEOUT_MINUTES', 'RATE_LIMIT_MESSAGES_PER_MINUTE', 'RATE_LIMIT_REQUESTS_PER_MINUTE', 'METRICS_TOKEN',
];

export interface LogLine {
  level?: string;
  event?: string;
  msg?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<ServerProcess>();

/** A port that was free a moment ago: the OS picks it when we bind port 0, and we let go of it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ServerProcess {
  /** Parsed JSON log lines (standard output). */
  readonly logs: LogLine[] = [];
  /** Everything else the process wrote (standard error, non-JSON output). */
  other = '';
  readonly exited: Promise<Exit>;
  exit?: Exit;
  /** How long the start took, until /healthz answered. */
  startedInMs = 0;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.other += chunk;
      if (process.env.TEST_LOG) process.stderr.write(`[${this.name} stderr] ${chunk}`);
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(name: string, env: Record<string, string>): Promise<ServerProcess> {
    const began = Date.now();
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const blanks = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v, '']));
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/index.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
          ...blanks,
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          ...env,
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const server = new ServerProcess(name, port, child);
      running.add(server);
      try {
        await server.waitUntilHealthy();
        server.startedInMs = Date.now() - began;
        return server;
      } catch (err) {
        if (!server.exit) await server.kill();
        // Someone took the port between our probe and the child's listen: try another one.
        if (attempt < 3 && /EADDRINUSE/.test(server.other)) continue;
        throw err;
      }
    }
  }

  private take(line: string): void {
    if (!line.trim()) return;
    if (process.env.TEST_LOG) process.stderr.write(`[${this.name}] ${line}\n`);
    try {
      this.logs.push(JSON.parse(line) as LogLine);
    } catch {
      this.other += `${line}\n`;
    }
  }

  private async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`${this.name} exited during start (${JSON.stringify(this.exit)}):\n${this.tail()}`);
      try {
        const res = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} did not become healthy within ${START_TIMEOUT_MS} ms:\n${this.tail()}`);
  }

  /** Log lines with this event name. */
  events(event: string): LogLine[] {
    return this.logs.filter((l) => l.event === event);
  }

  /** Waits until a log line matches (the process logs asynchronously). */
  async waitForLog(test: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(test);
      if (found) return found;
      if (this.exit || Date.now() > deadline) throw new Error(`${this.name}: no matching log line${this.exit ? ' (the process exited)' : ''}:\n${this.tail()}`);
      await sleep(50);
    }
  }

  /** The last lines of output, for error messages. */
  tail(lines = 25): string {
    const json = this.logs.slice(-lines).map((l) => JSON.stringify(l));
    return [...json, this.other.split('\n').slice(-lines).join('\n')].join('\n');
  }

  /** A clean shutdown (SIGTERM): running turns finish, the database is closed. */
  async stop(): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const exit = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
    if (exit) return exit;
    return this.kill();
  }

  /** A crash: `kill -9`, nothing runs any more, nothing is cleaned up. */
  async kill(): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Starts the app as a process and waits until /healthz answers. */
export function startServerProcess(env: Record<string, string>, name = 'server'): Promise<ServerProcess> {
  return ServerProcess.start(name, env);
}

/** For after hooks: stops (SIGTERM, then SIGKILL) every process still running. */
export async function stopAllServerProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

// Last resort when the test run ends with processes still running (a failed test, mocha's --exit).
process.once('exit', () => {
  for (const server of running) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
