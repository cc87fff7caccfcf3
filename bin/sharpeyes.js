#!/usr/bin/env node
// Loads the TypeScript CLI through tsx in this process, so `npx sharpeyes …` works from a checkout
// without a build step and signals reach the service directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
