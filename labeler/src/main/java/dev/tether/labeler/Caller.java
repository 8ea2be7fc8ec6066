package dev.tether.labeler;

/** Who asked for a container: the connecting process and its parent at create time. */
public record Caller(ProcessId owner, ProcessId host) {}
