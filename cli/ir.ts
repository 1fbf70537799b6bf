#!/usr/bin/env node
/** The `ir` command (package.json `bin`): see cli/program.ts. */
import { runCli } from './program';

void runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
