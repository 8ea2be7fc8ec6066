package dev.tether.labeler;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.tether.labeler.ObjectMembers.Disposition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a create body the way the engine does: Go's encoding/json into moby's CreateRequest, whose embedded Config
 * puts Labels, AttachStdin and OpenStdin at the root next to the HostConfig pointer. A key is decoded into the field
 * it folds to, every time it occurs: objects into a pointer or map merge, a null empties them, a null into a plain
 * struct or scalar changes nothing, and otherwise the last value wins. Anything tether cannot read exactly that way
 * is refused, never forwarded as sent. The fields --mcp-defaults rewrites are read only when it is on, so without it
 * they reach the engine exactly as sent.
 */
final class CreateBodyReader {

    private static final String LABELS = "Labels";
    private static final String ATTACH_STDIN = "AttachStdin";
    private static final String OPEN_STDIN = "OpenStdin";
    private static final String HOST_CONFIG = "HostConfig";
    private static final String AUTO_REMOVE = "AutoRemove";
    private static final String RESTART_POLICY = "RestartPolicy";
    private static final String NAME = "Name";
    private static final String INIT = "Init";
    private static final String SECURITY_OPT = "SecurityOpt";
    private static final String MEMORY = "Memory";
    private static final String NANO_CPUS = "NanoCpus";
    private static final String MEMORY_SWAP = "MemorySwap";
    private static final String MEMORY_RESERVATION = "MemoryReservation";
    private static final String CPU_QUOTA = "CpuQuota";
    private static final String CPU_PERIOD = "CpuPeriod";

    private final JsonParser parser;
    private final byte[] body;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private boolean attachStdin;
    private boolean openStdin;
    /** Null while the engine's HostConfig pointer would be nil. */
    private List<Span> hostConfigMembers;
    private Boolean autoRemove;
    private String restartPolicy = "";
    private final boolean readsConfinement;
    /** Null while the engine's pointer, slice or int64 is nil, nil or untouched. */
    private Boolean init;
    private List<String> securityOpt;
    private Long memory;
    private Long nanoCpus;
    private long memorySwap;
    private long memoryReservation;
    private long cpuQuota;
    private long cpuPeriod;

    private CreateBodyReader(JsonParser parser, byte[] body, boolean readsConfinement) {
        this.parser = parser;
        this.body = body;
        this.readsConfinement = readsConfinement;
    }

    /**
     * @param readsConfinement read the HostConfig fields --mcp-defaults rewrites ({@link CreateBody.Confinement})
     * @throws Refusal if the engine would refuse the body or could read it differently from tether
     */
    static CreateBody read(JsonFactory json, byte[] body, boolean readsConfinement) {
        requireUtf8Json(body);
        try (JsonParser parser = json.createParser(body)) {
            return new CreateBodyReader(parser, body, readsConfinement).readRoot();
        } catch (StreamConstraintsException e) {
            throw new Refusal("the create body exceeds a JSON parser limit (" + e.getOriginalMessage()
                    + "); send a smaller, flatter JSON object");
        } catch (JsonProcessingException e) {
            throw new Refusal("the create body is not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr()
                    + "); send a JSON object");
        } catch (IOException e) {
            throw new UncheckedIOException("reading from memory failed", e);
        }
    }

    /**
     * Go refuses a byte order mark and decodes invalid UTF-8 as U+FFFD, while Jackson skips the mark and guesses
     * UTF-16 or UTF-32 from NUL bytes: only strict UTF-8 without either is read the same by both.
     */
    private static void requireUtf8Json(byte[] body) {
        if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb && (body[2] & 0xff) == 0xbf) {
            throw new Refusal("the create body starts with a byte order mark; send UTF-8 JSON without one");
        }
        for (int i = 0; i < body.length; i++) {
            if (body[i] == 0) {
                throw new Refusal("the create body has a NUL byte at offset " + i + "; send UTF-8 JSON");
            }
        }
        ByteBuffer in = ByteBuffer.wrap(body);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, CharBuffer.allocate(body.length), true);
        if (result.isError()) {
            throw new Refusal("the create body is not valid UTF-8 (at offset " + in.position() + "); send UTF-8 JSON");
        }
    }

    private CreateBody readRoot() throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            throw new Refusal("the create body is empty; send a JSON object");
        }
        if (first != JsonToken.START_OBJECT) {
            throw new Refusal("the create body is " + describe(first) + ", not a JSON object; send a JSON object");
        }
        List<Span> members = ObjectMembers.walk(parser, body, this::readRootMember);
        requireNothingAfter(ObjectMembers.tokenStart(parser, body, '}') + 1);
        Optional<CreateBody.HostConfig> hostConfig = Optional.ofNullable(hostConfigMembers)
                .map(kept -> new CreateBody.HostConfig(List.copyOf(kept), Optional.ofNullable(autoRemove),
                        restartPolicy, confinement()));
        return new CreateBody(body, List.copyOf(members), Collections.unmodifiableMap(labels), attachStdin, openStdin,
                hostConfig);
    }

    private CreateBody.Confinement confinement() {
        return new CreateBody.Confinement(Optional.ofNullable(init), Optional.ofNullable(securityOpt).map(List::copyOf),
                memory == null ? OptionalLong.empty() : OptionalLong.of(memory),
                nanoCpus == null ? OptionalLong.empty() : OptionalLong.of(nanoCpus),
                memorySwap != 0 || memoryReservation != 0, cpuQuota != 0 || cpuPeriod != 0, false);
    }

    /** The engine's own check is laxer and varies by version; one object and whitespace is safe on all. */
    private void requireNothingAfter(int end) {
        for (int i = end; i < body.length; i++) {
            if (!ObjectMembers.isJsonWhitespace(body[i])) {
                throw new Refusal("the create body continues after its JSON object (at offset " + i
                        + "); send exactly one JSON object");
            }
        }
    }

    private Disposition readRootMember(String key) throws IOException {
        String field = GoKeys.fieldFor(key, LABELS, ATTACH_STDIN, OPEN_STDIN, HOST_CONFIG).orElse("");
        switch (field) {
            case LABELS -> readLabels();
            case ATTACH_STDIN -> attachStdin = readBool(ATTACH_STDIN, attachStdin);
            case OPEN_STDIN -> openStdin = readBool(OPEN_STDIN, openStdin);
            case HOST_CONFIG -> readHostConfig();
            default -> parser.skipChildren();
        }
        // The stdin flags are only read; as sent, the engine reads them as tether did.
        return field.equals(LABELS) || field.equals(HOST_CONFIG) ? Disposition.REWRITE : Disposition.KEEP_AS_SENT;
    }

    private void readLabels() throws IOException {
        switch (parser.currentToken()) {
            case VALUE_NULL -> labels.clear();
            case START_OBJECT -> {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (value != JsonToken.VALUE_STRING) {
                        throw new Refusal("label '" + key + "' must have a string value, not " + describe(value)
                                + "; send a string (\"\" for none)");
                    }
                    labels.put(key, parser.getText());
                }
            }
            default -> throw wrongType(LABELS, "an object of strings or null");
        }
    }

    /** Go leaves a bool as it was on null; {@code current} is null while no occurrence has set it. */
    private Boolean readBool(String field, Boolean current) {
        return switch (parser.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> current;
            default -> throw wrongType(field, "true, false or null");
        };
    }

    private void readHostConfig() throws IOException {
        switch (parser.currentToken()) {
            case VALUE_NULL -> {
                hostConfigMembers = null;
                autoRemove = null;
                restartPolicy = "";
                init = null;
                securityOpt = null;
                memory = null;
                nanoCpus = null;
                memorySwap = memoryReservation = cpuQuota = cpuPeriod = 0;
            }
            case START_OBJECT -> {
                if (hostConfigMembers == null) {
                    hostConfigMembers = new ArrayList<>();
                }
                hostConfigMembers.addAll(ObjectMembers.walk(parser, body, this::readHostConfigMember));
            }
            default -> throw wrongType(HOST_CONFIG, "an object or null");
        }
    }

    private Disposition readHostConfigMember(String key) throws IOException {
        String field = readsConfinement
                ? GoKeys.fieldFor(key, AUTO_REMOVE, RESTART_POLICY, INIT, SECURITY_OPT, MEMORY, NANO_CPUS, MEMORY_SWAP,
                        MEMORY_RESERVATION, CPU_QUOTA, CPU_PERIOD).orElse("")
                : GoKeys.fieldFor(key, AUTO_REMOVE, RESTART_POLICY).orElse("");
        switch (field) {
            case AUTO_REMOVE -> autoRemove = readBool(HOST_CONFIG + "." + AUTO_REMOVE, autoRemove);
            case RESTART_POLICY -> readRestartPolicy();
            case INIT -> init = readBoolPointer(HOST_CONFIG + "." + INIT);
            case SECURITY_OPT -> securityOpt = readStrings(HOST_CONFIG + "." + SECURITY_OPT);
            case MEMORY -> memory = readInt64(MEMORY, memory);
            case NANO_CPUS -> nanoCpus = readInt64(NANO_CPUS, nanoCpus);
            case MEMORY_SWAP -> memorySwap = readInt64(MEMORY_SWAP, memorySwap);
            case MEMORY_RESERVATION -> memoryReservation = readInt64(MEMORY_RESERVATION, memoryReservation);
            case CPU_QUOTA -> cpuQuota = readInt64(CPU_QUOTA, cpuQuota);
            case CPU_PERIOD -> cpuPeriod = readInt64(CPU_PERIOD, cpuPeriod);
            default -> parser.skipChildren();
        }
        // A field tether changes is written once, canonically; the rest, as sent, the engine reads as tether did.
        return switch (field) {
            case AUTO_REMOVE -> Disposition.REWRITE;
            case INIT, SECURITY_OPT, MEMORY, NANO_CPUS -> Disposition.KEEP_UNLESS_REWRITTEN;
            default -> Disposition.KEEP_AS_SENT;
        };
    }

    /** A *bool: a null sets it back to nil. */
    private Boolean readBoolPointer(String field) {
        return parser.currentToken() == JsonToken.VALUE_NULL ? null : readBool(field, null);
    }

    /** A slice: an array replaces it, null empties it. */
    private List<String> readStrings(String field) throws IOException {
        switch (parser.currentToken()) {
            case VALUE_NULL -> {
                return null;
            }
            case START_ARRAY -> {
                List<String> values = new ArrayList<>();
                JsonToken element;
                while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
                    // Go would decode a null element as "" or keep an earlier occurrence's entry: refused, not guessed.
                    if (element != JsonToken.VALUE_STRING) {
                        throw new Refusal(field + " entries must be strings, not " + describe(element)
                                + "; send an array of strings");
                    }
                    values.add(parser.getText());
                }
                return values;
            }
            default -> throw wrongType(field, "an array of strings or null");
        }
    }

    /** An int64: Go takes only an integer literal in range, and a null leaves it as it was. */
    private Long readInt64(String name, Long current) throws IOException {
        String field = HOST_CONFIG + "." + name;
        return switch (parser.currentToken()) {
            case VALUE_NULL -> current;
            case VALUE_NUMBER_INT -> {
                if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw new Refusal(field + " must be a 64-bit integer, not " + parser.getText()
                            + "; the engine refuses it too");
                }
                yield parser.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> throw new Refusal(field + " must be an integer, not " + parser.getText()
                    + "; the engine refuses it too");
            default -> throw wrongType(field, "an integer or null");
        };
    }

    private long readInt64(String name, long current) throws IOException {
        return readInt64(name, Long.valueOf(current));
    }

    /** RestartPolicy is a struct, not a pointer: a null leaves it as it was, objects merge into it. */
    private void readRestartPolicy() throws IOException {
        switch (parser.currentToken()) {
            case VALUE_NULL -> {}
            case START_OBJECT -> ObjectMembers.walk(parser, body, this::readRestartPolicyMember);
            default -> throw wrongType(HOST_CONFIG + "." + RESTART_POLICY, "an object or null");
        }
    }

    private Disposition readRestartPolicyMember(String key) throws IOException {
        if (GoKeys.fieldFor(key, NAME).isEmpty()) {
            parser.skipChildren();
        } else {
            restartPolicy = switch (parser.currentToken()) {
                case VALUE_STRING -> parser.getText();
                case VALUE_NULL -> restartPolicy;
                default -> throw wrongType(HOST_CONFIG + "." + RESTART_POLICY + "." + NAME, "a string or null");
            };
        }
        return Disposition.KEEP_AS_SENT;
    }

    private Refusal wrongType(String field, String expected) {
        return new Refusal(field + " must be " + expected + ", not " + describe(parser.currentToken())
                + "; the engine refuses it too");
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.asString();
        };
    }
}
