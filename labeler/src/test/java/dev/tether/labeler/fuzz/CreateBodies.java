package dev.tether.labeler.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Generates adversarial create bodies: the fields tether rewrites or reads, spelled in every casing and with
 * escaped letters, repeated, nulled, of wrong types; clients claiming tether's own labels; unknown members with
 * deep, odd or huge values; invalid UTF-8, a byte order mark, trailing bytes, truncation. Shared by the labeler's
 * property test and the proxy's test against the real engine.
 *
 * @param essentials members every body carries somewhere among the generated ones (the real engine needs an image)
 */
public record CreateBodies(List<String> essentials) {

    /**
     * @param clean true when no ingredient was one tether may refuse: tether must then forward the body
     */
    public record Body(byte[] bytes, boolean clean) {
        @Override
        public String toString() {
            String text = new String(bytes, StandardCharsets.UTF_8);
            return text.length() > 600 ? text.substring(0, 600) + "…(" + bytes.length + " bytes)" : text;
        }
    }

    private static final String[] LABELS = {"Labels", "labels", "LABELS", "lAbElS", "Labels"};
    private static final String[] HOST_CONFIG = {"HostConfig", "hostConfig", "HOSTCONFIG", "hostconfig", "HostConfig"};
    private static final String[] AUTO_REMOVE = {"AutoRemove", "autoRemove", "AUTOREMOVE", "autoremove"};
    private static final String[] RESTART_POLICY = {"RestartPolicy", "restartpolicy", "RESTARTPOLICY", "restartPolicy"};
    private static final String[] STDIN = {"AttachStdin", "attachStdin", "ATTACHSTDIN", "OpenStdin", "openstdin",
            "OPENSTDIN", "OpenStdin", "AttachStdin"};
    /** Spellings some Go releases fold to a field and others don't: tether refuses them. */
    private static final String[] AMBIGUOUS = {"Labelſ", "HoſtConfig", "AttachStdın", "OpenStdİn"};
    /** Keys that fold to no field tether reads, though they look like one. */
    private static final String[] UNKNOWN = {"XFuzz", "xfuzz", "Labelss", "Label", "Labеls", "Host-Config",
            "HostConfig ", "XTetherFuzz", "Domainname"};
    private static final String[] LABEL_KEYS = {"a", "A", "com.example.team", "", "é", "dev.tether.owner.pid",
            "dev.tether.owner.start", "dev.tether.owner.exe", "dev.tether.host.pid", "dev.tether.instance",
            "dev.tether.boot", "dev.tether.pidns", "dev.tether.note", "DEV.TETHER.OWNER.PID", "dev.tether.owner.pid ",
            "\uD83D\uDE00", "q\"k", "back\\slash", "tab\there", "nul\u0000", "line\u2028sep"};
    private static final String[] TIES = {"session", "owner", "host", "none"};
    private static final String[] RESTART_NAMES = {"", "no", "always", "unless-stopped", "on-failure"};

    private static final class State {
        final RandomGenerator r;
        boolean clean = true;

        State(RandomGenerator r) {
            this.r = r;
        }

        boolean chance(double p) {
            return r.nextDouble() < p;
        }

        <T> T pick(T[] options) {
            return options[r.nextInt(options.length)];
        }

        /** A rare ingredient tether may refuse. */
        boolean risk(double p) {
            boolean yes = chance(p);
            clean &= !yes;
            return yes;
        }
    }

    public Body next(RandomGenerator random) {
        State s = new State(random);
        List<String> members = new ArrayList<>();
        int count = s.r.nextInt(7);
        for (int i = 0; i < count; i++) {
            members.add(member(s));
        }
        for (String essential : essentials) {
            members.add(s.r.nextInt(members.size() + 1), essential);
        }
        String json = object(s, members);
        if (s.risk(0.02)) {
            json = s.pick(new String[] {"[]", "null", "\"x\"", "1", ""});
        }
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return new Body(corrupt(s, bytes), s.clean);
    }

    private String member(State s) {
        int kind = s.r.nextInt(10);
        return switch (kind) {
            case 0, 1, 2 -> key(s, s.pick(LABELS)) + ":" + labels(s);
            case 3, 4 -> key(s, s.pick(HOST_CONFIG)) + ":" + hostConfig(s);
            case 5 -> key(s, s.pick(STDIN)) + ":" + bool(s, "AttachStdin");
            case 6 -> {
                if (s.risk(0.15)) {
                    yield key(s, s.pick(AMBIGUOUS)) + ":" + (s.chance(0.5) ? "{}" : "true");
                }
                yield key(s, s.pick(UNKNOWN)) + ":" + anyValue(s, 0);
            }
            // Deprecated: moby 20.10 reads HostConfig's fields at the root when HostConfig is nil.
            case 7 -> s.chance(0.5) ? key(s, s.pick(AUTO_REMOVE)) + ":" + bool(s, null)
                    : key(s, s.pick(RESTART_POLICY)) + ":" + restartPolicy(s);
            default -> key(s, s.pick(UNKNOWN)) + ":" + anyValue(s, 0);
        };
    }

    private String labels(State s) {
        if (s.chance(0.2)) {
            return "null";
        }
        if (s.risk(0.05)) {
            return s.pick(new String[] {"[]", "\"a=b\"", "5", "true", "[\"a=b\"]"});
        }
        List<String> entries = new ArrayList<>();
        int count = s.r.nextInt(5);
        for (int i = 0; i < count; i++) {
            String key = s.pick(LABEL_KEYS);
            if (s.risk(0.05)) {
                key = key + "\\ud800"; // unpaired: Go reads U+FFFD, Jackson refuses it in a key
            }
            String value;
            if (s.chance(0.2)) {
                key = "dev.tether.tie";
                value = s.risk(0.2) ? string(s, "forever") : string(s, s.pick(TIES));
            } else if (s.risk(0.04)) {
                value = s.pick(new String[] {"null", "1", "true", "{}", "[]"});
            } else {
                value = labelValue(s);
            }
            entries.add(key(s, key) + ":" + value);
        }
        return object(s, entries);
    }

    private String hostConfig(State s) {
        if (s.chance(0.2)) {
            return "null";
        }
        if (s.risk(0.05)) {
            return s.pick(new String[] {"[]", "\"x\"", "5", "false"});
        }
        List<String> members = new ArrayList<>();
        int count = s.r.nextInt(5);
        for (int i = 0; i < count; i++) {
            members.add(switch (s.r.nextInt(5)) {
                case 0, 1 -> key(s, s.pick(AUTO_REMOVE)) + ":" + bool(s, "AutoRemove");
                case 2 -> key(s, s.pick(RESTART_POLICY)) + ":" + restartPolicy(s);
                case 3 -> key(s, s.risk(0.05) ? "ReſtartPolicy" : "NetworkMode") + ":\"none\"";
                default -> key(s, s.pick(UNKNOWN)) + ":" + anyValue(s, 0);
            });
        }
        return object(s, members);
    }

    private String restartPolicy(State s) {
        if (s.chance(0.15)) {
            return "null";
        }
        if (s.risk(0.03)) {
            return "\"always\"";
        }
        List<String> members = new ArrayList<>();
        if (s.chance(0.8)) {
            String name = s.chance(0.15) ? "null" : s.risk(0.03) ? "1" : string(s, s.pick(RESTART_NAMES));
            members.add(key(s, s.pick(new String[] {"Name", "name", "NAME"})) + ":" + name);
        }
        if (s.chance(0.3)) {
            members.add("\"MaximumRetryCount\":0");
        }
        return object(s, members);
    }

    /** {@code field} names a bool tether reads (a wrong type is refused); null for one it does not. */
    private String bool(State s, String field) {
        if (field != null && s.risk(0.04)) {
            return s.pick(new String[] {"\"yes\"", "1", "{}", "[]"});
        }
        return s.pick(new String[] {"true", "true", "false", "null"});
    }

    private String labelValue(State s) {
        if (s.chance(0.03)) {
            return string(s, "x".repeat(20_000 + s.r.nextInt(10_000)));
        }
        return string(s, s.pick(new String[] {"", "1", "kept", "a\"b", "tab\there", "é", "\u0001", "\uD83D\uDE00"}));
    }

    private String anyValue(State s, int depth) {
        int kind = s.r.nextInt(depth > 3 ? 6 : 9);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> s.chance(0.5) ? "true" : "false";
            case 2 -> s.pick(new String[] {"0", "-0.0", "9223372036854775807", "18446744073709551616", "1e400",
                    "1.10", "-1E-7", "123456789012345678901234567890"});
            case 3, 4 -> labelValue(s);
            case 5 -> s.chance(0.02) ? deep(s) : "{}";
            case 6 -> {
                List<String> items = new ArrayList<>();
                for (int i = s.r.nextInt(4); i > 0; i--) {
                    items.add(anyValue(s, depth + 1));
                }
                yield "[" + String.join(",", items) + "]";
            }
            default -> {
                List<String> members = new ArrayList<>();
                for (int i = s.r.nextInt(4); i > 0; i--) {
                    String key = s.chance(0.3) ? s.pick(LABELS) : s.chance(0.3) ? s.pick(AUTO_REMOVE) : "k" + i;
                    members.add(key(s, key) + ":" + anyValue(s, depth + 1));
                }
                yield object(s, members);
            }
        };
    }

    /** Nesting within Go's limit (10000), sometimes past Jackson's (1000), which tether refuses. */
    private String deep(State s) {
        int depth = s.risk(0.3) ? 1500 : 200;
        return "[".repeat(depth) + "{\"Labels\":null}" + "]".repeat(depth);
    }

    /** The key as a JSON string, some letters written as backslash-u escapes ("L\u0061bels"). */
    private static String key(State s, String key) {
        boolean escape = s.chance(0.15);
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (key.startsWith("\\u", i)) {
                out.append(key, i, i + 6);
                i += 5;
            } else if (escape && Character.isLetter(c) && s.chance(0.3)) {
                String hex = HexFormat.of().toHexDigits(c);
                out.append("\\u").append(s.chance(0.5) ? hex : hex.toUpperCase());
            } else {
                appendEscaped(out, c);
            }
        }
        return out.append('"').toString();
    }

    private static String string(State s, String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            appendEscaped(out, text.charAt(i));
        }
        return out.append('"').toString();
    }

    private static void appendEscaped(StringBuilder out, char c) {
        if (c == '"' || c == '\\') {
            out.append('\\').append(c);
        } else if (c < 0x20) {
            out.append("\\u").append(HexFormat.of().toHexDigits(c));
        } else {
            out.append(c);
        }
    }

    private static String object(State s, List<String> members) {
        StringBuilder out = new StringBuilder("{").append(space(s));
        for (int i = 0; i < members.size(); i++) {
            if (i > 0) {
                out.append(space(s)).append(',').append(space(s));
            }
            out.append(members.get(i));
        }
        return out.append(space(s)).append('}').toString();
    }

    private static String space(State s) {
        return s.chance(0.9) ? "" : s.pick(new String[] {" ", "\n", "\t", " \r\n "});
    }

    /** Byte-level damage: each makes a body tether may refuse. */
    private static byte[] corrupt(State s, byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 8);
        if (s.risk(0.01)) {
            out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        }
        int quote = indexOf(bytes, (byte) '"', s.r.nextInt(Math.max(1, bytes.length)));
        if (quote >= 0 && s.risk(0.03)) {
            byte[] bad = s.pick(new byte[][] {{(byte) 0xFF}, {(byte) 0xC3}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                    {(byte) 0xC0, (byte) 0xAF}, {0}});
            out.write(bytes, 0, quote + 1);
            out.writeBytes(bad);
            out.write(bytes, quote + 1, bytes.length - quote - 1);
        } else if (s.risk(0.02)) {
            out.write(bytes, 0, s.r.nextInt(Math.max(1, bytes.length)));
        } else {
            out.writeBytes(bytes);
        }
        if (s.risk(0.02)) {
            out.writeBytes(s.pick(new String[] {" x", "{}", "}", ",", "\u0000"}).getBytes(StandardCharsets.UTF_8));
        } else if (s.chance(0.05)) {
            out.writeBytes(" \r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
