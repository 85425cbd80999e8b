// The second half of `npm run build`: tsc compiles the code into dist/, this copies in the files
// the compiled code reads from disk at run time, each to the same place relative to the code that
// reads it as in the repository (so `node dist/src/main.js` finds them as `tsx src/main.ts` does).
import { cpSync, rmSync } from 'node:fs';

const RUNTIME_FILES = [
  'migrations', // src/store/migrate.ts: ../../migrations/
  'src/sandbox/page', // src/sandbox/server.ts: ./page/
  'examples/sandbox.yml', // src/sandbox/main.ts: ../../examples/sandbox.yml
  'examples/sandbox-deploy.mjs', // run by the services of examples/sandbox.yml
];

for (const file of RUNTIME_FILES) {
  rmSync(`dist/${file}`, { recursive: true, force: true });
  cpSync(file, `dist/${file}`, { recursive: true });
}
