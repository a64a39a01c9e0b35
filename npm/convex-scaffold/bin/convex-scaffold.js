#!/usr/bin/env node
'use strict';
require('../lib/launch.js').launch(process.argv.slice(2));
