package dev.tether.daemon;

import dev.tether.proxy.Peer;
import dev.tether.proxy.ProxyEvents;
import dev.tether.proxy.Route;
import dev.tether.reaper.Reaper;

/**
 * The rule that joins the relay to the reaper: a stdin session that its client ended (the client went away while
 * the engine still streamed) ends the container's tie, so the reaper hears of it at once. Every event also goes on
 * to the {@link Recorder}.
 */
final class SessionRule implements ProxyEvents {

    private final Reaper reaper;
    private final ProxyEvents recorder;

    SessionRule(Reaper reaper, ProxyEvents recorder) {
        this.reaper = reaper;
        this.recorder = recorder;
    }

    @Override
    public void sessionClosed(String container, Peer client, SessionEnd end) {
        if (end == SessionEnd.CLIENT) {
            reaper.sessionEnded(container, client.process());
        }
        recorder.sessionClosed(container, client, end);
    }

    @Override
    public void created(Created created) {
        recorder.created(created);
    }

    @Override
    public void sessionOpened(String container, Peer client) {
        recorder.sessionOpened(container, client);
    }

    @Override
    public void stdinClosed(String container, Peer client) {
        recorder.stdinClosed(container, client);
    }

    @Override
    public void connectionOpened() {
        recorder.connectionOpened();
    }

    @Override
    public void requestSeen(Route route) {
        recorder.requestSeen(route);
    }

    @Override
    public void upstreamFailed() {
        recorder.upstreamFailed();
    }
}
