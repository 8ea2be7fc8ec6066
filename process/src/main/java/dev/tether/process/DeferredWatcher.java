package dev.tether.process;

import dev.tether.labeler.ProcessId;
import java.util.concurrent.CompletableFuture;

/** A watcher still being made elsewhere ({@link ProcessWatcher#createInBackground}): each call waits for it. */
final class DeferredWatcher implements ProcessWatcher {

    private final CompletableFuture<ProcessWatcher> ready;

    DeferredWatcher(CompletableFuture<ProcessWatcher> ready) {
        this.ready = ready;
    }

    @Override
    public void onExit(ProcessId process, Runnable action) {
        ready.join().onExit(process, action);
    }

    @Override
    public void close() {
        ready.join().close();
    }

    @Override
    public String how() {
        return ready.join().how();
    }

    @Override
    public boolean noticesInstantly() {
        return ready.join().noticesInstantly();
    }
}
