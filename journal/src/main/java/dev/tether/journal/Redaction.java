package dev.tether.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What never reaches the journal: it is read by people and tools that must not see credentials. Two rules, one for
 * each way a secret reaches a record: fields of a record named like credentials, and values on a client's command
 * line (MCP configs pass tokens as {@code docker run -e NAME=value}). Both err on the side of cutting too much.
 */
final class Redaction {

    /** Credentials a Docker request may carry, lower case: a record leaves out any field of these names. */
    private static final Set<String> SECRET_KEYS = Set.of("env", "x-registry-auth", "x-registry-config", "auth",
            "password", "identitytoken", "registrytoken");
    /** An SDK JVM's classpath can be kilobytes long; the journal needs to know which command it was, not all of it. */
    static final int MAX_ARG = 256;
    /** {@code -e}, and a cluster of short flags ending in it ({@code -ie}, {@code -ite}): NAME=value comes next. */
    private static final Pattern SHORT_ENV_FLAG = Pattern.compile("-[A-Za-z]*e");
    /** The same with the value attached: {@code -eNAME=value}, {@code -ieNAME=value}. */
    private static final Pattern SHORT_ENV_ATTACHED = Pattern.compile("-[A-Za-z]*e[^=]*=.*");
    /** Any other argument that assigns to a name like these, {@code GITHUB_TOKEN=…}, {@code --password=…}. */
    private static final Pattern SECRETISH = Pattern.compile("(?i)(token|secret|passw|key|auth|credential)[^=]*=");
    private static final String CUT = "***";

    private Redaction() {}

    /** Removes, in place and at any depth, every field named like a credential, in any case. */
    static void stripSecretKeys(JsonNode node) {
        if (node instanceof ObjectNode object) {
            List<String> secret = new ArrayList<>();
            object.properties().forEach(field -> {
                if (SECRET_KEYS.contains(field.getKey().toLowerCase(Locale.ROOT))) {
                    secret.add(field.getKey());
                }
            });
            object.remove(secret);
            object.forEach(Redaction::stripSecretKeys);
        } else if (node instanceof ArrayNode array) {
            array.forEach(Redaction::stripSecretKeys);
        }
    }

    /**
     * The command line with every environment value cut to {@code NAME=***} ({@code -e}, {@code --env},
     * {@code --env=}, {@code -ie} and other clusters, attached or not), and so is the value of any secret-ish
     * {@code NAME=value}; an argument longer than {@link #MAX_ARG} is cut there and ends in {@code …}.
     */
    static List<String> command(List<String> command) {
        List<String> kept = new ArrayList<>(command.size());
        boolean envValueNext = false;
        for (String arg : command) {
            String redacted;
            if (envValueNext) {
                redacted = withoutValue(arg);
                envValueNext = false;
            } else if (arg.equals("--env") || SHORT_ENV_FLAG.matcher(arg).matches()) {
                redacted = arg;
                envValueNext = true;
            } else if (arg.startsWith("--env=")) {
                redacted = "--env=" + withoutValue(arg.substring("--env=".length()));
            } else if (SHORT_ENV_ATTACHED.matcher(arg).matches() || SECRETISH.matcher(arg).find()) {
                redacted = withoutValue(arg);
            } else {
                redacted = arg;
            }
            kept.add(redacted.length() > MAX_ARG ? redacted.substring(0, MAX_ARG) + "…" : redacted);
        }
        return kept;
    }

    /** {@code NAME=***}; an argument without {@code =} names a variable passed on from the caller: kept. */
    private static String withoutValue(String assignment) {
        int eq = assignment.indexOf('=');
        return eq < 0 ? assignment : assignment.substring(0, eq + 1) + CUT;
    }
}
