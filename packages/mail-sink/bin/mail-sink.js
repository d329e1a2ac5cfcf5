#!/usr/bin/env node
// Runs the package's TypeScript through tsx's loader, so it needs no build step on Node 20.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
