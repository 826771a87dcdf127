import { z } from 'zod';

// Zod compiles fast object parsers with `new Function` when it may, and probes for that
// while schemas are being defined; the probe trips the page's Content-Security-Policy (no
// 'unsafe-eval'). Imported first by main.tsx, so it is set before any schema exists.
z.config({ jitless: true });
