package dev.tether.cli;

import dev.tether.daemon.Durations;
import java.time.Duration;

/** Reads {@code 3s}, {@code 500ms}, {@code 2m} or {@code 1h} (picocli's own Duration reader takes only ISO-8601's PT3S). */
final class DurationConverter extends Converter<Duration> {

    DurationConverter() {
        super(Durations::parse);
    }
}
