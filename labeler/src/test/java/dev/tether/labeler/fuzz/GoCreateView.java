package dev.tether.labeler.fuzz;

import dev.tether.labeler.fuzz.GoJson.Member;
import dev.tether.labeler.fuzz.GoJson.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The reference decoder: what the engine (moby 20.10, Go's encoding/json) reads from a create body for the fields
 * tether decides on, written from Go's rules and moby's types, independent of tether's code.
 *
 * <p>moby 20.10 decodes into {@code ContainerConfigWrapper{*Config; HostConfig *HostConfig "HostConfig";
 * *HostConfig}}: Labels, AttachStdin and OpenStdin sit at the root, HostConfig is a pointer, and HostConfig's fields
 * are also promoted to the root (deprecated), where the engine uses them only when the HostConfig member is nil.
 * Go matches a key to a field case-insensitively, decodes every occurrence into the same field (a map or pointer
 * merges, a null empties it, a null into a bool or struct changes nothing), and map keys are exact.
 */
public record GoCreateView(
        Optional<Map<String, String>> labels,
        boolean attachStdin,
        boolean openStdin,
        Optional<HostConfig> hostConfig,
        HostConfig promoted,
        List<Raw> otherRootMembers) {

    /** A member kept as sent: its key as decoded and its value's bytes. */
    public record Raw(String key, String value) {}

    /** The HostConfig fields tether decides on, and the other members of every occurrence since the last null. */
    public record HostConfig(boolean autoRemove, String restartPolicy, List<Raw> otherMembers) {}

    /** What the engine does with a body. */
    public sealed interface Reading {}

    /** The engine refuses the body (a syntax or type error). */
    public record Refused(String why) implements Reading {}

    /** Engines built with different Go releases read a key differently (non-ASCII case folding). */
    public record Ambiguous(String key) implements Reading {}

    public record Read(GoCreateView view) implements Reading {}

    /** The HostConfig the engine uses: the member when present, else the promoted fields. */
    public HostConfig effectiveHostConfig() {
        return hostConfig.orElse(promoted);
    }

    public Map<String, String> labelsOrEmpty() {
        return labels.orElse(Map.of());
    }

    public static Reading read(byte[] body) {
        Value root;
        try {
            root = GoJson.parse(body);
        } catch (GoJson.SyntaxError e) {
            return new Refused(e.getMessage());
        }
        if (!(root instanceof GoJson.Obj object)) {
            return new Refused("not an object");
        }
        try {
            return new Read(new Decoder(body).root(object));
        } catch (TypeError e) {
            return new Refused(e.getMessage());
        } catch (AmbiguousKey e) {
            return new Ambiguous(e.getMessage());
        }
    }

    private static final class TypeError extends RuntimeException {
        TypeError(String field, Value value) {
            super("cannot unmarshal " + value.getClass().getSimpleName() + " into " + field, null, false, false);
        }
    }

    private static final class AmbiguousKey extends RuntimeException {
        AmbiguousKey(String key) {
            super(key, null, false, false);
        }
    }

    private static final class Decoder {
        private final byte[] body;
        private Map<String, String> labels;
        private boolean attachStdin;
        private boolean openStdin;
        private HostConfigDecoder hostConfig;
        private final HostConfigDecoder promoted = new HostConfigDecoder();
        private final List<Raw> other = new ArrayList<>();

        Decoder(byte[] body) {
            this.body = body;
        }

        GoCreateView root(GoJson.Obj root) {
            for (Member m : root.members()) {
                String name = field(m.key(), "Labels", "AttachStdin", "OpenStdin", "HostConfig");
                if (!name.equals("Labels") && !name.equals("HostConfig")) {
                    other.add(raw(m)); // tether keeps every other root member as sent
                }
                switch (name.isEmpty() ? asciiField(m.key(), "AutoRemove", "RestartPolicy") : name) {
                    case "Labels" -> labels(m.value());
                    case "AttachStdin" -> attachStdin = bool("AttachStdin", m.value(), attachStdin);
                    case "OpenStdin" -> openStdin = bool("OpenStdin", m.value(), openStdin);
                    case "HostConfig" -> {
                        switch (m.value()) {
                            case GoJson.Null n -> hostConfig = null;
                            case GoJson.Obj o -> {
                                if (hostConfig == null) {
                                    hostConfig = new HostConfigDecoder();
                                }
                                hostConfig.members(o);
                            }
                            default -> throw new TypeError("HostConfig", m.value());
                        }
                    }
                    case "AutoRemove", "RestartPolicy" -> promoted.member(m);
                    default -> {}
                }
            }
            return new GoCreateView(Optional.ofNullable(labels).map(Map::copyOf), attachStdin, openStdin,
                    Optional.ofNullable(hostConfig).map(HostConfigDecoder::view), promoted.view(), List.copyOf(other));
        }

        private void labels(Value value) {
            switch (value) {
                case GoJson.Null n -> labels = null;
                case GoJson.Obj o -> {
                    if (labels == null) {
                        labels = new LinkedHashMap<>();
                    }
                    for (Member m : o.members()) {
                        switch (m.value()) {
                            case GoJson.Str s -> labels.put(m.key(), s.text());
                            case GoJson.Null n -> labels.put(m.key(), ""); // a fresh zero string, stored
                            default -> throw new TypeError("Labels." + m.key(), m.value());
                        }
                    }
                }
                default -> throw new TypeError("Labels", value);
            }
        }

        private Raw raw(Member m) {
            return new Raw(m.key(), new String(GoJson.bytes(body, m.value()), StandardCharsets.ISO_8859_1));
        }

        private final class HostConfigDecoder {
            boolean autoRemove;
            String restartPolicy = "";
            final List<Raw> other = new ArrayList<>();

            void members(GoJson.Obj object) {
                for (Member m : object.members()) {
                    member(m);
                }
            }

            void member(Member m) {
                switch (field(m.key(), "AutoRemove", "RestartPolicy")) {
                    case "AutoRemove" -> autoRemove = bool("HostConfig.AutoRemove", m.value(), autoRemove);
                    case "RestartPolicy" -> {
                        other.add(raw(m));
                        switch (m.value()) {
                            case GoJson.Null n -> {}
                            case GoJson.Obj o -> {
                                for (Member p : o.members()) {
                                    if (field(p.key(), "Name").equals("Name")) {
                                        switch (p.value()) {
                                            case GoJson.Str s -> restartPolicy = s.text();
                                            case GoJson.Null n -> {}
                                            default -> throw new TypeError("RestartPolicy.Name", p.value());
                                        }
                                    }
                                }
                            }
                            default -> throw new TypeError("RestartPolicy", m.value());
                        }
                    }
                    default -> other.add(raw(m));
                }
            }

            HostConfig view() {
                return new HostConfig(autoRemove, restartPolicy, List.copyOf(other));
            }
        }
    }

    private static boolean bool(String field, Value value, boolean current) {
        return switch (value) {
            case GoJson.Bool b -> b.value();
            case GoJson.Null n -> current;
            default -> throw new TypeError(field, value);
        };
    }

    /**
     * The field a key decodes into: ASCII case-insensitively. A key that reaches a field only through the non-ASCII
     * letters some Go releases fold (long s, Kelvin sign, dotted and dotless I) is ambiguous.
     */
    static String field(String key, String... fields) {
        String field = asciiField(key, fields);
        if (!field.isEmpty()) {
            return field;
        }
        String folded = asciiLower(key.replace('\u017F', 's').replace('\u212A', 'k').replace('\u0130', 'i')
                .replace('\u0131', 'i'));
        if (Arrays.stream(fields).anyMatch(f -> f.toLowerCase(Locale.ROOT).equals(folded))) {
            throw new AmbiguousKey(key);
        }
        return "";
    }

    /** Promoted fields tether never reads: how an engine folds them is the engine's own business. */
    static String asciiField(String key, String... fields) {
        for (String f : fields) {
            if (asciiLower(key).equals(f.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        return "";
    }

    private static String asciiLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return out.toString();
    }
}
