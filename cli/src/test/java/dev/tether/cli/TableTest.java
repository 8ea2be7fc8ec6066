package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.ProcessId;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void columnsAreAsWideAsTheirWidestCellAndTwoSpacesApart() {
        Table table = new Table(out, List.of("ID", "NAME", "NOTE"));
        table.add("a", "longer-name", "x");
        table.add("bbbb", "n", "");

        table.print();

        assertThat(printed()).containsExactly(
                "ID    NAME         NOTE",
                "a     longer-name  x",
                "bbbb  n");
    }

    @Test
    void rowsAfterPrintKeepTheColumnsAndNeverRunTogether() {
        Table table = new Table(out, List.of("A", "B"), 3, 0);
        table.print();

        table.add("x", "1");
        table.add("much-too-wide", "2");

        assertThat(printed()).containsExactly("A    B", "x    1", "much-too-wide 2");
    }

    @Test
    void aProcessIsItsPidAndExecutableName() {
        assertThat(Table.process(new ProcessId(4242, 1, "/usr/bin/docker"))).isEqualTo("4242 docker");
        assertThat(Table.process(new ProcessId(4242, 1, ""))).isEqualTo("4242");
        assertThat(Table.process(ProcessId.UNKNOWN)).isEqualTo("-");
    }

    private List<String> printed() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
