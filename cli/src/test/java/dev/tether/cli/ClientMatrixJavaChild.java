package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Statistics;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * docker-java (httpclient5 transport) and Testcontainers-java as {@link ClientMatrixIT} drives them, each in a JVM
 * of its own so that it is a client process like any other: tether sees its pid, and it can end or be killed.
 *
 * <p>Arguments: {@code docker-java|testcontainers matrix PREFIX RUN_ID IMAGE} prints {@code OP <name> <json>} per
 * operation; {@code docker-java session NAME RUN_ID IMAGE} starts a stdin session and prints {@code READY <name>}.
 * The engine is DOCKER_HOST, read as each library reads it. At the end the JVM halts: Testcontainers' shutdown
 * clean-up must not remove the container a deploy script leaves behind on purpose.
 */
public final class ClientMatrixJavaChild {

    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final String STUBBORN = "trap \"\" TERM; while :; do sleep 1; done";
    private static final long TIMEOUT_S = 20;

    private ClientMatrixJavaChild() {}

    interface Op {
        void run(ObjectNode result) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        String client = args[0];
        String mode = args[1];
        String arg = args[2];
        String runId = args[3];
        String image = args[4];
        if (client.equals("testcontainers")) {
            testcontainers(arg, runId, image);
        } else {
            DockerClient docker = dockerJava();
            if (mode.equals("session")) {
                session(docker, arg, runId, image);
                return;
            }
            dockerJava(docker, arg, runId, image);
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    private static DockerClient dockerJava() {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .responseTimeout(Duration.ofSeconds(TIMEOUT_S)).connectionTimeout(Duration.ofSeconds(TIMEOUT_S)).build();
        return DockerClientImpl.getInstance(config, http);
    }

    private static void op(String name, Op op) {
        ObjectNode result = JSON.createObjectNode();
        try {
            op.run(result);
        } catch (Exception | AssertionError e) {
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        System.out.println("OP " + name + " " + result);
        System.out.flush();
    }

    /** One step of an operation: its value, or the error it raised, under {@code key}. */
    private static void step(ObjectNode r, String key, java.util.concurrent.Callable<Object> step) {
        try {
            r.set(key, JSON.valueToTree(step.call()));
        } catch (Exception e) {
            r.putObject(key).put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static final class Collected extends ResultCallback.Adapter<Frame> {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();

        @Override
        public synchronized void onNext(Frame frame) {
            (frame.getStreamType() == StreamType.STDERR ? err : out).writeBytes(frame.getPayload());
        }

        synchronized ObjectNode text() {
            ObjectNode n = JSON.createObjectNode();
            n.put("stdout", out.toString(StandardCharsets.UTF_8));
            n.put("stderr", err.toString(StandardCharsets.UTF_8));
            return n;
        }

        Collected done() throws InterruptedException {
            if (!awaitCompletion(TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new AssertionError("stream did not complete within " + TIMEOUT_S + " s");
            }
            return this;
        }
    }

    private static String create(DockerClient docker, String name, String image, String runId, HostConfig hostConfig,
            String... cmd) {
        return docker.createContainerCmd(image).withName(name).withCmd(cmd).withLabels(Map.of("dev.tether.test", runId))
                .withHostConfig(hostConfig.withNetworkMode("none")).exec().getId();
    }

    /** One regular file in a ustar archive. */
    static byte[] tarOf(String name, byte[] content) {
        byte[] header = new byte[512];
        put(header, 0, name);
        put(header, 100, "0000644\0");
        put(header, 108, "0000000\0");
        put(header, 116, "0000000\0");
        put(header, 124, String.format("%011o\0", content.length));
        put(header, 136, "00000000000\0");
        put(header, 148, "        ");
        put(header, 156, "0");
        put(header, 257, "ustar\0" + "00");
        int sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, String.format("%06o\0 ", sum));
        var out = new ByteArrayOutputStream();
        out.writeBytes(header);
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512 + 1024]);
        return out.toByteArray();
    }

    private static void put(byte[] into, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, into, at, b.length);
    }

    static ObjectNode untarFirst(InputStream tar) throws java.io.IOException {
        byte[] all = tar.readAllBytes();
        String name = new String(all, 0, 100, StandardCharsets.US_ASCII).replaceAll("\0.*", "");
        int size = Integer.parseInt(new String(all, 124, 11, StandardCharsets.US_ASCII).trim(), 8);
        ObjectNode n = JSON.createObjectNode();
        n.put("member", name);
        n.put("content", new String(all, 512, size, StandardCharsets.UTF_8));
        return n;
    }

    private static void dockerJava(DockerClient docker, String prefix, String runId, String image) {
        op("version", r -> {
            step(r, "ping", () -> {
                docker.pingCmd().exec();
                return "OK";
            });
            step(r, "version", () -> docker.versionCmd().exec());
        });
        op("lifecycle", r -> {
            String id = create(docker, prefix + "-life", image, runId, HostConfig.newHostConfig(), "sh", "-c",
                    "echo out; echo err >&2; exit 3");
            step(r, "hostConfig", () -> docker.inspectContainerCmd(id).exec().getHostConfig());
            step(r, "start", () -> {
                docker.startContainerCmd(id).exec();
                return "ok";
            });
            step(r, "wait", () -> docker.waitContainerCmd(id).start().awaitStatusCode(TIMEOUT_S, TimeUnit.SECONDS));
            step(r, "logs", () -> docker.logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new Collected()).done().text());
            step(r, "remove", () -> {
                docker.removeContainerCmd(id).exec();
                return "ok";
            });
        });
        op("exec", r -> {
            String id = create(docker, prefix + "-exec", image, runId, HostConfig.newHostConfig(), "sleep", "600");
            try {
                docker.startContainerCmd(id).exec();
                String exec = docker.execCreateCmd(id).withAttachStdout(true).withAttachStderr(true)
                        .withCmd("sh", "-c", "echo exec-out; exit 5").exec().getId();
                r.set("output", docker.execStartCmd(exec).exec(new Collected()).done().text());
                r.put("exitCode", docker.inspectExecCmd(exec).exec().getExitCodeLong());
            } finally {
                docker.removeContainerCmd(id).withForce(true).exec();
            }
        });
        op("archive", r -> {
            String id = create(docker, prefix + "-archive", image, runId, HostConfig.newHostConfig(), "sleep", "600");
            try {
                step(r, "put", () -> {
                    docker.copyArchiveToContainerCmd(id).withRemotePath("/tmp")
                            .withTarInputStream(new ByteArrayInputStream(tarOf("hello.txt", "hello archive\n".getBytes(StandardCharsets.UTF_8))))
                            .exec();
                    return "ok";
                });
                step(r, "get", () -> {
                    try (InputStream in = docker.copyArchiveFromContainerCmd(id, "/tmp/hello.txt").exec()) {
                        return untarFirst(in);
                    }
                });
            } finally {
                docker.removeContainerCmd(id).withForce(true).exec();
            }
        });
        op("attach-stdin", r -> {
            // head, not cat: docker-java on httpclient5 never half-closes the attach after its stdin ends
            String id = docker.createContainerCmd(image).withName(prefix + "-attach").withCmd("head", "-n", "1")
                    .withLabels(Map.of("dev.tether.test", runId)).withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                    .withStdinOpen(true).withStdInOnce(true).withAttachStdin(true).withAttachStdout(true).withAttachStderr(true)
                    .exec().getId();
            step(r, "hostConfig", () -> docker.inspectContainerCmd(id).exec().getHostConfig());
            Collected attached = docker.attachContainerCmd(id).withStdIn(new ByteArrayInputStream("hello stdin\n".getBytes(StandardCharsets.UTF_8)))
                    .withStdOut(true).withStdErr(true).withFollowStream(true).exec(new Collected());
            attached.awaitStarted(TIMEOUT_S, TimeUnit.SECONDS);
            step(r, "start", () -> {
                docker.startContainerCmd(id).exec();
                return "ok";
            });
            r.set("output", attached.done().text());
            step(r, "wait", () -> docker.waitContainerCmd(id).start().awaitStatusCode(TIMEOUT_S, TimeUnit.SECONDS));
            step(r, "remove", () -> {
                docker.removeContainerCmd(id).exec();
                return "ok";
            });
        });
        op("events", r -> {
            String name = prefix + "-events";
            long since = System.currentTimeMillis() / 1000 - 1;
            String id = create(docker, name, image, runId, HostConfig.newHostConfig(), "true");
            docker.startContainerCmd(id).exec();
            docker.waitContainerCmd(id).start().awaitStatusCode(TIMEOUT_S, TimeUnit.SECONDS);
            docker.removeContainerCmd(id).exec();
            long until = System.currentTimeMillis() / 1000 + 1;
            List<Event> events = new ArrayList<>();
            var cb = docker.eventsCmd().withSince(Long.toString(since)).withUntil(Long.toString(until))
                    .withContainerFilter(name).exec(new ResultCallback.Adapter<Event>() {
                        @Override
                        public synchronized void onNext(Event e) {
                            events.add(e);
                        }
                    });
            if (!cb.awaitCompletion(TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new AssertionError("events did not end at until");
            }
            var list = r.putArray("events");
            synchronized (cb) {
                for (Event e : events) {
                    list.addArray().add(e.getType().getValue()).add(e.getAction())
                            .add(JSON.valueToTree(e.getActor().getAttributes()));
                }
            }
        });
        op("stats", r -> {
            String id = create(docker, prefix + "-stats", image, runId, HostConfig.newHostConfig(), "sleep", "600");
            try {
                docker.startContainerCmd(id).exec();
                Statistics[] got = new Statistics[1];
                var cb = docker.statsCmd(id).withNoStream(true).exec(new ResultCallback.Adapter<Statistics>() {
                    @Override
                    public synchronized void onNext(Statistics s) {
                        got[0] = s;
                    }
                });
                if (!cb.awaitCompletion(TIMEOUT_S, TimeUnit.SECONDS)) {
                    throw new AssertionError("stats did not end");
                }
                synchronized (cb) {
                    JsonNode tree = JSON.valueToTree(got[0]);
                    var keys = new TreeSet<String>();
                    tree.properties().forEach(e -> {
                        if (!e.getValue().isNull()) {
                            keys.add(e.getKey());
                        }
                    });
                    keys.forEach(r.putArray("keys")::add);
                }
            } finally {
                docker.removeContainerCmd(id).withForce(true).exec();
            }
        });
        op("restart-policy", r -> {
            String name = prefix + "-restart";
            String id = create(docker, name, image, runId, HostConfig.newHostConfig().withRestartPolicy(RestartPolicy.unlessStoppedRestart()),
                    "sleep", "600");
            docker.startContainerCmd(id).exec();
            r.put("name", name);
        });
    }

    private static void session(DockerClient docker, String name, String runId, String image) throws Exception {
        String id = docker.createContainerCmd(image).withName(name).withCmd("sh", "-c", STUBBORN)
                .withLabels(Map.of("dev.tether.test", runId)).withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                .withStdinOpen(true).withStdInOnce(true).withAttachStdin(true).withAttachStdout(true).withAttachStderr(true)
                .exec().getId();
        var stdin = new PipedOutputStream();
        var attached = docker.attachContainerCmd(id).withStdIn(new PipedInputStream(stdin)).withStdOut(true).withStdErr(true)
                .withFollowStream(true).exec(new Collected());
        attached.awaitStarted(TIMEOUT_S, TimeUnit.SECONDS);
        docker.startContainerCmd(id).exec();
        stdin.write("hello\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        System.out.println("READY " + name);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void testcontainers(String prefix, String runId, String image) {
        DockerImageName img = DockerImageName.parse(image);
        op("run-rm", r -> {
            try (GenericContainer<?> c = new GenericContainer<>(img)) {
                c.withCommand("sh", "-c", "echo ok").withLabel("dev.tether.test", runId).withNetworkMode("none")
                        .withCreateContainerCmdModifier(cmd -> cmd.withName(prefix + "-runrm"))
                        .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(TIMEOUT_S)));
                c.start();
                r.put("logs", c.getLogs());
            }
        });
        try (GenericContainer<?> c = new GenericContainer<>(img)) {
            c.withCommand("sh", "-c", "echo started; exec sleep 600").withLabel("dev.tether.test", runId).withNetworkMode("none")
                    .withCreateContainerCmdModifier(cmd -> cmd.withName(prefix + "-tc"))
                    .waitingFor(Wait.forLogMessage(".*started.*\\n", 1)).withStartupTimeout(Duration.ofSeconds(TIMEOUT_S));
            c.start();
            op("exec", r -> {
                Container.ExecResult exec = c.execInContainer("sh", "-c", "echo exec-out; echo exec-err >&2; exit 5");
                r.put("exitCode", exec.getExitCode()).put("stdout", exec.getStdout()).put("stderr", exec.getStderr());
            });
            op("archive", r -> {
                c.copyFileToContainer(Transferable.of("hello archive\n"), "/tmp/hello.txt");
                String content = c.copyFileFromContainer("/tmp/hello.txt", in -> new String(in.readAllBytes(), StandardCharsets.UTF_8));
                r.put("content", content);
            });
            op("logs", r -> r.put("logs", c.getLogs()));
        }
        op("restart-policy", r -> {
            // a deploy program: starts a service meant to outlive it, and ends
            @SuppressWarnings("resource")
            GenericContainer<?> c = new GenericContainer<>(img).withCommand("sleep", "600").withLabel("dev.tether.test", runId)
                    .withNetworkMode("none").withStartupTimeout(Duration.ofSeconds(TIMEOUT_S))
                    .withCreateContainerCmdModifier(cmd -> {
                        cmd.withName(prefix + "-restart");
                        cmd.getHostConfig().withRestartPolicy(RestartPolicy.unlessStoppedRestart());
                    });
            c.start();
            r.put("name", prefix + "-restart");
        });
    }
}
