package dev.tether.cli;

import dev.tether.labeler.ProcessId;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * A table as tether's commands print it, {@code docker ps} style: a header, each column as wide as its widest cell
 * and two spaces apart, the last column as long as it is. Rows are held until {@link #print}, which lays them out;
 * a row added after that is printed at once in the same columns, so a followed table stays aligned.
 */
final class Table {

    private final PrintStream out;
    private final int[] widths;
    private final List<String[]> held = new ArrayList<>();
    private boolean printed;

    /** @param minWidths the least width of each column, so that rows printed later most often fit */
    Table(PrintStream out, List<String> header, int... minWidths) {
        this.out = out;
        this.widths = Arrays.copyOf(minWidths, header.size());
        held.add(header.toArray(String[]::new));
    }

    /** A process as a cell: {@code 4242 docker}, or {@code -} when not known. */
    static String process(ProcessId p) {
        if (!p.isKnown()) {
            return "-";
        }
        return p.exeName().isEmpty() ? Long.toString(p.pid()) : p.pid() + " " + p.exeName();
    }

    /** Memory as {@code docker stats} shows it: {@code 412.5MiB}. */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + "B" : String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }

    /** A CPU share as {@code docker stats} shows it ({@code 12.34%}), or {@code -} when not sampled. */
    static String percent(OptionalDouble share) {
        return share.isPresent() ? String.format(Locale.ROOT, "%.2f%%", share.getAsDouble()) : "-";
    }

    void add(String... cells) {
        if (cells.length != widths.length) {
            throw new IllegalArgumentException(cells.length + " cells in a table of " + widths.length + " columns");
        }
        if (printed) {
            printRow(cells);
        } else {
            held.add(cells);
        }
    }

    /** Lays out and prints the header and the rows so far; later rows are printed as they come. */
    void print() {
        for (String[] row : held) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        held.forEach(this::printRow);
        held.clear();
        printed = true;
    }

    private void printRow(String[] cells) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            line.append(cells[i]);
            if (i < cells.length - 1) {
                line.append(" ".repeat(Math.max(1, widths[i] + 2 - cells[i].length())));
            }
        }
        out.println(line.toString().stripTrailing());
    }
}
