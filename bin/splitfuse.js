#!/usr/bin/env node
// Entry point of the `splitfuse` command: load the TypeScript sources through tsx (no build step),
// then run the CLI. Paths are resolved from this file, so it works from any working directory.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
const { main } = await import(new URL('../cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
