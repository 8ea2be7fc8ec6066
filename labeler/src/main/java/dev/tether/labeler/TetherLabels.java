package dev.tether.labeler;

/** The label schema: the labels are the state, so every reader and writer names them from here. */
public final class TetherLabels {
    public static final String PREFIX = "dev.tether.";
    public static final String OWNER_PID = "dev.tether.owner.pid";
    public static final String OWNER_START = "dev.tether.owner.start";
    public static final String OWNER_EXE = "dev.tether.owner.exe";
    public static final String HOST_PID = "dev.tether.host.pid";
    public static final String HOST_START = "dev.tether.host.start";
    public static final String HOST_EXE = "dev.tether.host.exe";
    /**
     * The owner's ancestors at create time, as {@link Ancestry#label()} writes them: its parent (the host) first, up
     * to the first session leader or init. A stdio session ends when any of them does.
     */
    public static final String ANCESTORS = "dev.tether.ancestors";
    public static final String TIE = "dev.tether.tie";
    /** The rule that chose the tie, in words ({@link TieChoice#why()}), for {@code tether why} and the journal. */
    public static final String WHY = "dev.tether.why";
    /** The tether that created the container, as {@link Instance#label()} writes it. */
    public static final String INSTANCE = "dev.tether.instance";
    public static final String BOOT = "dev.tether.boot";
    /** The PID namespace the pids were read in: elsewhere they name other processes, or none. */
    public static final String PID_NAMESPACE = "dev.tether.pidns";

    private TetherLabels() {}
}
