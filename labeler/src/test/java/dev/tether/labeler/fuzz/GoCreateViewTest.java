package dev.tether.labeler.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference decoder against what engine 20.10 was seen to do with the same bodies (docker inspect). */
class GoCreateViewTest {

    @Test
    void unpairedSurrogateKeysAllBecomeOneReplacementCharacter() {
        GoCreateView view = read("{\"Labels\":{\"a\":\"1\"},\"labels\":{\"\\ud800\":\"x\",\"\\udc00\":\"y\"}}");

        assertThat(view.labelsOrEmpty()).containsOnly(entry("a", "1"), entry("\uFFFD", "y"));
    }

    @Test
    void aNullLabelValueIsStoredEmpty() {
        assertThat(read("{\"Labels\":{\"a\":null}}").labelsOrEmpty()).containsOnly(entry("a", ""));
    }

    @Test
    void promotedAutoRemoveCountsOnlyWithoutAHostConfigMember() {
        assertThat(read("{\"AutoRemove\":true}").effectiveHostConfig().autoRemove()).isTrue();
        assertThat(read("{\"AutoRemove\":true,\"HostConfig\":{}}").effectiveHostConfig().autoRemove()).isFalse();
        assertThat(read("{\"RestartPolicy\":{\"Name\":\"always\"}}").effectiveHostConfig().restartPolicy())
                .isEqualTo("always");
    }

    @Test
    void bytesAfterTheFirstValueAreIgnored() {
        assertThat(read("{\"Labels\":{\"a\":\"1\"}} x").labelsOrEmpty()).containsOnly(entry("a", "1"));
    }

    @Test
    void invalidUtf8BecomesReplacementCharacters() {
        byte[] body = {'{', '"', 'L', 'a', 'b', 'e', 'l', 's', '"', ':', '{', '"', 'k', '"', ':', '"', (byte) 0xC3, '"',
                '}', '}'};

        GoCreateView.Reading reading = GoCreateView.read(body);

        assertThat(reading).isInstanceOfSatisfying(GoCreateView.Read.class,
                read -> assertThat(read.view().labelsOrEmpty()).containsOnly(entry("k", "\uFFFD")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"Labelſ\":{}}", "{\"HostConfig\":{\"ReſtartPolicy\":null}}", "{\"OpenStdİn\":true}"})
    void keysThatFoldOnlyThroughNonAsciiLettersAreAmbiguous(String body) {
        assertThat(GoCreateView.read(body.getBytes(StandardCharsets.UTF_8))).isInstanceOf(GoCreateView.Ambiguous.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "{\"Labels\":5}", "{\"Labels\":{\"a\":1}}", "{\"HostConfig\":{\"AutoRemove\":\"x\"}}",
            "{\"a\":01}", "{\"a\":\"\t\"}", "\uFEFF{}", "{\"a\":1,}"})
    void theEngineRefuses(String body) {
        assertThat(GoCreateView.read(body.getBytes(StandardCharsets.UTF_8))).isInstanceOf(GoCreateView.Refused.class);
    }

    private static GoCreateView read(String body) {
        GoCreateView.Reading reading = GoCreateView.read(body.getBytes(StandardCharsets.UTF_8));
        assertThat(reading).isInstanceOf(GoCreateView.Read.class);
        return ((GoCreateView.Read) reading).view();
    }
}
