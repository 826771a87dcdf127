import { runCli } from './program.js';

// `dsf list | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// exitCode rather than exit(): let stdout drain when it is a pipe.
process.exitCode = await runCli(process.argv.slice(2), {
  fetch: globalThis.fetch,
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
});
