'use strict';
// Preloaded into a daemon (NODE_OPTIONS=--require) by the lazy-loading test: at exit it writes the
// files the process loaded through require (ESM imports of CommonJS packages land there too) to
// LOADED_MODULES_OUT.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  writeFileSync(process.env.LOADED_MODULES_OUT, JSON.stringify(Object.keys(require.cache)));
});
