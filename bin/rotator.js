#!/usr/bin/env node
'use strict';
// Thin launcher so `npx rotator` and the packed install run the compiled CLI.
require('../dist/cli/main.js');
