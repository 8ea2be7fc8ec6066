// What the node clients of ClientMatrixIT share: how an operation reports what the client saw, in time.
'use strict';

// One line per operation on stdout: OP <name> <json of what the client saw>, keys sorted.
function emit(op, result) {
  process.stdout.write('OP ' + op + ' ' + JSON.stringify(sorted(result)) + '\n');
}

function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  }
  return Buffer.isBuffer(v) ? v.toString() : v;
}

// An error as the user reads it: the engine's status and message where the client has them.
function error(e) {
  return { error: (e && e.statusCode ? e.statusCode + ' ' : '') + (e && e.json && e.json.message ? e.json.message : String(e && e.message ? e.message : e)) };
}

function within(promise, what, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(what + ' did not finish within ' + ms + ' ms')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// An operation that throws reports the error as its result: the matrix compares failures too.
function operation(ms) {
  return async (name, fn) => {
    const r = {};
    try {
      await within(fn(r), name, ms);
    } catch (e) {
      r.error = error(e).error;
    }
    emit(name, r);
  };
}

function readAll(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

// The first regular file of a ustar archive: what get_archive gives.
function untarFirst(buf) {
  const name = buf.subarray(0, 100).toString().replace(/\0.*$/s, '');
  const size = parseInt(buf.subarray(124, 136).toString().replace(/\0.*$/s, '').trim(), 8);
  return { member: name, content: buf.subarray(512, 512 + size).toString() };
}

module.exports = { emit, error, within, operation, readAll, untarFirst };
