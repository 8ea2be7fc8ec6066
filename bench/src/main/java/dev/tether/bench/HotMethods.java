package dev.tether.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * {@code HotMethods FILE.jfr [THREAD-PREFIX] [TOP]}: the methods that the samples of one set of threads (the relay's
 * event loop by default) were in, top of stack (self) and anywhere on it (total), as a share of those samples; and
 * what those threads allocated, by class. It reads JDK 25's CPU-time samples ({@code jdk.CPUTimeSample}, which see
 * native code and the kernel's share as the frame that made the syscall) when the recording has them, else the
 * execution samples (Java code only). {@code jfr view hot-methods} shows only the self column and mixes all threads.
 */
public final class HotMethods {

    private HotMethods() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String prefix = args.length > 1 ? args[1] : "epollEventLoopGroup";
        int top = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> total = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Long> allocated = new HashMap<>();
        int samples = 0;
        var events = RecordingFile.readAllEvents(file);
        boolean cpuTime = events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPUTimeSample"));
        String sampleEvent = cpuTime ? "jdk.CPUTimeSample" : "jdk.ExecutionSample";
        for (var event : events) {
            String type = event.getEventType().getName();
            if (type.equals("jdk.ObjectAllocationSample")) {
                var thread = event.getThread("eventThread");
                if (thread != null && thread.getJavaName() != null && thread.getJavaName().startsWith(prefix)) {
                    allocated.merge(event.getClass("objectClass").getName(), event.getLong("weight"), Long::sum);
                }
                continue;
            }
            if (!type.equals(sampleEvent)) {
                continue;
            }
            var thread = event.getThread(cpuTime ? "eventThread" : "sampledThread");
            String name = thread == null ? "?" : thread.getJavaName();
            threads.merge(name, 1, Integer::sum);
            RecordedStackTrace stack = event.getStackTrace();
            if (name == null || !name.startsWith(prefix) || stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            self.merge(method(stack.getFrames().getFirst()), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame frame : stack.getFrames()) {
                if (seen.add(method(frame))) {
                    total.merge(method(frame), 1, Integer::sum);
                }
            }
        }
        System.out.println("samples per thread: " + threads);
        System.out.printf("%d %s samples of threads named %s*%n%n", samples, sampleEvent, prefix);
        print("self", self, samples, top);
        print("total (anywhere on the stack)", total, samples, top);
        long bytes = allocated.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("allocated by those threads (sampled, weighted): %.1f MiB%n", bytes / 1048576.0);
        System.out.println("| class | MiB |\n|---|---|");
        allocated.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(15)
                .forEach(e -> System.out.printf("| %s | %.1f |%n", e.getKey(), e.getValue() / 1048576.0));
    }

    private static String method(RecordedFrame frame) {
        var m = frame.getMethod();
        String type = m.getType().getName();
        return type.substring(type.lastIndexOf('.', type.lastIndexOf('.') - 1) + 1) + "." + m.getName();
    }

    private static void print(String title, Map<String, Integer> counts, int samples, int top) {
        System.out.println("| " + title + " | % |\n|---|---|");
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf("| %s | %.1f |%n", e.getKey(), 100.0 * e.getValue() / samples));
        System.out.println();
    }
}
