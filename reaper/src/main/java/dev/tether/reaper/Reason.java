package dev.tether.reaper;

/** Why a tied container was reaped. */
public enum Reason {
    OWNER_EXITED("owner-exit", "its owner exited"),
    HOST_EXITED("host-exit", "its host exited"),
    SESSION_ENDED("session-ended", "its stdin session ended");

    private final String code;
    private final String sentence;

    Reason(String code, String sentence) {
        this.code = code;
        this.sentence = sentence;
    }

    /** A stable short name for logs, the journal and metrics. */
    public String code() {
        return code;
    }

    public String sentence() {
        return sentence;
    }
}
