package dev.tether.proxy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a request is to tether: a create it must label, a request that may hijack the connection, or anything else. */
public enum Route {
    CREATE,
    HIJACK,
    OTHER;

    /**
     * Classifies by the path the engine's router would match: percent-decoded, dot segments resolved, without
     * the optional version prefix. It compares more loosely than the engine (any method casing, any path
     * casing, a path the engine would only redirect to), because a create that tether missed is a container
     * nobody owns, while a request wrongly taken for a create is only labelled.
     *
     * @throws HttpHead.Malformed for a target that is neither a path nor an http(s) URL, which tether will not guess
     */
    static Route of(RequestHead request) throws HttpHead.Malformed {
        String path = enginePath(request.target());
        String method = request.method().toUpperCase(Locale.ROOT);
        if (method.equals("POST") && path.equalsIgnoreCase("/containers/create")) {
            return CREATE;
        }
        if (hijacking(path.toLowerCase(Locale.ROOT))
                || request.lists("Connection", "upgrade") || !request.values("Upgrade").isEmpty()) {
            return HIJACK;
        }
        return OTHER;
    }

    /** {@code /containers/{id}/attach} or {@code /exec/{id}/start}: the engine may answer either with a raw stream. */
    private static boolean hijacking(String path) {
        return oneSegmentBetween(path, "/containers/", "/attach") || oneSegmentBetween(path, "/exec/", "/start");
    }

    /** True for {@code prefix + segment + suffix} with a segment that is not empty and has no slash. */
    private static boolean oneSegmentBetween(String path, String prefix, String suffix) {
        int from = prefix.length();
        int to = path.length() - suffix.length();
        return to > from && path.startsWith(prefix) && path.endsWith(suffix) && path.indexOf('/', from) == to;
    }

    private static final Pattern ATTACH = Pattern.compile("^/containers/([^/]+)/attach$");
    private static final Pattern STDIN = Pattern.compile("(?:^|&)stdin=(?:1|true|True)(?:&|$)");

    /**
     * The container an attach request opens stdin to, if it is one: the stream whose end ends a session.
     * WebSocket attaches ({@code /attach/ws}) are left out: no stdio MCP client uses them.
     */
    static Optional<String> stdinAttach(RequestHead request) {
        String target = request.target();
        int query = target.indexOf('?');
        if (query < 0 || !STDIN.matcher(target.substring(query + 1)).find()) {
            return Optional.empty();
        }
        Matcher attach;
        try {
            attach = ATTACH.matcher(enginePath(target));
        } catch (HttpHead.Malformed e) {
            return Optional.empty(); // Route.of refused it already
        }
        return attach.matches() ? Optional.of(attach.group(1)) : Optional.empty();
    }

    /**
     * The path as Go's url.ParseRequestURI and gorilla/mux read it, cleaned and without a version prefix. Go also
     * routes {@code foo://host/containers/create}, {@code unix:///containers/create} or
     * {@code http:/containers/create} as a create; no Docker client sends such forms, and other servers read them
     * differently, so tether takes only a path or an {@code http(s)://authority} URL.
     */
    static String enginePath(String target) throws HttpHead.Malformed {
        String t = target;
        if (!t.startsWith("/")) {
            if (!startsWithAsciiIgnoringCase(t, "http://") && !startsWithAsciiIgnoringCase(t, "https://")) {
                throw new HttpHead.Malformed("request target '" + abbreviate(t) + "' is neither a path nor an"
                        + " http:// URL, and the engine may route it to any endpoint; send a path such as"
                        + " /containers/create");
            }
            int authority = t.indexOf("//") + 2;
            // As in Go: the query goes first, then the authority ends at the first slash.
            int end = t.indexOf('?', authority);
            int slash = t.indexOf('/', authority);
            t = slash < 0 || (end >= 0 && end < slash) ? "/" : t.substring(slash);
        }
        int query = t.indexOf('?');
        if (query >= 0) {
            t = t.substring(0, query);
        }
        // Go keeps a '#' in the path, where it matches no route; cutting it only makes tether looser.
        int fragment = t.indexOf('#');
        if (fragment >= 0) {
            t = t.substring(0, fragment);
        }
        String clean = clean(percentDecode(t));
        return clean.substring(versionPrefixLength(clean));
    }

    /**
     * The length of the engine's version prefix, {@code /v[0-9.]+} (moby) or {@code /v[0-9][0-9A-Za-z.-]*}
     * (podman), matched loosely, in either casing, when a slash follows it; else 0.
     */
    private static int versionPrefixLength(String path) {
        if (path.length() < 3 || (path.charAt(1) != 'v' && path.charAt(1) != 'V')
                || !(isAsciiDigit(path.charAt(2)) || path.charAt(2) == '.')) {
            return 0;
        }
        int i = 3;
        while (i < path.length() && isVersionChar(path.charAt(i))) {
            i++;
        }
        return i < path.length() && path.charAt(i) == '/' ? i : 0;
    }

    private static boolean isVersionChar(char c) {
        return isAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** As a case-insensitive regex without UNICODE_CASE: only ASCII letters match either casing. */
    private static boolean startsWithAsciiIgnoringCase(String s, String lowerCasePrefix) {
        if (s.length() < lowerCasePrefix.length()) {
            return false;
        }
        for (int i = 0; i < lowerCasePrefix.length(); i++) {
            char c = s.charAt(i);
            char p = lowerCasePrefix.charAt(i);
            if (c != p && !(p >= 'a' && p <= 'z' && c == p - ('a' - 'A'))) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** Go's url.PathUnescape, but keeping an invalid escape as written. */
    private static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()
                    && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(s, i + 1, i + 3, 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Go's path.Clean: one slash between segments, "." and ".." resolved, rooted. */
    private static String clean(String path) {
        Deque<String> segments = new ArrayDeque<>();
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                segments.pollLast();
            } else {
                segments.addLast(segment);
            }
        }
        return "/" + String.join("/", segments);
    }
}
