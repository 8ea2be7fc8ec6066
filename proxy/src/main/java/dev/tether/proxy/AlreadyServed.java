package dev.tether.proxy;

import java.io.IOException;

/**
 * Thrown when another tether already serves the socket: it holds {@code <socket>.lock}, or something answers on the
 * socket. {@code tether up} exits with a code of its own for it, which the launcher's {@code tether run} tells from
 * other failures: it then waits for that tether (or uses what answers) instead of reporting a failed start.
 */
public final class AlreadyServed extends IOException {

    AlreadyServed(String message) {
        super(message);
    }
}
