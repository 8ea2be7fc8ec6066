package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** An action that records when, where and how often it ran. */
final class Notice implements Runnable {

    final AtomicInteger runs = new AtomicInteger();
    final AtomicLong at = new AtomicLong();
    final AtomicReference<String> thread = new AtomicReference<>();
    private final CountDownLatch latch = new CountDownLatch(1);

    @Override
    public void run() {
        if (runs.incrementAndGet() == 1) {
            at.set(System.nanoTime());
            thread.set(Thread.currentThread().getName());
        }
        latch.countDown();
    }

    boolean ran() {
        return runs.get() > 0;
    }

    /** Waits (at most 10 s, so that a slow notice is measured rather than just failed) and returns its delay. */
    long awaitDelayMillis(long since) throws InterruptedException {
        assertThat(latch.await(10, TimeUnit.SECONDS)).as("action ran").isTrue();
        return TimeUnit.NANOSECONDS.toMillis(at.get() - since);
    }

    void assertWithin(Duration limit, long since, String what) throws InterruptedException {
        assertThat(latch.await(10, TimeUnit.SECONDS)).as("action ran for " + what).isTrue();
        long micros = TimeUnit.NANOSECONDS.toMicros(at.get() - since);
        System.out.printf("[notice-delay] %s: %.3f ms%n", what, micros / 1000.0);
        assertThat(micros).as("notice delay of " + what + ", µs").isLessThan(limit.toNanos() / 1000);
    }
}
