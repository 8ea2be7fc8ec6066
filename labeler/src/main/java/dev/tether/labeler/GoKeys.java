package dev.tether.labeler;

import java.util.Optional;

/**
 * Which struct field Go's encoding/json decodes an object key into. Go matches keys case-insensitively, and four
 * non-ASCII letters stand for ASCII ones, though not in every release: U+017F (long s) for s and U+212A (Kelvin
 * sign) for k in field names with an s or k (engine 20.10, Go 1.19, reads "Labelſ" as Labels), U+0130 and U+0131
 * (dotted and dotless I) for i only since Go 1.21. tether refuses all four rather than track which engine does what.
 */
final class GoKeys {

    private GoKeys() {}

    /**
     * The field among {@code fields} that {@code key} decodes into, if any.
     *
     * @throws Refusal if the key reaches a field only through non-ASCII folding: engines disagree on such a key.
     */
    static Optional<String> fieldFor(String key, String... fields) {
        for (String field : fields) {
            // For an ASCII field name, String.equalsIgnoreCase accepts exactly the ASCII case variants plus the
            // four letters above: the same set newer Go accepts.
            if (key.equalsIgnoreCase(field)) {
                if (!isAscii(key)) {
                    throw new Refusal("ambiguous key '" + key + "': engines differ on it; spell it '" + field + "'");
                }
                return Optional.of(field);
            }
        }
        return Optional.empty();
    }

    private static boolean isAscii(String key) {
        return key.chars().allMatch(c -> c < 0x80);
    }
}
