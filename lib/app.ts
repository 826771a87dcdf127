import { createDsfApp } from './dsf-app.js';

/** Entry of `npx cdk synth|deploy` (cdk.json). Configuration: lib/config.ts and lib/README.md. */
createDsfApp().app.synth();
