// dockerode (npm, pinned by scripts/npm-clients) for ClientMatrixIT.
//
// Usage: node dockerode.js matrix PREFIX RUN_ID IMAGE   every operation; one line per operation on stdout:
//                                                       OP <name> <json of what the client saw>
//        node dockerode.js session NAME RUN_ID IMAGE    a stdin session (create, hijacked attach, start), then
//                                                       READY <name> and wait to be killed
// new Docker() reads DOCKER_HOST. An operation that throws reports the error as its result: the matrix compares
// what the user would see, failures included.
'use strict';
const Docker = require('dockerode');
const { PassThrough } = require('stream');
const { error, operation, readAll, untarFirst } = require('./matrix-kit');

const TIMEOUT_MS = 20000; // every operation: none can hang the test
const STUBBORN = 'trap "" TERM; while :; do sleep 1; done';
const docker = new Docker();

async function step(r, key, fn) {
  try {
    const v = await fn();
    r[key] = v === undefined ? null : v;
    return true;
  } catch (e) {
    r[key] = error(e);
    return false;
  }
}

function demux(raw) {
  let out = '', err = '', i = 0;
  while (i + 8 <= raw.length) {
    const size = raw.readUInt32BE(i + 4);
    const chunk = raw.subarray(i + 8, i + 8 + size).toString();
    if (raw[i] === 2) err += chunk; else out += chunk;
    i += 8 + size;
  }
  return { stdout: out, stderr: err };
}

// One regular file in a ustar archive: what put_archive takes and get_archive gives.
function tarOf(name, content) {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  Buffer.from(content).copy(body);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

async function matrix(prefix, runId, image) {
  const base = { Image: image, Labels: { 'dev.tether.test': runId }, HostConfig: { NetworkMode: 'none' } };
  const op = operation(TIMEOUT_MS);

  await op('version', async (r) => {
    await step(r, 'ping', async () => (await docker.ping()).toString());
    await step(r, 'version', () => docker.version());
  });

  await op('lifecycle', async (r) => {
    const c = await docker.createContainer({ ...base, name: prefix + '-life', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    await step(r, 'hostConfig', async () => (await c.inspect()).HostConfig);
    await step(r, 'start', () => c.start());
    await step(r, 'wait', () => c.wait());
    await step(r, 'logs', async () => demux(await c.logs({ stdout: true, stderr: true })));
    await step(r, 'remove', () => c.remove());
  });

  await op('run-rm', async (r) => {
    const out = new PassThrough();
    const collected = readAll(out);
    await step(r, 'run', async () => {
      const [data] = await docker.run(image, ['echo', 'ok'], out,
        { ...base, name: prefix + '-runrm', HostConfig: { NetworkMode: 'none', AutoRemove: true } });
      return data;
    });
    out.end();
    r.output = (await collected).toString();
  });

  await op('exec', async (r) => {
    const c = await docker.createContainer({ ...base, name: prefix + '-exec', Cmd: ['sleep', '600'] });
    try {
      await c.start();
      const exec = await c.exec({ Cmd: ['sh', '-c', 'echo exec-out; exit 5'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      r.output = demux(await readAll(stream));
      r.exitCode = (await exec.inspect()).ExitCode;
    } finally {
      await c.remove({ force: true });
    }
  });

  await op('archive', async (r) => {
    const c = await docker.createContainer({ ...base, name: prefix + '-archive', Cmd: ['sleep', '600'] });
    try {
      await step(r, 'put', () => c.putArchive(tarOf('hello.txt', 'hello archive\n'), { path: '/tmp' }));
      await step(r, 'get', async () => untarFirst(await readAll(await c.getArchive({ path: '/tmp/hello.txt' }))));
    } finally {
      await c.remove({ force: true });
    }
  });

  await op('attach-stdin', async (r) => {
    // issue 14: OpenStdin/StdinOnce/AttachStdin, hijacked attach, start, a line, end(), wait, remove
    const c = await docker.createContainer({ ...base, name: prefix + '-attach', Cmd: ['cat'], OpenStdin: true,
      StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    await step(r, 'hostConfig', async () => (await c.inspect()).HostConfig);
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const output = readAll(stream);
    await step(r, 'start', () => c.start());
    stream.write('hello stdin\n');
    stream.end();
    r.output = demux(await output);
    await step(r, 'wait', () => c.wait());
    await step(r, 'remove', () => c.remove());
  });

  await op('events', async (r) => {
    const name = prefix + '-events';
    const since = Math.floor(Date.now() / 1000) - 1;
    const c = await docker.createContainer({ ...base, name, Cmd: ['true'] });
    await c.start();
    await c.wait();
    await c.remove();
    const until = Math.floor(Date.now() / 1000) + 1;
    const stream = await docker.getEvents({ since, until, filters: JSON.stringify({ container: [name] }) });
    const lines = (await readAll(stream)).toString().split('\n').filter((l) => l.trim());
    r.events = lines.map((l) => JSON.parse(l)).map((e) => [e.Type, e.Action, (e.Actor || {}).Attributes || {}]);
  });

  await op('stats', async (r) => {
    const c = await docker.createContainer({ ...base, name: prefix + '-stats', Cmd: ['sleep', '600'] });
    try {
      await c.start();
      const s = await c.stats({ stream: false });
      r.keys = Object.keys(s).sort();
      r.name = s.name;
    } finally {
      await c.remove({ force: true });
    }
  });

  await op('restart-policy', async (r) => {
    const c = await docker.createContainer({ ...base, name: prefix + '-restart', Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped' } } });
    await c.start();
    r.name = prefix + '-restart';
  });
}

async function session(name, runId, image) {
  const c = await docker.createContainer({ Image: image, name, Cmd: ['sh', '-c', STUBBORN], Labels: { 'dev.tether.test': runId },
    HostConfig: { NetworkMode: 'none' }, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  await c.start();
  stream.write('hello\n');
  process.stdout.write('READY ' + name + '\n');
  setInterval(() => {}, 60000);
}

const [mode, arg, runId, image] = process.argv.slice(2);
(mode === 'matrix' ? matrix(arg, runId, image).then(() => process.exit(0)) : session(arg, runId, image))
  .catch((e) => { console.error(e); process.exit(1); });
