package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GoKeysTest {

    @ParameterizedTest
    @ValueSource(strings = {"Labels", "labels", "LABELS", "lAbElS"})
    void asciiCaseVariantsMatch(String key) {
        assertThat(GoKeys.fieldFor(key, "HostConfig", "Labels")).contains("Labels");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Label", "Labelss", "Labels ", "La-bels", "Labеls"})
    void otherKeysMatchNothing(String key) {
        assertThat(GoKeys.fieldFor(key, "Labels")).isEmpty();
    }

    @Test
    void everyNonAsciiLetterNewerGoFoldsToAsciiIsRefused() {
        assertThat(refusal("ſ", "s")).isEqualTo("ambiguous key 'ſ': engines differ on it; spell it 's'");
        assertThat(refusal("\u212A", "k")).contains("spell it 'k'");
        assertThat(refusal("İ", "i")).contains("spell it 'i'");
        assertThat(refusal("ı", "I")).contains("spell it 'I'");
    }

    @Test
    void findsNoOtherSuchLetter() {
        // Go 1.21+ folds a non-ASCII rune r as ToUpper(ToLower(r)); Java's simple case mappings follow the same data.
        for (int c = 0x80; c <= Character.MAX_CODE_POINT; c++) {
            int folded = Character.toUpperCase(Character.toLowerCase(c));
            if (folded < 0x80 && Character.isLetter(folded)) {
                assertThat(Character.toString(c)).isIn("ſ", "\u212A", "İ", "ı");
                assertThat(refusal(Character.toString(c), Character.toString(folded))).startsWith("ambiguous key");
            }
        }
    }

    private static String refusal(String key, String field) {
        Throwable thrown = catchThrowable(() -> GoKeys.fieldFor(key, field));
        assertThat(thrown).isInstanceOf(Refusal.class);
        return thrown.getMessage();
    }
}
