package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UserDirsTest {

    private static UserDirs linux(Map<String, String> env) {
        return UserDirs.of(env, "/home/from-passwd", "Linux");
    }

    @Test
    void homeIsHomeElseThePasswordFilesOnlyWithoutAnAbsoluteHome() {
        assertThat(linux(Map.of("HOME", "/home/me")).home()).isEqualTo(Path.of("/home/me"));
        assertThat(linux(Map.of()).home()).isEqualTo(Path.of("/home/from-passwd"));
        assertThat(linux(Map.of("HOME", "relative")).home()).isEqualTo(Path.of("/home/from-passwd"));
    }

    @Test
    void withoutXdgVariablesEverythingIsUnderHome() {
        UserDirs dirs = linux(Map.of("HOME", "/home/me"));

        assertThat(dirs.runtimeDir()).isEmpty();
        assertThat(dirs.defaultSocket()).isEqualTo(Path.of("/home/me/.tether/docker.sock"));
        assertThat(dirs.stateHome()).isEqualTo(Path.of("/home/me/.local/state"));
        assertThat(dirs.defaultJournal()).isEqualTo(Path.of("/home/me/.local/state/tether/audit.jsonl"));
        assertThat(dirs.configHome()).isEqualTo(Path.of("/home/me/.config"));
    }

    @Test
    void absoluteXdgVariablesAreUsed() {
        UserDirs dirs = linux(Map.of("HOME", "/home/me", "XDG_RUNTIME_DIR", "/run/user/1000",
                "XDG_STATE_HOME", "/state", "XDG_CONFIG_HOME", "/cfg"));

        assertThat(dirs.defaultSocket()).isEqualTo(Path.of("/run/user/1000/tether/docker.sock"));
        assertThat(dirs.defaultJournal()).isEqualTo(Path.of("/state/tether/audit.jsonl"));
        assertThat(dirs.configHome()).isEqualTo(Path.of("/cfg"));
    }

    @Test
    void relativeOrBlankXdgVariablesAreIgnoredAsTheSpecSays() {
        UserDirs dirs = linux(Map.of("HOME", "/home/me", "XDG_RUNTIME_DIR", "run", "XDG_STATE_HOME", " ",
                "XDG_CONFIG_HOME", "./cfg"));

        assertThat(dirs.defaultSocket()).isEqualTo(Path.of("/home/me/.tether/docker.sock"));
        assertThat(dirs.defaultJournal()).isEqualTo(Path.of("/home/me/.local/state/tether/audit.jsonl"));
        assertThat(dirs.configHome()).isEqualTo(Path.of("/home/me/.config"));
    }

    @Test
    void theSocketTheJournalAndTheConfigurationsShareOneHome() {
        UserDirs dirs = UserDirs.of(Map.of("HOME", "/home/env"), "/home/passwd", "Linux");

        assertThat(dirs.defaultSocket()).startsWithRaw(Path.of("/home/env"));
        assertThat(dirs.defaultJournal()).startsWithRaw(Path.of("/home/env"));
        assertThat(McpHost.CLAUDE_DESKTOP.locations(dirs, Optional.empty()).getFirst().path())
                .isEqualTo(Path.of("/home/env/.config/Claude/claude_desktop_config.json"));
        assertThat(ServiceFiles.systemdUnitPath(dirs)).isEqualTo(Path.of("/home/env/.config/systemd/user/tether.service"));
    }
}
