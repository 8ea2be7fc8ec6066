package dev.tether.proxy;

import dev.tether.process.Processes;
import dev.tether.labeler.Ancestry;
import dev.tether.labeler.Caller;
import dev.tether.labeler.CreateDecision;
import dev.tether.labeler.CreateLabeler;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a client's complete {@code POST /containers/create} into the request the engine reads: the same head
 * with a fresh Content-Length, and the labelled body.
 */
final class CreateInterceptor {

    /** Create bodies are small JSON; anything bigger is refused rather than buffered. */
    static final int MAX_BODY = 1 << 20;

    private static final Logger log = LoggerFactory.getLogger(CreateInterceptor.class);

    /** A forwarded create waiting for the engine's answer: what the journal needs once it names the container. */
    record PendingCreate(String name, Peer owner, ProcessId host, CreateDecision.Forward decision) {}

    /** The header Testcontainers sends on every request: its session, which owns the container. */
    private static final String TESTCONTAINERS_SESSION = "x-tc-sid";

    private final CreateLabeler labeler;

    CreateInterceptor(CreateLabeler labeler) {
        this.labeler = labeler;
    }

    /** @return the labelled request to send, or the refusal the labeler gave */
    Decision intercept(ByteBuf rawHead, RequestHead head, byte[] body, Peer peer) {
        ProcessId owner = peer.process();
        // The host is read now, not at connect time: it is the CLI's parent when the container is made, the first of
        // its ancestors up to the launching session's leader (wrappers that do not exec sit between them).
        Ancestry ancestry = owner.isKnown() ? Processes.ancestry(owner) : Ancestry.NONE;
        Caller caller = new Caller(owner, ancestry.parent(), ancestry, peer.command(), head.value(TESTCONTAINERS_SESSION));
        return switch (labeler.decide(body, caller)) {
            case CreateDecision.Refuse refuse -> {
                log.info("refused a create from {}: {}", owner.describe(), refuse.reason());
                yield new Decision.Refuse(LocalResponse.badRequest(refuse.reason()));
            }
            case CreateDecision.Forward forward -> {
                log.info("create from {}, host {}: {}{}", owner.describe(), caller.host().describe(),
                        forward.choice(), describe(forward.mcpDefaultsSet()));
                if (!owner.isKnown()) {
                    log.warn("could not identify the process behind a create (peer pid unknown or /proc unreadable):"
                            + " labelled {}=0; the reaper cannot tie it", TetherLabels.OWNER_PID);
                }
                yield new Decision.Send(Unpooled.wrappedBuffer(withContentLength(rawHead, forward.body().length),
                        Unpooled.wrappedBuffer(forward.body())),
                        Expectation.created(new PendingCreate(nameIn(head.target()), peer, caller.host(), forward)));
            }
        };
    }

    /**
     * The head as the client sent it, minus its framing and Expect headers, plus the new length. Every other
     * byte stays as sent.
     */
    static ByteBuf withContentLength(ByteBuf rawHead, int length) {
        String head = rawHead.toString(StandardCharsets.ISO_8859_1);
        String[] lines = head.split("(?<=\n)");
        StringBuilder out = new StringBuilder(head.length() + 32);
        out.append(lines[0]);
        String eol = lines[0].endsWith("\r\n") ? "\r\n" : "\n";
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.equals("\r\n") || line.equals("\n")) {
                break;
            }
            String name = line.substring(0, Math.max(0, line.indexOf(':'))).strip();
            if (!name.equalsIgnoreCase("Content-Length") && !name.equalsIgnoreCase("Transfer-Encoding")
                    && !name.equalsIgnoreCase("Expect")) {
                out.append(line);
            }
        }
        out.append("Content-Length: ").append(length).append(eol).append(eol);
        return Unpooled.wrappedBuffer(out.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The {@code name} query parameter of a create, or "" when the engine will choose one. */
    static String nameIn(String target) {
        int query = target.indexOf('?');
        if (query < 0) {
            return "";
        }
        for (String param : target.substring(query + 1).split("&")) {
            if (param.startsWith("name=")) {
                return URLDecoder.decode(param.substring(5), StandardCharsets.UTF_8);
            }
        }
        return "";
    }

    /** The --mcp-defaults tether set, as a log line's tail. */
    static String describe(CreateDecision.McpDefaultsSet set) {
        StringBuilder s = new StringBuilder();
        if (set.init()) {
            s.append(", Init set");
        }
        if (set.noNewPrivileges()) {
            s.append(", no-new-privileges set");
        }
        set.memory().ifPresent(bytes -> s.append(", Memory ").append(bytes));
        set.nanoCpus().ifPresent(nanos -> s.append(", NanoCpus ").append(nanos));
        return s.toString();
    }
}
