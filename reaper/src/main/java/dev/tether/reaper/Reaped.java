package dev.tether.reaper;

import dev.tether.docker.EngineClient;
import dev.tether.labeler.ProcessId;
import java.time.Duration;

/**
 * One reap, as it happened: what died, what tether did, and how long each step took from the moment the death was
 * noticed.
 */
public record Reaped(TiedContainer container, Reason reason, ProcessId dead, Duration grace,
                     EngineClient.Stopped stopped, EngineClient.Removed removed,
                     long noticedNanos, long stopRequestedNanos, long goneNanos) {

    /** False when the container had stopped and gone by itself before tether acted: nothing was reaped. */
    public boolean didSomething() {
        return stopped == EngineClient.Stopped.STOPPED || removed == EngineClient.Removed.REMOVED;
    }

    public Duration noticeToGone() {
        return Duration.ofNanos(goneNanos - noticedNanos);
    }
}
