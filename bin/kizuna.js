#!/usr/bin/env node
// Entry point of the `kizuna` command: runs the compiled CLI (npm run build writes dist/).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'nodes', 'cli', 'kizuna.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('kizuna: not built yet; run `npm run build` in the kizuna folder first\n');
  process.exit(1);
}
require(cli);
