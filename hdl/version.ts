// The splitfuse version, read once from package.json (written into generated files' headers).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (pkg as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error("package.json of splitfuse has no string 'version'");
  return version;
}

export const SPLITFUSE_VERSION: string = readVersion();
