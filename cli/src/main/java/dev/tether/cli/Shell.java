package dev.tether.cli;

import java.util.List;
import java.util.stream.Collectors;

/** Words as a POSIX shell reads them back: what tether prints for the user to paste or to recognise. */
final class Shell {

    private Shell() {}

    /** {@code word} as is when a shell would read it unchanged, else in single quotes. */
    static String quote(String word) {
        return !word.isEmpty() && word.matches("[A-Za-z0-9_@%+=:,./-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    /** The command line: each word quoted as it needs, separated by spaces. */
    static String line(List<String> words) {
        return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
    }
}
