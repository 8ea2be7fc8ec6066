package dev.tether.cli;

/**
 * A container as a user names it to {@code tether audit --container} and {@code tether why}: a name (docker prints
 * names with a leading {@code /}; either spelling matches), a full id, or an id prefix of 4 characters or more.
 */
record ContainerRef(String text) {

    static ContainerRef of(String argument) {
        return new ContainerRef(withoutSlash(argument.strip()));
    }

    /** Whether the container with this id, created with this name (or none known), is the one named. */
    boolean names(String id, String name) {
        return (text.length() >= 4 && id.startsWith(text)) || (name != null && text.equals(withoutSlash(name)));
    }

    static String withoutSlash(String name) {
        return name.startsWith("/") ? name.substring(1) : name;
    }

    /** The 12 characters docker shows of an id; {@code -} for none. */
    static String shortId(String id) {
        return id.isEmpty() ? "-" : id.substring(0, Math.min(12, id.length()));
    }
}
