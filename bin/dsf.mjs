#!/usr/bin/env node
// The CLI is TypeScript run in place: tsx's loader hooks compile it on import.
import { register } from 'tsx/esm/api';

register();
await import('../local/cli/main.ts');
