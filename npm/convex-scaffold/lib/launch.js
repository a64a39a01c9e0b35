'use strict';
// The launcher: finds the binary in the platform package npm installed (one
// optionalDependency per os/cpu, as esbuild and Biome do) and runs it with
// the same arguments, stdin/stdout/stderr and terminal. Its exit code is the
// binary's; a signal sent to the launcher is passed on to the binary, and a
// binary killed by a signal kills the launcher with the same signal.

const { spawn } = require('child_process');
const path = require('path');

const PLATFORMS = require('../platforms.json');
// The tool's own exit code for an operational failure.
const EXIT_FAILURE = 3;

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(EXIT_FAILURE);
}

function binaryPath() {
  const key = `${process.platform} ${process.arch}`;
  const pkg = PLATFORMS[key];
  if (!pkg) {
    const supported = Object.keys(PLATFORMS)
      .map((k) => k.replace(' ', '/'))
      .join(', ');
    fail(
      `convex-scaffold has no prebuilt binary for ${process.platform}/${process.arch} ` +
        `(there are binaries for ${supported}). Build it from source with Rust: ` +
        'cargo install convex-scaffold'
    );
  }
  const exe = process.platform === 'win32' ? 'convex-scaffold.exe' : 'convex-scaffold';
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch (e) {
    fail(
      `the package ${pkg}, which holds convex-scaffold's binary for ${process.platform}/${process.arch}, ` +
        'is not installed. npm skips it when optional dependencies are left out (--omit=optional, ' +
        '--no-optional) or when the lockfile was made on another platform. Install it again with ' +
        `optional dependencies: npm install convex-scaffold (or add ${pkg} yourself)`
    );
  }
  return undefined;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function launch(args) {
  const bin = binaryPath();
  const child = spawn(bin, args, { stdio: 'inherit', windowsHide: false });
  // Ctrl-C at a terminal reaches the whole process group (the binary gets it
  // from the terminal too; it ignores a second one). A signal sent to the
  // launcher alone (kill, a process manager) must reach the binary as well.
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch (_) {
        // already gone
      }
    }
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  child.on('error', (e) => fail(`cannot run ${bin}: ${e.message}`));
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED) process.removeListener(s, forward);
    if (signal) {
      // Die the same way, so a parent shell sees what the binary saw.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code === null ? EXIT_FAILURE : code);
  });
}

module.exports = { launch, binaryPath, PLATFORMS };
