/**
 * npm run --silent ask -- --json ["question"]
 * Answers handbook questions without a server: one question as an argument, or one per line on
 * standard input. Writes one JSON object per line: {"question","lang","id","score","answer"}.
 * Logs (if any) go to standard error, so standard output can be piped.
 */
import readline from 'node:readline';
import { loadHandbook } from '../src/handbook/content';
import { HandbookAnswerer } from '../src/handbook/answerer';
import { ask, type AskResult } from '../src/handbook/ask';

function print(result: AskResult, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`[${result.lang}] ${result.id ?? '(no answer)'} (${result.score})\n${result.answer}\n\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const question = args.filter((a) => a !== '--json').join(' ').trim();
  const answerer = new HandbookAnswerer(loadHandbook());
  if (question) {
    print(ask(answerer, question), json);
    return;
  }
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) print(ask(answerer, line), json);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`ask failed: ${err.message}\n`);
  process.exit(1);
});
