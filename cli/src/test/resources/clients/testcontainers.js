// testcontainers-node (npm, pinned by scripts/npm-clients) for ClientMatrixIT, without Ryuk
// (TESTCONTAINERS_RYUK_DISABLED=true: there is no registry to pull it from).
//
// Usage: node testcontainers.js matrix PREFIX RUN_ID IMAGE
// prints one line per operation: OP <name> <json of what the client saw>. Its operations are what the library
// offers on one container: start (and its log wait), exec, copy to and from, logs, stop (which removes).
'use strict';
const { GenericContainer, Wait } = require('testcontainers');
const { operation, readAll, untarFirst } = require('./matrix-kit');

const TIMEOUT_MS = 30000;

async function matrix(prefix, runId, image) {
  let container;
  const op = operation(TIMEOUT_MS);
  await op('run-rm', async (r) => {
    container = await new GenericContainer(image)
      .withName(prefix + '-tc')
      .withLabels({ 'dev.tether.test': runId })
      .withNetworkMode('none')
      .withCommand(['sh', '-c', 'echo started; exec sleep 600'])
      .withWaitStrategy(Wait.forLogMessage('started'))
      .start();
    r.started = true;
  });
  if (!container) {
    return;
  }
  await op('exec', async (r) => {
    const res = await container.exec(['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5']);
    r.exitCode = res.exitCode;
    r.stdout = res.stdout;
    r.stderr = res.stderr;
  });
  await op('archive', async (r) => {
    await container.copyContentToContainer([{ content: 'hello archive\n', target: '/tmp/hello.txt' }]);
    r.get = untarFirst(await readAll(await container.copyArchiveFromContainer('/tmp/hello.txt')));
  });
  await op('logs', async (r) => {
    const logs = await container.logs({ since: 0 });
    r.first = await new Promise((resolve, reject) => {
      logs.on('data', (line) => { resolve(String(line)); logs.destroy(); });
      logs.on('error', reject);
    });
  });
  await op('stop', async (r) => {
    await container.stop({ timeout: 1 });
    r.stopped = true;
  });
}

const [mode, arg, runId, image] = process.argv.slice(2);
if (mode !== 'matrix') {
  console.error('testcontainers has no stdin session: only "matrix"');
  process.exit(2);
}
matrix(arg, runId, image).then(() => process.exit(0)).catch((e) => { console.error(e); process.exit(1); });
