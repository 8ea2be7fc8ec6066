// Loaded into every node of a guarded server's tree (NODE_OPTIONS=--require …), it acts only in the MCP server
// itself (not in npm): it makes the server as stubborn as the leaks tether guards against. It ignores SIGTERM and
// SIGHUP, outlives its stdin's end and write errors, and starts a grandchild in a session of its own (`setsid`,
// which forks again: the grandchild is reparented, out of the server's process group and session):
// `sleep GUARD_TEST_TOKEN`, by which the test finds it.
'use strict';
if (/mcp-server-filesystem|server-filesystem/.test(process.argv[1] || '')) {
  const { spawn } = require('node:child_process');
  process.on('SIGTERM', () => {});
  process.on('SIGHUP', () => {});
  process.on('uncaughtException', () => {});
  process.stdout.on('error', () => {});
  setInterval(() => {}, 1 << 30);
  spawn('setsid', ['sleep', process.env.GUARD_TEST_TOKEN || '86400'], { detached: true, stdio: 'ignore' }).unref();
}
