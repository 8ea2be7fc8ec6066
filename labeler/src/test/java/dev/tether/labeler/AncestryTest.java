package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AncestryTest {

    private static final ProcessId WRAPPER = new ProcessId(4100, 910000, "/usr/bin/dash");
    private static final ProcessId HOST = new ProcessId(4050, 905000, "/usr/bin/node");

    @Test
    void theLabelRoundTripsPidAndStartTimeNearestFirst() {
        Ancestry ancestry = new Ancestry(List.of(WRAPPER, HOST, new ProcessId(1, 1, "/sbin/init")));

        assertThat(ancestry.label()).isEqualTo("4100-910000,4050-905000,1-1");
        assertThat(Ancestry.parse(ancestry.label())).contains(new Ancestry(List.of(new ProcessId(4100, 910000, ""),
                new ProcessId(4050, 905000, ""), new ProcessId(1, 1, ""))));
        assertThat(ancestry.parent()).isEqualTo(WRAPPER);
    }

    @Test
    void anUnidentifiedParentIsAnEmptyAncestry() {
        assertThat(Ancestry.of(ProcessId.UNKNOWN)).isEqualTo(Ancestry.NONE);
        assertThat(Ancestry.NONE.label()).isEmpty();
        assertThat(Ancestry.parse("")).contains(Ancestry.NONE);
        assertThat(Ancestry.NONE.parent()).isEqualTo(ProcessId.UNKNOWN);
    }

    @Test
    void atMostSixteenAreKeptTheNearest() {
        List<ProcessId> twenty = LongStream.rangeClosed(1, 20).mapToObj(i -> new ProcessId(100 + i, i, "")).toList();

        Ancestry ancestry = new Ancestry(twenty);

        assertThat(ancestry.processes()).hasSize(Ancestry.MAX).isEqualTo(twenty.subList(0, 16));
        assertThat(ancestry.label()).startsWith("101-1,102-2,").endsWith(",116-16");
    }

    @ParameterizedTest
    @ValueSource(strings = {"4100", "4100-", "-5", "a-b", "4100-910000,", ",4100-910000", "4100-910000;1-1", "0-5",
            "4100-910000,,1-1"})
    void aLabelNotInItsShapeIsNoAncestry(String label) {
        assertThat(Ancestry.parse(label)).as(label).isEqualTo(Optional.empty());
    }

    @Test
    void aCallersAncestryBeginsWithItsHost() {
        ProcessId cli = new ProcessId(4200, 920000, "/usr/bin/docker");

        assertThat(new Caller(cli, WRAPPER).ancestry()).as("a host alone").isEqualTo(Ancestry.of(WRAPPER));
        assertThatThrownBy(() -> new Caller(cli, HOST, new Ancestry(List.of(WRAPPER, HOST)), List.of(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must begin with the host");
    }
}
