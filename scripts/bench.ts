/**
 * npm run bench
 *
 * 1. Answering: handbook questions per second and memory, without a server.
 * 2. Turns over HTTP: starts the real Stagemaatje server (embedded database) and, as the floor, a
 *    bare botbuilder echo bot on the same stack; drives both through a fake Bot Framework connector
 *    on 127.0.0.1 with N concurrent conversations (handbook questions and report steps), and prints
 *    p50/p99 turn latency and throughput for both, and their ratio.
 *
 * Options: --conversations N (default 50), --rounds R (default 3), --steps (median per script step).
 * With DATABASE_URL set, Stagemaatje runs on that PostgreSQL server instead (in a schema of its own,
 * dropped afterwards): the set-up of a deployment with several instances.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { loadHandbook } from '../src/handbook/content';
import { HandbookAnswerer } from '../src/handbook/answerer';
import { ask } from '../src/handbook/ask';
import { readQuestionFile } from '../src/handbook/evaluation';
import { projectRoot } from '../src/paths';
import { openDb } from '../src/storage/db';

const root = projectRoot();
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CONVERSATIONS = option('conversations', 50);
const ROUNDS = option('rounds', 3);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function benchAnswering(): void {
  const before = process.memoryUsage();
  const started = performance.now();
  const answerer = new HandbookAnswerer(loadHandbook());
  const buildMs = performance.now() - started;
  const questions = readQuestionFile(path.resolve(root, 'test', 'fixtures', 'questions-dev.tsv')).map((q) => q.question);
  const n = 3000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ask(answerer, questions[i % questions.length]!);
  const seconds = (performance.now() - t0) / 1000;
  const after = process.memoryUsage();
  console.log('Answering (no server)');
  console.log(`  index built in ${buildMs.toFixed(0)} ms; ${(n / seconds).toFixed(0)} questions/second (${((seconds / n) * 1000).toFixed(2)} ms each)`);
  console.log(`  memory: heap ${mb(after.heapUsed)} (+${mb(after.heapUsed - before.heapUsed)} for the handbook index), rss ${mb(after.rss)}`);
}

/** The fake connector: accepts every reply at once, like a healthy channel. */
async function startConnector(): Promise<{ url: string; close(): Promise<void> }> {
  let id = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"id":"r${++id}"}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startProcess(script: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  const profile = process.env.BENCH_PROFILE && script.includes('index') ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--require', 'tsx/cjs', path.join(root, script)], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_OPTIONS: '--no-deprecation', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (res) return child;
      const probe = await fetch(`http://127.0.0.1:${port}/api/messages`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).catch(() => undefined);
      if (probe) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

/** What each simulated student sends: greeting, handbook questions, then the first report steps. */
const SCRIPT: Array<{ text: string; choice?: boolean }> = [
  { text: 'hoi' },
  { text: 'mag een bedrijf me weigeren omdat ik een hoofddoek draag?' },
  { text: 'kan ik anoniem melden' },
  { text: 'what proof should i keep' },
  { text: 'ik wil melden' },
  { text: 'Mijn begeleider noemde mij steeds de buitenlander en ik kreeg alleen de vieze klusjes.' },
  { text: 'role:victim', choice: true },
  { text: 'vorige week dinsdag' },
  { text: 'moment:during', choice: true },
  { text: 'organisation:skip', choice: true },
  { text: 'stop' },
];

const perStep: Record<string, number[][]> = {};

async function drive(base: string, connectorUrl: string, label: string): Promise<{ latencies: number[]; seconds: number }> {
  const steps = (perStep[label] = SCRIPT.map(() => [] as number[]));
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONVERSATIONS });
  const post = (body: object) =>
    new Promise<number>((resolve, reject) => {
      const data = JSON.stringify(body);
      const started = performance.now();
      const req = http.request(`${base}/api/messages`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${label}: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(data);
    });
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, c) => {
        const user = `bench-${label}-${round}-${c}`;
        for (const [i, step] of SCRIPT.entries()) {
          const ms = await post({
              type: 'message',
              id: `${user}-${i}`,
              channelId: 'webchat',
              serviceUrl: connectorUrl,
              from: { id: user },
              recipient: { id: 'bot' },
              conversation: { id: user },
              text: step.text,
              ...(step.choice ? { value: { choice: step.text } } : {}),
            });
          latencies.push(ms);
          steps[i]!.push(ms);
        }
      }),
    );
  }
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - t0) / 1000 };
}

/** The same conversations a few times over, so both servers are past start-up and JIT compilation. */
async function warmUp(base: string, connectorUrl: string): Promise<void> {
  for (let c = 0; c < 5; c++) {
    for (const [i, step] of SCRIPT.entries()) {
      await fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: `warm-${c}-${i}`,
          channelId: 'webchat',
          serviceUrl: connectorUrl,
          from: { id: `warm-${c}` },
          recipient: { id: 'bot' },
          conversation: { id: `warm-${c}` },
          text: step.text,
          ...(step.choice ? { value: { choice: step.text } } : {}),
        }),
      });
    }
  }
}

async function main(): Promise<void> {
  benchAnswering();
  const connector = await startConnector();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-bench-'));
  const results: Record<string, { latencies: number[]; seconds: number }> = {};
  const databaseUrl = process.env.DATABASE_URL;
  const database: Record<string, string> = databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: `stagemaatje_bench_${process.pid}` } : {};
  for (const [label, script, env] of [
    ['echo floor', 'scripts/echoBot.ts', {}],
    [
      'Stagemaatje',
      'src/index.ts',
      { DATA_DIR: dataDir, LOG_LEVEL: 'warn', REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'), RATE_LIMIT_MESSAGES_PER_MINUTE: '10000', RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000', ...database },
    ],
  ] as const) {
    const port = await freePort();
    const child = await startProcess(script, env, port);
    try {
      const base = `http://127.0.0.1:${port}`;
      await warmUp(base, connector.url);
      results[label] = await drive(base, connector.url, label.replace(/\s/g, ''));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
  await connector.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (databaseUrl) {
    const db = await openDb({ url: databaseUrl });
    await db.query(`DROP SCHEMA IF EXISTS "${database.DATABASE_SCHEMA}" CASCADE`);
    await db.close();
  }

  console.log(`\nTurns over HTTP: ${CONVERSATIONS} concurrent conversations × ${SCRIPT.length} turns × ${ROUNDS} rounds, ${databaseUrl ? 'PostgreSQL server' : 'embedded database'}, ${os.cpus().length} CPUs`);
  const rows = Object.entries(results).map(([label, r]) => ({
    label,
    p50: percentile(r.latencies, 50),
    p99: percentile(r.latencies, 99),
    throughput: r.latencies.length / r.seconds,
  }));
  for (const row of rows) {
    console.log(`  ${row.label.padEnd(12)} p50 ${row.p50.toFixed(1).padStart(6)} ms   p99 ${row.p99.toFixed(1).padStart(7)} ms   ${row.throughput.toFixed(0).padStart(5)} turns/s`);
  }
  if (args.includes('--steps')) {
    for (const [label, steps] of Object.entries(perStep)) {
      console.log(`  ${label} per step (median ms): ${steps.map((l, i) => `${SCRIPT[i]!.text.slice(0, 12)}=${percentile(l.sort((a, b) => a - b), 50).toFixed(0)}`).join(' ')}`);
    }
  }
  const floor = rows.find((r) => r.label === 'echo floor')!;
  const ours = rows.find((r) => r.label === 'Stagemaatje')!;
  console.log(`  ratio        p50 ${(ours.p50 / floor.p50).toFixed(2)}×   p99 ${(ours.p99 / floor.p99).toFixed(2)}×   throughput ${(ours.throughput / floor.throughput).toFixed(2)}×   (target: p50 ≤ 1.5×, p99 ≤ 2×)`);
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.message}`);
  process.exit(1);
});
