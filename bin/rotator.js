#!/usr/bin/env -S node --optimize-for-size
'use strict';
// Thin launcher so `npx rotator` and the packed install run the compiled CLI. V8's
// --optimize-for-size (which NODE_OPTIONS may not carry) trades speed for memory: a sweep takes ~30%
// longer, well inside its interval, and the daemon's peak resident memory falls by ~20 MB at 100,000
// secrets and ~160 MB at a million (BENCHMARKS.md, "Sweep at scale").
require('../dist/cli/main.js');
