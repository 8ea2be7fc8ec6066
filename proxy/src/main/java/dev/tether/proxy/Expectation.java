package dev.tether.proxy;

/**
 * What the response side needs to know of a request the engine has yet to answer.
 *
 * @param headRequest the answer has a head only, whatever its framing says
 * @param mayHijack the engine may answer with a raw stream (attach, exec start, an Upgrade)
 * @param create set for a labelled create: its answer carries the new container's id
 */
record Expectation(boolean headRequest, boolean mayHijack, CreateInterceptor.PendingCreate create) {

    private static final Expectation PLAIN = new Expectation(false, false, null);
    private static final Expectation HEAD = new Expectation(true, false, null);
    private static final Expectation HIJACK = new Expectation(false, true, null);
    private static final Expectation HEAD_HIJACK = new Expectation(true, true, null);

    /** One of four values, shared: a request's expectation costs no allocation. */
    static Expectation of(boolean headRequest, Route route) {
        boolean hijack = route == Route.HIJACK;
        return headRequest ? (hijack ? HEAD_HIJACK : HEAD) : (hijack ? HIJACK : PLAIN);
    }

    static Expectation created(CreateInterceptor.PendingCreate create) {
        return new Expectation(false, false, create);
    }
}
