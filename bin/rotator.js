#!/usr/bin/env -S node --optimize-for-size
'use strict';
// Thin launcher so `npx rotator` and the packed install run the compiled CLI. V8's
// --optimize-for-size (which NODE_OPTIONS may not carry) trades some peak speed for memory: the
// daemon waits on Key Vault's request budget, not on its CPU, and its resident memory at a
// 100,000-secret sweep falls by ~20 MB (BENCHMARKS.md, "Sweep at scale").
require('../dist/cli/main.js');
