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
     * The engine's version prefix is {@code /v[0-9.]+} (moby) or {@code /v[0-9][0-9A-Za-z.-]*} (podman); matched
     * loosely, in either casing.
     */
    private static final Pattern VERSION = Pattern.compile("^/[vV][0-9.][0-9A-Za-z.-]*(?=/)");
    private static final Pattern HIJACKING = Pattern.compile("^/(containers/[^/]+/attach|exec/[^/]+/start)$");
    private static final Pattern HTTP_AUTHORITY = Pattern.compile("^(?i)https?://");

    /**
     * Classifies by the path the engine's router would match: percent-decoded, dot segments resolved, without
     * the optional version prefix. It compares more loosely than the engine (any method casing, any path
     * casing, a path the engine would only redirect to), because a create that tether missed is a container
     * nobody owns, while a request wrongly taken for a create is only labelled.
     *
     * @throws HttpHead.Malformed for a target that is neither a path nor an http(s) URL, which tether will not guess
     */
    static Route of(HttpHead request) throws HttpHead.Malformed {
        String path = enginePath(request.second());
        String method = request.first().toUpperCase(Locale.ROOT);
        if (method.equals("POST") && path.equalsIgnoreCase("/containers/create")) {
            return CREATE;
        }
        if (HIJACKING.matcher(path.toLowerCase(Locale.ROOT)).matches()
                || request.lists("Connection", "upgrade") || !request.values("Upgrade").isEmpty()) {
            return HIJACK;
        }
        return OTHER;
    }

    private static final Pattern ATTACH = Pattern.compile("^/containers/([^/]+)/attach$");
    private static final Pattern STDIN = Pattern.compile("(?:^|&)stdin=(?:1|true|True)(?:&|$)");

    /**
     * The container an attach request opens stdin to, if it is one: the stream whose end ends a session.
     * WebSocket attaches ({@code /attach/ws}) are left out: no stdio MCP client uses them.
     */
    static Optional<String> stdinAttach(HttpHead request) {
        String target = request.second();
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
            if (!HTTP_AUTHORITY.matcher(t).find()) {
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
        return VERSION.matcher(clean).replaceFirst("");
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
