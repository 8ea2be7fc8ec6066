"""docker-py (Debian python3-docker) for ClientMatrixIT.

Usage: docker_py.py matrix PREFIX RUN_ID IMAGE   every operation; one line per operation on stdout:
                                                  OP <name> <json of what the client saw>
       docker_py.py session NAME RUN_ID IMAGE     a stdin session (create, attach_socket, start), then
                                                  READY <name> and wait to be killed
The engine is DOCKER_HOST, as docker.from_env() reads it. An operation that raises reports the error as its
result: the matrix compares what the user would see, failures included.
"""
import io
import json
import socket
import sys
import tarfile
import time

import docker

TIMEOUT = 20  # seconds, every API call: an operation cannot hang the test
STUBBORN = 'trap "" TERM; while :; do sleep 1; done'


def emit(op, result):
    print("OP " + op + " " + json.dumps(result, sort_keys=True, default=str), flush=True)


def error(e):
    return {"error": type(e).__name__ + ": " + str(e)}


def step(results, key, fn):
    """Runs one step of an operation; records its value or its error and says whether it succeeded."""
    try:
        results[key] = fn()
        return True
    except Exception as e:  # noqa: BLE001 - what the user would see is the result
        results[key] = error(e)
        return False


def demux(raw):
    """Splits a multiplexed (non-tty) stream into stdout and stderr text."""
    out, err, i = b"", b"", 0
    while i + 8 <= len(raw):
        kind, size = raw[i], int.from_bytes(raw[i + 4:i + 8], "big")
        chunk = raw[i + 8:i + 8 + size]
        if kind == 2:
            err += chunk
        else:
            out += chunk
        i += 8 + size
    return out.decode(), err.decode()


def tar_of(name, content):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def matrix(client, prefix, run_id, image):
    labels = {"dev.tether.test": run_id}
    common = {"labels": labels, "network_mode": "none"}

    def op(name, fn):
        results = {}
        try:
            fn(results)
        except Exception as e:  # noqa: BLE001
            results["error"] = error(e)["error"]
        emit(name, results)

    def version(r):
        step(r, "ping", client.ping)
        step(r, "version", client.version)

    def lifecycle(r):
        c = client.containers.create(image, ["sh", "-c", "echo out; echo err >&2; exit 3"], name=prefix + "-life", **common)
        step(r, "hostConfig", lambda: client.api.inspect_container(c.id)["HostConfig"])
        step(r, "start", lambda: c.start())
        step(r, "wait", lambda: c.wait(timeout=TIMEOUT))
        step(r, "stdout", lambda: c.logs(stdout=True, stderr=False).decode())
        step(r, "stderr", lambda: c.logs(stdout=False, stderr=True).decode())
        step(r, "remove", lambda: c.remove())

    def run_rm(r):
        step(r, "output", lambda: client.containers.run(image, ["echo", "ok"], name=prefix + "-runrm", remove=True,
                                                        **common).decode())
        step(r, "gone", lambda: not client.containers.list(all=True, filters={"name": prefix + "-runrm"}))

    def exec_(r):
        c = client.containers.run(image, ["sleep", "600"], name=prefix + "-exec", detach=True, **common)
        try:
            res = c.exec_run(["sh", "-c", "echo exec-out; exit 5"])
            r["exit_code"], r["output"] = res.exit_code, res.output.decode()
        finally:
            c.remove(force=True)

    def archive(r):
        c = client.containers.create(image, ["sleep", "600"], name=prefix + "-archive", **common)
        try:
            step(r, "put", lambda: c.put_archive("/tmp", tar_of("hello.txt", b"hello archive\n")))
            def get():
                bits, stat = c.get_archive("/tmp/hello.txt")
                with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
                    member = tar.getmembers()[0]
                    return {"name": stat["name"], "size": stat["size"], "member": member.name,
                            "content": tar.extractfile(member).read().decode()}
            step(r, "get", get)
        finally:
            c.remove(force=True)

    def attach_stdin(r):
        # issue 14: create with stdin_open, attach_socket, start, a line, half-close, wait, remove
        c = client.containers.create(image, ["cat"], name=prefix + "-attach", stdin_open=True, **common)
        step(r, "hostConfig", lambda: client.api.inspect_container(c.id)["HostConfig"])
        s = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        sock = s._sock
        sock.settimeout(TIMEOUT)
        step(r, "start", lambda: c.start())
        sock.sendall(b"hello stdin\n")
        sock.shutdown(socket.SHUT_WR)
        raw = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        sock.close()
        r["stdout"], r["stderr"] = demux(raw)
        step(r, "wait", lambda: c.wait(timeout=TIMEOUT))
        step(r, "remove", lambda: c.remove())

    def events(r):
        name = prefix + "-events"
        since = int(time.time()) - 1
        c = client.containers.run(image, ["true"], name=name, detach=True, **common)
        c.wait(timeout=TIMEOUT)
        c.remove()
        until = int(time.time()) + 1
        seen = client.events(since=since, until=until, filters={"container": name}, decode=True)
        r["events"] = [[e.get("Type"), e.get("Action"), e.get("Actor", {}).get("Attributes", {})] for e in seen]

    def stats(r):
        c = client.containers.run(image, ["sleep", "600"], name=prefix + "-stats", detach=True, **common)
        try:
            s = c.stats(stream=False)
            r["keys"], r["name"] = sorted(s.keys()), s.get("name")
        finally:
            c.remove(force=True)

    def restart(r):
        # issue 14: a deploy script: a container meant to outlive it
        c = client.containers.run(image, ["sleep", "600"], name=prefix + "-restart", detach=True,
                                  restart_policy={"Name": "unless-stopped"}, **common)
        r["name"] = c.name

    op("version", version)
    op("lifecycle", lifecycle)
    op("run-rm", run_rm)
    op("exec", exec_)
    op("archive", archive)
    op("attach-stdin", attach_stdin)
    op("events", events)
    op("stats", stats)
    op("restart-policy", restart)


def session(client, name, run_id, image):
    c = client.containers.create(image, ["sh", "-c", STUBBORN], name=name, stdin_open=True,
                                 labels={"dev.tether.test": run_id}, network_mode="none")
    s = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    c.start()
    s._sock.sendall(b"hello\n")
    print("READY " + name, flush=True)
    while True:
        time.sleep(60)


def main():
    mode, arg, run_id, image = sys.argv[1:5]
    client = docker.from_env(timeout=TIMEOUT)
    (matrix if mode == "matrix" else session)(client, arg, run_id, image)


if __name__ == "__main__":
    main()
