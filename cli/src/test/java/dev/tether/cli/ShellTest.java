package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShellTest {

    @Test
    void plainWordsStayAndOthersAreSingleQuoted() {
        assertThat(Shell.quote("/usr/bin/docker")).isEqualTo("/usr/bin/docker");
        assertThat(Shell.quote("--label=a,b")).isEqualTo("--label=a,b");
        assertThat(Shell.quote("")).isEqualTo("''");
        assertThat(Shell.quote("two words")).isEqualTo("'two words'");
        assertThat(Shell.quote("$HOME")).isEqualTo("'$HOME'");
        assertThat(Shell.quote("it's")).isEqualTo("'it'\\''s'");
    }

    @Test
    void aLineReadsBackAsTheSameWords() throws Exception {
        List<String> words = List.of("printf", "%s|", "a b", "it's", "", "$x", "\"q\"");
        Process sh = new ProcessBuilder("sh", "-c", Shell.line(words)).start();
        String out = new String(sh.getInputStream().readAllBytes());
        assertThat(sh.waitFor()).isZero();
        assertThat(out).isEqualTo("a b|it's||$x|\"q\"|");
    }
}
