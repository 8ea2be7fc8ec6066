package dev.tether.process;

import java.time.Duration;

/** The fallback where pidfds do not work: right, only slower for processes that are not this JVM's children. */
class PolledWatcherTest extends ProcessWatcherContract {

    @Override
    ProcessWatcher newWatcher() {
        return new PolledWatcher();
    }

    /** The JDK polls a process not its child after 300 ms, then every 330, 360, ... ms. */
    @Override
    Duration noticeOfAProcessNotOurs() {
        return Duration.ofSeconds(2);
    }
}
