// An MCP host for GuardIT: the real MCP TypeScript SDK client starts its stdio server through `tether run`, lists
// its tools and calls one (GUARD_HOST_TOOL, default list_allowed_directories), prints one JSON line, then obeys
// lines on its own stdin:
//   close-stdin  closes the server's stdin and lives on;   exit  exits 0 without closing anything.
// Usage: node guard-host.cjs NODE_MODULES COMMAND [ARGS…]   (COMMAND ARGS… is what the SDK spawns)
// The server's environment is this one's (the SDK passes only a few variables by default).
'use strict';
const path = require('node:path');
const readline = require('node:readline');
const [modules, command, ...args] = process.argv.slice(2);
const sdk = (p) => require(path.join(modules, '@modelcontextprotocol/sdk/dist/cjs', p));
const { Client } = sdk('client/index.js');
const { StdioClientTransport } = sdk('client/stdio.js');

(async () => {
  const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: 'inherit' });
  const client = new Client({ name: 'tether-guard-host', version: '1.0.0' });
  await client.connect(transport);
  const tools = await client.listTools();
  const allowed = await client.callTool({ name: process.env.GUARD_HOST_TOOL || 'list_allowed_directories', arguments: {} });
  console.log(JSON.stringify({
    ready: true,
    hostPid: process.pid,
    serverPid: transport.pid,
    tools: tools.tools.map((t) => t.name),
    called: allowed.content.map((c) => c.text).join('\n'),
  }));
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'close-stdin') {
      transport._process.stdin.end();
      console.log(JSON.stringify({ closed: true }));
    } else if (line === 'exit') {
      process.exit(0);
    }
  });
})().catch((e) => {
  console.log(JSON.stringify({ error: String(e && e.stack || e) }));
  process.exit(3);
});
