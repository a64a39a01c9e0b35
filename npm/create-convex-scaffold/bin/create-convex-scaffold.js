#!/usr/bin/env node
'use strict';
// `npm create convex-scaffold@latest my-app` runs this: it is
// `convex-scaffold new my-app`, with the options after `--` passed on
// (`npm create convex-scaffold@latest my-app -- --yes`).
const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write(
    'error: name the folder to create, e.g. npm create convex-scaffold@latest my-app\n' +
      '(options after --, e.g. npm create convex-scaffold@latest my-app -- --yes)\n'
  );
  process.exit(2);
}
require('convex-scaffold/lib/launch.js').launch(['new', ...args]);
